"""Run the ``aws`` CLI in tests without paying its start-up on every call.

An ``aws`` CLI v1 call costs ~1 CPU-s, most of it before the request: the launcher (a pyenv shim
is a few bash processes), the interpreter, importing awscli/botocore and their plugins. This helper
resolves ``aws`` on PATH to the Python script it runs and that script's own interpreter, starts
that interpreter once with the imports done (``tests/_awscli_zygote.py``), and forks it per call:
the child gets the call's argv, environment, working directory and stdin/stdout/stderr and runs
the aws script itself as ``__main__`` — the same code as the ``aws`` program from the script's
first line on, minus the start-up. ~0.25 CPU-s per call instead of ~1.1 (bench/RESULTS.md, "Session 5,
cli"). ``tests/localaws_core/test_awscli_helper.py`` proves the outputs equal those of exec'ing
``aws`` (stdout, stderr, exit code, an error included) and keeps the real binary in the suite.

Environment: a forked child inherits what its zygote's imports did with the environment. The
zygote records every ``os.environ`` key its imports read or wrote; a call is forked only from a
zygote whose environment agrees with the call's on those keys and on the ones the interpreter
reads at start-up (``PYTHON*``, ``LC_*``, ``LANG``, ``LANGUAGE``, ``HOME``, ``TZ``), otherwise a
zygote is started with the call's environment (a test's environment differs per test only in
``PYTEST_CURRENT_TEST`` and the like, so one zygote per server endpoint in practice). When ``aws``
is a pyenv shim, the child's ``PATH``/``PYENV_ROOT`` get what ``pyenv exec`` would set.

Falls back to exec'ing ``aws`` (with a warning) when ``aws`` is not a Python script (CLI v2) or
its interpreter cannot run the zygote; ``LAKEGATE_AWS_CLI_EXEC=1`` forces that. A missing ``aws``
is a ``pytest.skip`` ("the aws CLI is not installed"), which ``tests/_ci_skips.py`` turns into a
failure under ``CI=true``. Zygotes are stopped (their whole process group, by PID) by
:meth:`AwsCli.close`, at interpreter exit, and by themselves when the test process is gone (EOF on a
lifeline pipe) — none is left running.
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

ZYGOTE = Path(__file__).with_name("_awscli_zygote.py")
EXEC_ENV = "LAKEGATE_AWS_CLI_EXEC"
#: read by the interpreter itself at start-up (not through os.environ): must match the zygote's
STARTUP_KEYS = ("LANG", "LANGUAGE", "HOME", "TZ")
STARTUP_PREFIXES = ("PYTHON", "LC_")
#: the first calls of a zygote report the modules they imported, which it then preloads
REPORTING_CALLS = 3


class AwsCliMissing(RuntimeError):
    pass


class ZygoteFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Resolved:
    exe: str                       # what `aws` on PATH is (what exec mode runs)
    python: list[str] | None       # the script's interpreter + shebang flags; None = exec only
    script: str | None
    env_overlay: tuple[tuple[str, str], ...] = ()  # what a launcher (pyenv exec) adds; PATH prepended
    why_exec: str = ""


def _shebang(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    return shlex.split(first[2:].decode(errors="replace").strip())


def _python_of(path: str) -> list[str] | None:
    cmd = _shebang(path)
    if not cmd:
        return None
    if os.path.basename(cmd[0]) == "env" and len(cmd) >= 2:  # #!/usr/bin/env python3
        found = shutil.which(cmd[1])
        cmd = [found, *cmd[2:]] if found else None
    if cmd and re.match(r"python[0-9.]*$", os.path.basename(cmd[0])):
        return cmd
    return None


def resolve(env: dict[str, str] | None = None, cwd: str | None = None) -> Resolved:
    """What ``aws`` on the environment's PATH runs."""
    env = dict(os.environ if env is None else env)
    exe = shutil.which("aws", path=env.get("PATH"))
    if exe is None:
        raise AwsCliMissing("the aws CLI is not installed (no `aws` on PATH)")
    python = _python_of(exe)
    if python:
        return Resolved(exe, python, os.path.abspath(exe))  # argv[0] as exec gives it
    text = ""
    try:
        text = Path(exe).read_text(errors="replace")[:4000]
    except OSError:
        pass
    m = re.search(r'exec "([^"]*/pyenv)" exec "\$program"', text)
    if m:  # a pyenv shim: `pyenv which aws` is the script `pyenv exec aws` runs
        root = re.search(r'export PYENV_ROOT="([^"]+)"', text)
        penv = dict(env, **({"PYENV_ROOT": root.group(1)} if root else {}))
        proc = subprocess.run([m.group(1), "which", "aws"], capture_output=True, text=True, env=penv,
                              cwd=cwd, timeout=30)
        script = proc.stdout.strip()
        if proc.returncode == 0 and script and _python_of(script):
            overlay = [("PATH", os.path.dirname(script))]
            if root:
                overlay.append(("PYENV_ROOT", root.group(1)))
            return Resolved(exe, _python_of(script), script, tuple(overlay))
        return Resolved(exe, None, None, why_exec=f"pyenv which aws failed: {proc.stderr.strip()}")
    return Resolved(exe, None, None, why_exec=f"{exe} is not a Python script (aws CLI v2?)")


def _startup_fingerprint(env: dict[str, str]) -> dict[str, str | None]:
    keys = set(STARTUP_KEYS) | {k for k in env if k.startswith(STARTUP_PREFIXES)}
    return {k: env.get(k) for k in keys}


def _decode(data: bytes) -> str:
    """As ``subprocess.run(text=True)`` decodes a child's output."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class _Zygote:
    res: Resolved               # the interpreter and aws script it runs
    proc: subprocess.Popen
    sock_path: str
    work_dir: str
    env: dict[str, str]
    lifeline: int
    reads: set[str] = field(default_factory=set)
    calls: int = 0

    def agrees(self, env: dict[str, str]) -> bool:
        if "*" in self.reads:
            return env == self.env
        if _startup_fingerprint(env) != _startup_fingerprint(self.env):
            return False
        return all(env.get(k) == self.env.get(k) for k in self.reads)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        try:
            os.close(self.lifeline)
        except OSError:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the zygote and calls still in flight
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.work_dir, ignore_errors=True)


class AwsCli:
    """``run(args, env=..., cwd=...)`` behaves like ``subprocess.run(["aws", *args], env=env,
    cwd=cwd, stdin=DEVNULL, capture_output=True, text=True, timeout=timeout)``."""

    def __init__(self, preload: bool | None = None) -> None:
        self.preload = (os.environ.get(EXEC_ENV, "") not in ("1", "true")) if preload is None else preload
        self._lock = threading.Lock()
        self._zygotes: list[_Zygote] = []
        self._resolved: dict[tuple, Resolved] = {}
        self._warned = False
        self.calls_cpu = 0.0

    # --- public -------------------------------------------------------------------------------
    def run(self, args: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
            timeout: float = 60, check: bool = False) -> subprocess.CompletedProcess:
        env = dict(os.environ if env is None else env)
        cwd = os.path.abspath(cwd or os.getcwd())
        res = self.resolve(env, cwd)
        proc = None
        if self.preload and res.python:
            try:
                proc = self._forked(res, list(args), env, cwd, timeout)
            except ZygoteFailed as err:  # e.g. an interpreter without socket.recv_fds (< 3.9)
                res = self._exec_only(env, cwd, str(err))
        if proc is None:
            if self.preload and not self._warned:
                self._warned = True
                warnings.warn(f"aws CLI calls are exec'd, not preloaded: {res.why_exec}", stacklevel=2)
            proc = subprocess.run([res.exe, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, proc.args, proc.stdout, proc.stderr)
        return proc

    def resolve(self, env: dict[str, str], cwd: str) -> Resolved:
        key = (env.get("PATH"), env.get("PYENV_VERSION"), env.get("PYENV_ROOT"), cwd)
        with self._lock:
            if key not in self._resolved:
                self._resolved[key] = resolve(env, cwd)
            return self._resolved[key]

    def _exec_only(self, env: dict[str, str], cwd: str, why: str) -> Resolved:
        key = (env.get("PATH"), env.get("PYENV_VERSION"), env.get("PYENV_ROOT"), cwd)
        with self._lock:
            res = self._resolved[key]
            self._resolved[key] = Resolved(res.exe, None, None, why_exec=why)
            return self._resolved[key]

    def zygote_pids(self) -> list[int]:
        with self._lock:
            return [z.proc.pid for z in self._zygotes if z.alive()]

    def zygote_scripts(self) -> list[str]:
        """The aws script each live zygote runs."""
        with self._lock:
            return [z.res.script for z in self._zygotes if z.alive()]

    def close(self) -> None:
        with self._lock:
            zygotes, self._zygotes = self._zygotes, []
        for z in zygotes:
            z.stop()

    # --- internals ------------------------------------------------------------------------------
    def _child_env(self, res: Resolved, env: dict[str, str]) -> dict[str, str]:
        out = dict(env)
        for key, value in res.env_overlay:
            out[key] = f"{value}{os.pathsep}{out['PATH']}" if key == "PATH" and out.get("PATH") else value
        return out

    def _zygote_for(self, res: Resolved, env: dict[str, str], exclude: _Zygote | None = None) -> _Zygote:
        with self._lock:
            for z in [z for z in self._zygotes if not z.alive()]:
                z.stop()
                self._zygotes.remove(z)
            for z in self._zygotes:
                if z is not exclude and z.res == res and z.agrees(env):
                    return z
            z = self._start(res, env)
            self._zygotes.append(z)
            return z

    def _start(self, res: Resolved, env: dict[str, str]) -> _Zygote:
        work = tempfile.mkdtemp(prefix="aws-zygote-")
        sock = os.path.join(work, "s")
        r_life, w_life = os.pipe()
        log = open(os.path.join(work, "zygote.log"), "wb")
        try:
            proc = subprocess.Popen([*res.python, str(ZYGOTE), res.script, sock, str(r_life), work],
                                    env=env, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=log, pass_fds=[r_life], start_new_session=True)
        finally:
            os.close(r_life)
            log.close()
        z = _Zygote(res, proc, sock, work, dict(env), w_life)
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else b""
        try:
            hello = json.loads(line)
        except ValueError:
            z.stop()
            detail = Path(work, "zygote.log").read_text(errors="replace") if Path(work).exists() else ""
            raise ZygoteFailed(f"the preloaded aws CLI did not start ({res.python} {res.script}): "
                               f"{detail[-2000:]}") from None
        z.reads = set(hello["reads"])
        return z

    def _forked(self, res: Resolved, args: list[str], env: dict[str, str], cwd: str,
                timeout: float) -> subprocess.CompletedProcess:
        env = self._child_env(res, env)  # the environment the aws script would start with
        zygote = self._zygote_for(res, env)
        for _attempt in range(3):
            result = self._call(zygote, args, env, cwd, timeout, [res.exe, *args])
            if result is not None:
                return result
            zygote = self._zygote_for(res, env, exclude=zygote)  # its imports read a key that differs
        raise RuntimeError("no preloaded aws CLI agrees with this call's environment")

    def _call(self, zygote: _Zygote, args: list[str], env: dict[str, str], cwd: str, timeout: float,
              shown_args: list[str]) -> subprocess.CompletedProcess | None:
        deadline = time.monotonic() + timeout
        with _Io() as io_:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(zygote.sock_path)
                with self._lock:
                    zygote.calls += 1
                    report = zygote.calls <= REPORTING_CALLS
                payload = json.dumps({"args": args, "env": env, "cwd": cwd, "report_modules": report}).encode()
                socket.send_fds(conn, [struct.pack("!I", len(payload))], [io_.stdin, io_.out.fileno(),
                                                                           io_.err.fileno()])
                conn.sendall(payload)
                reader = conn.makefile("rb")
                hello = _read_json(conn, reader, deadline, shown_args, timeout, None)
                zygote.reads |= set(hello["reads"])
                if not zygote.agrees(env):
                    conn.sendall(b"abort\n")
                    return None
                conn.sendall(b"go\n")
                done = _read_json(conn, reader, deadline, shown_args, timeout, hello["pid"])
                with self._lock:
                    self.calls_cpu += done.get("cpu", 0.0)  # the forked calls' own CPU-s (benchmarks)
            finally:
                conn.close()
            return subprocess.CompletedProcess(shown_args, done["rc"], _decode(io_.read(io_.out)),
                                               _decode(io_.read(io_.err)))


def _read_json(conn: socket.socket, reader: Any, deadline: float, shown_args: list[str], timeout: float,
               pid: int | None) -> dict:
    remaining = deadline - time.monotonic()
    conn.settimeout(max(remaining, 0.001))
    try:
        line = reader.readline()
    except (socket.timeout, TimeoutError):
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise subprocess.TimeoutExpired(shown_args, timeout) from None
    if not line:
        raise RuntimeError(f"the preloaded aws CLI ended without an exit status: {shown_args}")
    return json.loads(line)


class _Io:
    """stdin from /dev/null, stdout/stderr into anonymous files (read after the call)."""

    def __enter__(self) -> "_Io":
        self.stdin = os.open(os.devnull, os.O_RDONLY)
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        return self

    @staticmethod
    def read(fh: Any) -> bytes:
        fh.seek(0)
        return fh.read()

    def __exit__(self, *exc: object) -> None:
        os.close(self.stdin)
        self.out.close()
        self.err.close()


_SHARED: AwsCli | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> AwsCli:
    """The test process's one runner (its zygotes are stopped at exit)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = AwsCli()
            atexit.register(_SHARED.close)
        return _SHARED


def require(env: dict[str, str] | None = None) -> Resolved:
    """What ``aws`` resolves to; skips the test (a failure under CI) when it is not installed."""
    try:
        return shared().resolve(dict(os.environ if env is None else env), os.getcwd())
    except AwsCliMissing as err:
        import pytest

        pytest.skip(str(err))


def run(args: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess:
    """``aws ARGS`` through the shared runner; skips the test when ``aws`` is not installed (a
    failure under CI, tests/_ci_skips.py)."""
    try:
        return shared().run(args, env=env, cwd=cwd, timeout=timeout)
    except AwsCliMissing as err:
        import pytest

        pytest.skip(str(err))

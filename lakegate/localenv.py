"""Client side of the local AWS: start/stop it as a subprocess, read its state file, talk to it.

The local AWS (package ``localaws``) is never imported here (DESIGN: nothing outside
``localaws/`` imports it): it runs as ``python -m localaws serve`` in its own session, writes a
state file once it listens, and answers ``GET /_lakegate/health`` with its PID and the SHA-256
of the random token we gave it (never the token). Every command checks that hash before trusting
the endpoint, because other programs on the machine may run moto servers too. Control endpoints
(faults, shutdown) need the token itself in the ``X-Lakegate-Token`` header: the state file
holding it is mode 0600, so only its owner can inject faults or stop the server.

State file (default ``.lakegate/local/state.json``, override with ``$LAKEGATE_LOCAL_STATE``)::

    {"endpoint": "http://127.0.0.1:PORT", "pid": N, "port": PORT, "token": "...",
     "started_at": 1700000000.0, "timing": "fast", "time_scale": 1.0, "log": ".../server.log"}

boto3 against it: :func:`client` (fake credentials ``test``/``test``, region us-east-1,
standard retries); subprocesses (aws CLI, terraform): :func:`aws_env`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError

STATE_ENV = "LAKEGATE_LOCAL_STATE"
DEFAULT_STATE = Path(".lakegate/local/state.json")
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
TOKEN_HEADER = "X-Lakegate-Token"   # the local AWS's control-token header (DESIGN)


@dataclass
class LocalState:
    endpoint: str
    pid: int
    port: int
    token: str
    started_at: float
    timing: str = "fast"
    time_scale: float = 1.0
    log: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_path(path: str | Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get(STATE_ENV)
    return Path(env) if env else DEFAULT_STATE


def read_state(path: Path) -> LocalState | None:
    """The state in ``path``; None when there is none. Unreadable → :class:`LakegateError`."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        return LocalState(endpoint=str(raw["endpoint"]), pid=int(raw["pid"]), port=int(raw["port"]),
                          token=str(raw["token"]), started_at=float(raw.get("started_at", 0)),
                          timing=str(raw.get("timing", "fast")),
                          time_scale=float(raw.get("time_scale", 1.0)), log=raw.get("log"))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise LakegateError(f"the local AWS state file is unreadable: {err}", where=str(path),
                            fix="delete the file and run 'lakegate local up' again") from err


def write_state(path: Path, state: LocalState) -> None:
    """Atomic write, created mode 0600: the file holds the control token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(state.to_dict(), indent=2) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def token_sha256(token: str) -> str:
    """The hash the health endpoint answers instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def control_headers(state: LocalState) -> dict[str, str]:
    """Headers that authorise a control request (fault, shutdown) to the local AWS."""
    return {TOKEN_HEADER: state.token}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as dead
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def pid_is_localaws(pid: int) -> bool:
    """True when ``pid``'s command line is ``... -m localaws serve ...`` (guards kill by PID)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except OSError:
        return False
    return b"localaws" in args and b"serve" in args


def health(endpoint: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The health answer of ``endpoint`` or None (not answering / not ours)."""
    try:
        with urllib.request.urlopen(f"{endpoint}/_lakegate/health", timeout=timeout) as resp:
            data = json.loads(resp.read())
            return data if isinstance(data, dict) else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def is_running(state: LocalState, timeout: float = 2.0) -> bool:
    """The recorded PID is alive AND the endpoint answers with our token's hash and that PID."""
    if not pid_alive(state.pid):
        return False
    h = health(state.endpoint, timeout)
    return bool(h and h.get("token_sha256") == token_sha256(state.token) and h.get("pid") == state.pid)


def load_state(path: str | Path | None = None) -> LocalState:
    """The running local AWS's state; :class:`LakegateError` when it is not running."""
    p = state_path(path)
    st = read_state(p)
    if st is None:
        raise LakegateError("the local AWS is not running (no state file)", where=str(p),
                            fix="run 'lakegate local up'")
    if not is_running(st):
        raise LakegateError(
            f"the local AWS recorded in the state file (pid {st.pid}, {st.endpoint}) is not "
            "answering (stale state file)", where=str(p),
            fix="run 'lakegate local down' to clean up, then 'lakegate local up'")
    return st


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(path: str | Path | None = None, port: int = 0, timing: str = "fast",
          time_scale: float = 1.0, timeout: float = 120.0, python: str | None = None,
          exit_with_pid: int | None = None, from_snapshot: str | Path | None = None) -> LocalState:
    """Start ``python -m localaws serve`` detached; return once it answers with our token.

    ``exit_with_pid``: the server stops by itself when that process ends (test fixtures pass
    their own PID so an interrupted test run leaves no server behind). ``from_snapshot``: a file
    written by :func:`save_snapshot`; the server starts with that state (``localaws.snapshot``)."""
    if timing not in ("fast", "realistic"):
        raise LakegateError(f"unknown timing profile {timing!r}", where="--timing",
                            fix="use 'fast' or 'realistic'")
    if not time_scale > 0:
        raise LakegateError(f"--time-scale must be > 0 (got {time_scale})", where="--time-scale",
                            fix="pass a positive factor such as 0.1")
    if not 0 <= port < 65536:
        raise LakegateError(f"port {port} is out of range", where="--port", fix="use 0..65535")
    p = state_path(path)
    existing = read_state(p)
    if existing is not None:
        if is_running(existing):
            raise LakegateError(f"the local AWS is already running at {existing.endpoint} "
                                f"(pid {existing.pid})", where=str(p),
                                fix="use it, or stop it first with 'lakegate local down'")
        p.unlink(missing_ok=True)  # stale
    p.parent.mkdir(parents=True, exist_ok=True)
    log = p.parent / "server.log"
    token = secrets.token_hex(16)
    env = dict(os.environ)
    env["LOCALAWS_TOKEN"] = token
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    cmd = [python or sys.executable, "-m", "localaws", "serve", "--port", str(port),
           "--state-file", str(p.resolve()), "--timing", timing, "--time-scale", str(time_scale)]
    if exit_with_pid:
        cmd += ["--exit-with-pid", str(exit_with_pid)]
    if from_snapshot is not None:
        snap = Path(from_snapshot)
        if not snap.is_file():
            raise LakegateError(f"snapshot {snap} does not exist", where=str(snap),
                                fix="pass a file written by 'lakegate local snapshot'")
        cmd += ["--from-snapshot", str(snap.resolve())]
    with open(log, "ab") as logfh:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logfh, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LakegateError(
                f"the local AWS exited during start-up (code {proc.returncode}); log tail:\n"
                + _log_tail(log), where=str(log),
                fix="read the log; with --port, check the port is free")
        st = read_state(p)
        if st is not None and st.token == token and st.pid == proc.pid:
            if is_running(st):
                st.log = str(log.resolve())
                write_state(p, st)
                return st
        time.sleep(0.05)
    _terminate(proc.pid)
    raise LakegateError(f"the local AWS did not answer within {timeout:.0f} s; log tail:\n"
                        + _log_tail(log), where=str(log), fix="read the log")


def _terminate(pid: int, grace: float = 5.0) -> bool:
    """SIGTERM then SIGKILL ``pid`` if it is a localaws server; True if it is gone."""
    if not pid_alive(pid):
        return True
    if not pid_is_localaws(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    time.sleep(0.1)
    _reap(pid)
    return not pid_alive(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except (ChildProcessError, OSError):
        pass


def stop(path: str | Path | None = None, timeout: float = 10.0) -> str:
    """Stop the recorded server (shutdown endpoint, then signals after checking the PID is ours).

    Returns a one-line description of what happened."""
    p = state_path(path)
    st = read_state(p)
    if st is None:
        return "the local AWS is not running"
    ours = is_running(st)
    if ours:
        try:
            req = urllib.request.Request(f"{st.endpoint}/_lakegate/shutdown", data=b"{}",
                                         method="POST", headers=control_headers(st))
            urllib.request.urlopen(req, timeout=3).read()
        except (urllib.error.URLError, OSError):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(st.pid):
            _reap(st.pid)
            time.sleep(0.05)
    gone = _terminate(st.pid) if pid_alive(st.pid) else True
    if not gone:
        raise LakegateError(f"pid {st.pid} from the state file is alive but is not a localaws "
                            "server; not killing it", where=str(p),
                            fix="delete the stale state file by hand")
    p.unlink(missing_ok=True)
    return (f"stopped the local AWS (pid {st.pid}, {st.endpoint})" if ours
            else f"removed a stale state file (pid {st.pid} was not answering)")


def admin_post(state: LocalState, sub: str, body: dict[str, Any] | None = None,
               timeout: float = 60.0) -> tuple[int, dict[str, Any]]:
    """POST to ``/_lakegate/<sub>``; (status, JSON body)."""
    req = urllib.request.Request(f"{state.endpoint}/_lakegate/{sub}",
                                 data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          **control_headers(state)})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"{}")
        except ValueError:
            return err.code, {"error": str(err)}
    except (urllib.error.URLError, OSError) as err:
        raise LakegateError(f"the local AWS at {state.endpoint} did not answer: {err}",
                            fix="check 'lakegate local status'") from err


def save_snapshot(state: LocalState, path: str | Path, wait: float = 10.0) -> dict[str, Any]:
    """Have the server write its whole state to ``path`` (``localaws.snapshot``); it waits up to
    ``wait`` seconds for running crawls/jobs/queries to finish."""
    return _snapshot_call(state, "snapshot", Path(path), wait)


def restore_snapshot(state: LocalState, path: str | Path) -> dict[str, Any]:
    """Replace the running server's whole state with the snapshot in ``path``."""
    if not Path(path).is_file():
        raise LakegateError(f"snapshot {path} does not exist", where=str(path),
                            fix="pass a file written by 'lakegate local snapshot'")
    return _snapshot_call(state, "restore", Path(path))


def _snapshot_call(state: LocalState, action: str, path: Path, wait: float = 10.0) -> dict[str, Any]:
    status, body = admin_post(state, action, {"path": str(path.resolve()), "wait": wait},
                              timeout=300 + wait)
    if status != 200:
        raise LakegateError(f"the local AWS could not {action} {path}: "
                            f"{body.get('error', body)}", where=state.endpoint,
                            fix="wait until no crawl/job/query runs and retry" if status == 409
                            else "check 'lakegate local status' and the server log")
    return body


def aws_env(state: LocalState, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for subprocesses (aws CLI, SDKs) that targets the local endpoint."""
    env = dict(os.environ if base is None else base)
    env.update({
        "AWS_ENDPOINT_URL": state.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    })
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return env


def client(service: str, state: LocalState | None = None, **kwargs: Any) -> Any:
    """boto3 client for ``service`` against the local endpoint (fake credentials)."""
    import boto3
    from botocore.config import Config

    st = state or load_state()
    cfg = Config(retries={"mode": "standard", "max_attempts": 3},
                 s3={"addressing_style": "path"})
    return boto3.client(service, endpoint_url=st.endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=kwargs.pop("config", cfg), **kwargs)

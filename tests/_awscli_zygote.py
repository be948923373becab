"""The preloaded ``aws`` CLI process of :mod:`tests._awscli` (run by the aws CLI's OWN interpreter,
never imported by the test process).

Usage: ``PYTHON [shebang flags] _awscli_zygote.py AWS_SCRIPT SOCKET LIFELINE_FD WORK_DIR``

Start-up: ``sys.path[0]`` becomes the script's directory (as when Python runs the script), then
``awscli.clidriver`` and ``awscli.handlers`` are imported while every ``os.environ`` read and write
is recorded; one JSON line ``{"reads": [...], "writes": {...}}`` on stdout says it is ready.

Per call (one connection on SOCKET): the client sends the call's stdin/stdout/stderr file
descriptors, then ``{"args", "env", "cwd", "report_modules"}``. The zygote forks; the child tells the
client ``{"pid", "reads", "writes"}`` (the environment keys the imports read so far: the client
checks that the call's environment agrees on them, else it answers ``abort`` and uses a zygote
started with that environment), waits for ``go``, then: fds 0/1/2 = the call's, ``cwd``, ``os.environ``
= the call's environment plus what the imports wrote (``AWS_DATA_PATH``), ``time.tzset()``, and
runs the aws script itself as ``__main__`` with ``sys.argv = [script, *args]`` — the code path of
the ``aws`` program minus interpreter start-up and imports. Its exit status (SystemExit / an
uncaught exception's 1 / a failed flush's 120, after the atexit handlers, as CPython does) goes
back as ``{"rc": N}``. With ``report_modules`` the child also leaves the names of the modules the
call imported in WORK_DIR; the zygote imports them (recorded the same way) before its next fork,
so later calls skip those imports too.

The zygote exits when LIFELINE_FD reaches EOF (the test process is gone) or on SIGTERM.
"""

from __future__ import annotations

import gc
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import traceback

if __name__ != "__main__":
    raise ImportError("tests/_awscli_zygote.py is a program run by tests/_awscli.py, not a module")
SCRIPT, SOCK_PATH, LIFELINE, WORK_DIR = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path[0] = os.path.dirname(os.path.realpath(SCRIPT))  # as `python SCRIPT` sets it (symlinks resolved)

READS: set[str] = set()
WRITES: dict[str, str | None] = {}
_Environ = type(os.environ)
_orig = {name: getattr(_Environ, name) for name in ("__getitem__", "__setitem__", "__delitem__", "__iter__")}


def _get(self, key):  # noqa: ANN001 - same signature as os._Environ
    READS.add(key)
    return _orig["__getitem__"](self, key)


def _set(self, key, value):  # noqa: ANN001
    WRITES[key] = value
    return _orig["__setitem__"](self, key, value)


def _del(self, key):  # noqa: ANN001
    WRITES[key] = None
    return _orig["__delitem__"](self, key)


def _iter(self):  # noqa: ANN001 - a module that walks the whole environment depends on all of it
    READS.add("*")
    return _orig["__iter__"](self)


for _name, _fn in (("__getitem__", _get), ("__setitem__", _set), ("__delitem__", _del), ("__iter__", _iter)):
    setattr(_Environ, _name, _fn)


def _restore_environ_class() -> None:
    for name, fn in _orig.items():
        setattr(_Environ, name, fn)


def _preload(names: list[str]) -> None:
    import importlib

    for name in names:
        if name in sys.modules or name in ("__main__", "__mp_main__") or not name:
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a module that cannot be preloaded is imported by the call
            pass


_preload(["awscli.clidriver", "awscli.handlers"])


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("client went away")
        buf += chunk
    return buf


def _send(conn: socket.socket, obj: dict) -> None:
    conn.sendall(json.dumps(obj).encode() + b"\n")


def _exit_code(code: object) -> int:
    """CPython's handling of ``SystemExit(code)`` at the top level."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except BaseException:  # noqa: BLE001
        pass
    return 1


def _flush_std() -> int:
    rc = 0
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:  # noqa: BLE001 - CPython exits 120 when flushing stdout fails at exit
            rc = 120
    return rc


def _child(conn: socket.socket, fds: list[int], req: dict, listener: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    listener.close()
    os.close(LIFELINE)
    _restore_environ_class()
    _send(conn, {"pid": os.getpid(), "reads": sorted(READS), "writes": WRITES})
    if conn.makefile("rb").readline().strip() != b"go":
        os._exit(0)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(req["cwd"])
    env = dict(req["env"])
    for key, value in WRITES.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    os.environ.clear()
    os.environ.update(env)
    import time

    time.tzset()
    import atexit
    import runpy

    sys.argv = [SCRIPT, *req["args"]]
    rc = 0
    try:
        runpy.run_path(SCRIPT, run_name="__main__")
    except SystemExit as exc:
        rc = _exit_code(exc.code)
    except BaseException:  # noqa: BLE001 - an uncaught exception: traceback on stderr, exit 1
        sys.excepthook(*sys.exc_info())
        rc = 1
    try:
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001
        pass
    rc = _flush_std() or rc
    if req.get("report_modules"):
        try:
            tmp = os.path.join(WORK_DIR, f".mods.{os.getpid()}")
            with open(tmp, "w") as fh:
                fh.write("\n".join(sorted(sys.modules)))
            os.rename(tmp, os.path.join(WORK_DIR, f"mods.{os.getpid()}"))
        except OSError:
            pass
    try:
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)
        _send(conn, {"rc": rc, "cpu": round(ru.ru_utime + ru.ru_stime, 3)})
    except OSError:
        pass
    os._exit(rc)


def _import_reported_modules() -> None:
    for name in sorted(os.listdir(WORK_DIR)):
        if not name.startswith("mods."):
            continue
        path = os.path.join(WORK_DIR, name)
        try:
            with open(path) as fh:
                names = fh.read().split("\n")
            os.unlink(path)
        except OSError:
            continue
        _preload(names)


def _reap(_signum: int, _frame: object) -> None:
    # reaped here (not SIGCHLD=SIG_IGN) so that the calls' CPU adds up in this process's children
    # time, and in the test process's once it waits for the zygote (bench/cpu_time.py sees it)
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    signal.signal(signal.SIGCHLD, _reap)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(SOCK_PATH)
    listener.listen(64)
    sys.stdout.write(json.dumps({"reads": sorted(READS), "writes": WRITES}) + "\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # nothing of a child may reach the client through the hello pipe
    os.close(devnull)
    while True:
        ready, _, _ = select.select([listener, LIFELINE], [], [])
        if LIFELINE in ready:
            # the process that started this zygote is gone (it may have ended without close(),
            # e.g. os._exit): nobody else will remove the socket's folder
            shutil.rmtree(WORK_DIR, ignore_errors=True)
            return
        conn, _ = listener.accept()
        try:
            msg, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
            if len(msg) < 4 or len(fds) != 3:
                raise EOFError("bad request")
            (length,) = struct.unpack("!I", msg)
            req = json.loads(_recv_exact(conn, length))
        except (OSError, EOFError, ValueError):
            conn.close()
            continue
        _import_reported_modules()
        gc.freeze()  # the preloaded objects: no collection in a child walks (and copies) their pages
        pid = os.fork()
        if pid == 0:
            try:
                _child(conn, fds, req, listener)
            except BaseException:  # noqa: BLE001 - never return into the zygote's loop
                traceback.print_exc()
                os._exit(70)
        conn.close()
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

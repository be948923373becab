"""Snapshots of the local AWS's state ("state pods"): save everything the server holds to one
file, and start a server (or reset a running one) from it in about a second.

What a snapshot holds: every moto backend in use (``BackendDict._instances``: S3 buckets and
objects, IAM roles and policies, Glue catalog/crawlers/jobs/workflows, Athena, CloudWatch Logs,
STS, ...), keyed by service, account and region, plus the runtime's own bookkeeping
(``Runtime.state``: Glue runs and bookmarks, Athena executions, active faults). It is one pickle
taken under the runtime's global lock, so it is consistent (no request or background step runs
half-way through it).

Why pickle: moto's models are plain Python objects and moto makes its S3 keys picklable itself
(``FakeKey.__getstate__`` drops the lock and spooled buffer and keeps the bytes). A JSON export
would need a writer and a reader for every resource type of every service.

Limits, by design:
* A snapshot is taken only when no background work is scheduled or running (a crawl, job run or
  query in flight holds closures and timers that cannot be saved): :class:`SnapshotError`.
* Loading a pickle runs code from the file: load only snapshots you made (like LocalStack's state
  pods). The header records the versions of Python and moto; a snapshot from another version is
  refused rather than half-loaded.
* The timing profile, time scale, token and port are the new server's own, not the snapshot's.
"""

from __future__ import annotations

import io
import os
import pickle
import importlib
import platform
import sys
import time
from pathlib import Path
from typing import Any

MAGIC = b"LAKEGATE-LOCALAWS-SNAPSHOT/1\n"


class SnapshotError(Exception):
    """The snapshot cannot be taken or loaded; the message says why and what to do."""


def _versions() -> dict[str, str]:
    import moto

    return {"python": platform.python_version(), "moto": getattr(moto, "__version__", "?")}


def _backend_dicts() -> list[Any]:
    from moto.core.base_backend import BackendDict

    return list(BackendDict._instances)  # type: ignore[attr-defined]


def _key(bd: Any) -> str:
    """Where a BackendDict lives: ``module:BackendClass`` (service names are not unique)."""
    return f"{bd.backend.__module__}:{bd.backend.__qualname__}"


def _find(key: str) -> Any:
    """The module-level BackendDict for ``key`` (importing its module if needed)."""
    from moto.core.base_backend import BackendDict

    module_name, _, qualname = key.partition(":")
    module = importlib.import_module(module_name)
    for value in vars(module).values():
        if isinstance(value, BackendDict) and value.backend.__qualname__ == qualname:
            return value
    raise SnapshotError(f"this moto has no backend {key}: take the snapshot again")


def _busy(runtime: Any) -> str | None:
    """Why the runtime cannot be snapshotted now (None: idle)."""
    heap = getattr(runtime, "_heap", None) or []
    pending = [s for s in heap if not getattr(s, "cancelled", False)]
    if pending:
        return f"{len(pending)} background step(s) scheduled (a crawl, job run or query in flight)"
    pool = getattr(runtime, "_pool", None)
    queue = getattr(pool, "_work_queue", None)
    if queue is not None and queue.qsize():
        return f"{queue.qsize()} background task(s) queued"
    return None


def dump(runtime: Any, path: Path, *, wait: float = 10.0) -> dict[str, Any]:
    """Write a snapshot of the whole server state to ``path``; return its summary.

    Waits up to ``wait`` seconds for in-flight background work to finish first."""
    deadline = time.monotonic() + wait
    while True:
        with runtime.lock:
            why = _busy(runtime)
            if why is None:
                backends: dict[str, dict[str, dict[str, Any]]] = {}
                for bd in _backend_dicts():
                    accounts = {acc: dict(dict.items(asb)) for acc, asb in dict.items(bd) if len(asb)}
                    if accounts:
                        backends.setdefault(_key(bd), {}).update(accounts)
                payload = {"backends": backends, "runtime_state": runtime.state}
                buf = io.BytesIO()
                try:
                    pickle.dump(payload, buf, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as err:  # noqa: BLE001 - report what could not be saved
                    raise SnapshotError(f"the local AWS state cannot be saved: {type(err).__name__}: "
                                        f"{err}") from err
                break
        if time.monotonic() >= deadline:
            raise SnapshotError(f"the local AWS is busy: {why}; wait for it to finish and retry")
        time.sleep(0.05)
    summary = {"services": sorted({k.split(".")[1] for k in backends}), "saved_at": time.time(), **_versions()}
    header = repr(summary).encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC)
        fh.write(len(header).to_bytes(4, "big"))
        fh.write(header)
        fh.write(buf.getbuffer())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    summary["bytes"] = path.stat().st_size
    return summary


def read_header(path: Path) -> dict[str, Any]:
    """The summary stored at the start of a snapshot file (no unpickling)."""
    import ast

    try:
        with open(path, "rb") as fh:
            if fh.read(len(MAGIC)) != MAGIC:
                raise SnapshotError(f"{path} is not a lakegate local AWS snapshot")
            size = int.from_bytes(fh.read(4), "big")
            return ast.literal_eval(fh.read(size).decode())
    except OSError as err:
        raise SnapshotError(f"cannot read the snapshot {path}: {err.strerror or err}") from err
    except (ValueError, SyntaxError) as err:
        raise SnapshotError(f"{path} has a damaged header: {err}") from err


def load(runtime: Any, path: Path) -> dict[str, Any]:
    """Replace the server's whole state with the snapshot in ``path``; return its summary."""
    summary = read_header(path)
    mine = _versions()
    if {k: summary.get(k) for k in mine} != mine:
        raise SnapshotError(f"{path} was saved by Python {summary.get('python')} / moto "
                            f"{summary.get('moto')}; this server runs Python {mine['python']} / moto "
                            f"{mine['moto']}: take the snapshot again with this installation")
    with open(path, "rb") as fh:
        fh.seek(len(MAGIC))
        size = int.from_bytes(fh.read(4), "big")
        fh.seek(len(MAGIC) + 4 + size)
        try:
            payload = pickle.load(fh)
        except Exception as err:  # noqa: BLE001
            raise SnapshotError(f"cannot load the snapshot {path}: {type(err).__name__}: {err}") from err
    with runtime.lock:
        for bd in _backend_dicts():   # what is not in the snapshot did not exist when it was taken
            for asb in dict.values(bd):
                dict.clear(asb)
        for key, accounts in payload["backends"].items():
            bd = _find(key)
            for account, regions in accounts.items():
                asb = bd[account]
                dict.clear(asb)
                for region, backend in regions.items():
                    dict.__setitem__(asb, region, backend)
        runtime.state.clear()
        runtime.state.update(payload["runtime_state"])
        tabledata = sys.modules.get("localaws.tabledata")   # decoded-table cache of the old state
        if tabledata is not None and hasattr(tabledata, "_CACHE"):
            tabledata._CACHE.clear()
    return summary


__all__ = ["SnapshotError", "dump", "load", "read_header", "MAGIC"]

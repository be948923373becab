"""Runtime state of the Glue behaviour that moto does not keep: crawls, job runs, bookmarks and
workflow runs, per (account, region); plus the small helpers every handler shares (timing,
locking, moto errors -> AWS errors, S3 reads, CloudWatch Logs writes).

Handlers and background tasks mutate this state and moto's backends only while holding
:func:`lock` (the runtime's global state lock when the server provides one).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator

from localaws.dispatch import AwsError, Ctx
from localaws.glue.exceptions import EntityNotFoundException

# Defaults (seconds) used when the runtime has no value for a duration kind (fast profile).
DEFAULT_DURATIONS: dict[str, float] = {
    "crawler": 0.3,
    "crawler_stopping": 0.05,
    "job_starting": 0.05,
    "job": 0.2,
    "workflow_step": 0.0,
}

_fallback_lock = threading.RLock()


def runtime_lock(runtime: Any) -> Any:
    """The runtime's global state lock (``lock`` or ``state_lock``), else a module lock."""
    for attr in ("lock", "state_lock"):
        lk = getattr(runtime, attr, None)
        if lk is not None and hasattr(lk, "acquire"):
            return lk
    return _fallback_lock


@contextlib.contextmanager
def lock(ctx: Ctx) -> Iterator[None]:
    with runtime_lock(ctx.runtime):
        yield


def duration(ctx: Ctx, kind: str) -> float:
    """Seconds the timing profile gives ``kind`` (fast defaults when the runtime lacks it)."""
    rt = ctx.runtime
    if rt is not None and hasattr(rt, "duration"):
        try:
            value = rt.duration(kind)
            if value is not None:
                return float(value)
        except (KeyError, ValueError, TypeError):
            pass
    return DEFAULT_DURATIONS.get(kind, 0.05)


def now(ctx: Ctx | None = None) -> float:
    """Epoch seconds (the runtime's clock when it has one, so tests can steer time)."""
    rt = ctx.runtime if ctx is not None else None
    if rt is not None and hasattr(rt, "clock"):
        return float(rt.clock())
    return time.time()


def later(ctx: Ctx, seconds: float, fn: Callable[[], Any]) -> None:
    """Run ``fn`` after ``seconds`` in the background (runtime scheduler, else a thread timer)."""
    rt = ctx.runtime
    if rt is not None and hasattr(rt, "later"):
        rt.later(seconds, fn)
        return
    t = threading.Timer(seconds, fn)
    t.daemon = True
    t.start()


def submit(ctx: Ctx, fn: Callable[[], Any]) -> None:
    """Run ``fn`` in the background now."""
    rt = ctx.runtime
    if rt is not None and hasattr(rt, "submit"):
        rt.submit(fn)
        return
    threading.Thread(target=fn, daemon=True).start()


def moto_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a moto backend method, turning moto's JSON errors into :class:`AwsError`."""
    try:
        return fn(*args, **kwargs)
    except AwsError:
        raise
    except Exception as exc:  # moto's JsonRESTError subclasses carry code + message
        code = getattr(exc, "error_type", None) or getattr(exc, "code", None)
        if isinstance(code, str) and code:
            message = getattr(exc, "message", None) or str(exc)
            raise AwsError(code, message, getattr(exc, "code", 400) if isinstance(getattr(exc, "code", None), int) else 400) from exc
        raise


# --- moto's Glue definitions ------------------------------------------------------------------

def get_job(ctx: Ctx, name: str) -> Any:
    """moto's job ``name``; EntityNotFoundException as AWS words it when there is none."""
    glue = ctx.backend("glue")
    if name not in glue.jobs:
        raise EntityNotFoundException(f"Job with name {name} not found")
    return glue.jobs[name]


# --- S3 ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class S3Object:
    key: str
    etag: str
    last_modified: float
    size: int


def list_objects(ctx: Ctx, bucket: str, prefix: str) -> list[S3Object]:
    """All current objects below ``prefix`` (no delete markers), sorted by key."""
    s3 = ctx.backend("s3")
    b = moto_call(s3.get_bucket, bucket)
    out = []
    for name, key in list(b.keys.items()):
        if not name.startswith(prefix) or not hasattr(key, "value"):
            continue
        lm = key.last_modified
        out.append(S3Object(name, str(key.etag).strip('"'), lm.timestamp() if hasattr(lm, "timestamp") else 0.0, int(key.size)))
    return sorted(out, key=lambda o: o.key)


def get_object(ctx: Ctx, bucket: str, key: str) -> bytes:
    s3 = ctx.backend("s3")
    obj = moto_call(s3.get_object, bucket, key)
    if obj is None:
        raise AwsError("NoSuchKey", f"The specified key does not exist: s3://{bucket}/{key}", 404)
    return bytes(obj.value)


# --- CloudWatch Logs ---------------------------------------------------------------------------

def put_logs(ctx: Ctx, group: str, stream: str, messages: list[str]) -> None:
    """Append ``messages`` to ``group``/``stream`` (creating both), via the core's logs module
    when present so its filtering sees the same events."""
    if not messages:
        return
    try:
        from localaws import logs as core_logs  # type: ignore[attr-defined]

        if hasattr(core_logs, "put_log_events"):
            core_logs.put_log_events(ctx, group, stream, messages)
            return
    except ImportError:
        pass
    logs = ctx.backend("logs")
    if group not in logs.groups:
        logs.create_log_group(group, {})
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    ts = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": ts, "message": m} for m in messages])


# --- records -----------------------------------------------------------------------------------

@dataclass
class Crawl:
    """One crawl of a crawler (AWS: ListCrawls entry + LastCrawl)."""

    crawler: str
    crawl_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "RUNNING"  # crawler State while this crawl is the last: RUNNING|STOPPING|READY
    status: str = "RUNNING"  # RUNNING -> SUCCEEDED|CANCELLED|FAILED
    error_message: str | None = None
    start_time: float = 0.0
    end_time: float | None = None
    tables_created: int = 0
    tables_updated: int = 0
    tables_deleted: int = 0
    cancel_requested: bool = False
    workflow_run_id: str | None = None
    hold: bool = False  # fault stuck-run: never finishes until stopped


@dataclass
class JobRun:
    job_name: str
    id: str = field(default_factory=lambda: "jr_" + uuid.uuid4().hex + uuid.uuid4().hex)
    state: str = "STARTING"
    arguments: dict[str, str] = field(default_factory=dict)
    started_on: float = 0.0
    last_modified_on: float = 0.0
    completed_on: float | None = None
    error_message: str | None = None
    attempt: int = 0
    previous_run_id: str | None = None
    trigger_name: str | None = None
    workflow_run_id: str | None = None
    timeout_minutes: int | None = None
    stop_requested: bool = False
    hold: bool = False
    worker_type: str | None = None
    number_of_workers: int | None = None
    glue_version: str | None = None
    max_capacity: float | None = None
    processed: dict[str, list[Any]] = field(default_factory=dict)  # input -> files read (bookmark)


@dataclass
class WorkflowRun:
    workflow: str
    id: str = field(default_factory=lambda: "wr_" + uuid.uuid4().hex + uuid.uuid4().hex)
    status: str = "RUNNING"  # RUNNING|COMPLETED|STOPPING|STOPPED|ERROR
    started_on: float = 0.0
    completed_on: float | None = None
    previous_run_id: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    fired_triggers: list[str] = field(default_factory=list)
    # action node name ("job:<name>" / "crawler:<name>") -> run ids in this workflow run
    job_runs: dict[str, list[str]] = field(default_factory=dict)
    crawls: dict[str, list[str]] = field(default_factory=dict)
    errored: list[str] = field(default_factory=list)  # actions that could not start


@dataclass
class GlueState:
    crawls: dict[str, list[Crawl]] = field(default_factory=dict)
    job_runs: dict[str, list[JobRun]] = field(default_factory=dict)
    bookmarks: dict[str, Any] = field(default_factory=dict)  # job name -> bookmarks.Bookmark
    workflow_runs: dict[str, "OrderedDict[str, WorkflowRun]"] = field(default_factory=dict)
    # fault switches (faults.py): names of jobs/crawlers to hold or fail, set by faults
    hold_next_workflow_action: set[str] = field(default_factory=set)
    # listeners of this account/region only, called (under lock) when a crawl or job run ends:
    # fn(ctx, kind, name, run_id); they are state (kept in snapshots), so only module-level
    # functions belong here
    listeners: list[Callable[..., None]] = field(default_factory=list)

    #: process-wide listeners (code, not state: never pickled), called before ``listeners``.
    #: ``localaws.glue.workflows`` subscribes here with :func:`subscribe` when it is imported,
    #: so this module never imports the workflow engine (no import circle).
    subscribers: ClassVar[list[Callable[..., None]]] = []


_STATES: dict[tuple[str, str], GlueState] = {}
_states_lock = threading.Lock()


def glue_state(ctx: Ctx) -> GlueState:
    """This account/region's Glue run state (kept in ``runtime.state`` when there is a runtime,
    so each server process has its own)."""
    key = (ctx.account_id, ctx.region)
    rt = ctx.runtime
    store = _STATES
    if rt is not None and isinstance(getattr(rt, "state", None), dict):
        store = rt.state.setdefault("glue", {})
    with _states_lock:
        st = store.get(key)
        if st is None:
            st = store[key] = GlueState()
        return st


def reset_all() -> None:
    """Forget every run and bookmark (tests; the server's reset)."""
    with _states_lock:
        _STATES.clear()


def subscribe(fn: Callable[..., None]) -> Callable[..., None]:
    """Call ``fn(ctx, kind, name, run_id)`` whenever a crawl (``kind`` "crawler") or job run
    (``kind`` "job") of any account/region reaches a final state (the workflow engine uses it).
    Idempotent: a module imported twice subscribes once."""
    if fn not in GlueState.subscribers:
        GlueState.subscribers.append(fn)
    return fn


def notify_finished(ctx: Ctx, kind: str, name: str, run_id: str) -> None:
    """Tell the subscribers (the workflow engine) and this state's listeners that a crawl/job
    run reached a final state. Called with :func:`lock` held."""
    for fn in list(GlueState.subscribers) + list(glue_state(ctx).listeners):
        fn(ctx, kind, name, run_id)


def jsonable(value: Any) -> Any:
    """moto's dicts carry datetimes; the JSON protocol sends epoch seconds."""
    import datetime as _dt

    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def background_ctx(ctx: Ctx) -> Ctx:
    """A copy of ``ctx`` safe to keep in a background task after the request ends."""
    return Ctx(service="glue", operation=ctx.operation, account_id=ctx.account_id, region=ctx.region,
               runtime=ctx.runtime, extra=dict(ctx.extra))

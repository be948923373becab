"""The server's runtime: timing profile, background scheduler and the global state lock.

One :class:`Runtime` exists per server process; handlers reach it as ``ctx.runtime``.

Why it exists: moto stores crawlers, jobs and queries but never *runs* them. Our behaviour
modules make state change over time (RUNNING → STOPPING → READY, STARTING → RUNNING →
SUCCEEDED, QUEUED → RUNNING → SUCCEEDED) by scheduling work on background threads. Those threads
mutate moto's in-process state while HTTP requests are being served on other threads, so every
mutation must hold :attr:`Runtime.lock`.

How to use it (for behaviour modules, e.g. ``localaws.glue``)::

    rt = ctx.runtime
    with rt.lock:                         # serialise access to moto state (re-entrant)
        crawler.state = "RUNNING"
    rt.later(rt.duration("crawler"), finish_crawl, name)   # run finish_crawl(name) later
    rt.submit(run_job, run_id)                              # run now on the pool
    started = rt.clock()                                    # seconds (time.time())

* ``duration(kind)``: seconds a phase takes under the active timing profile, already multiplied
  by the time-scale factor. Kinds: see :data:`PROFILES` (``crawler``, ``crawler_stopping``,
  ``job_starting``, ``job``, ``workflow_step``, ``athena_queue``, ``athena``). ``fast`` (default)
  keeps tests in seconds; ``realistic`` uses AWS-like durations (crawler ~60 s, job ~90 s
  + the actual SQL time) so recovery timing can be measured against a critical path; scale it
  with ``--time-scale`` (e.g. 0.1). An unknown kind raises ``KeyError`` (a bug, fail loudly).
* ``submit(fn, *args, **kwargs) -> Future``: run on the thread pool now.
* ``later(seconds, fn, *args, **kwargs) -> Scheduled``: run on the pool after ``seconds``;
  ``Scheduled.cancel()`` prevents it if it has not started.
* ``lock``: the global ``threading.RLock``. The server holds it while moto handles a request
  and while an override handler runs, so handlers need not take it again (it is re-entrant, so
  taking it again is harmless). Background functions MUST take it around reads/writes of moto
  state — but NOT around long computations (SQL), or every request blocks behind them.
* ``clock()`` / ``now()``: wall-clock seconds / timezone-aware UTC datetime.
* ``state``: a dict for behaviour modules to keep their own bookkeeping (``rt.state.setdefault
  ("glue", {})``) — job bookmarks, workflow runs, active faults.

Exceptions raised by background functions are logged (logger ``localaws.runtime``) and kept in
:attr:`Runtime.errors` (most recent 100) so tests can assert none happened.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

log = logging.getLogger("localaws.runtime")

#: seconds per phase, per timing profile (before the time-scale factor)
PROFILES: dict[str, dict[str, float]] = {
    "fast": {
        "crawler": 0.3,
        "crawler_stopping": 0.05,
        "job_starting": 0.05,
        "job": 0.2,
        "workflow_step": 0.0,
        "athena_queue": 0.0,
        "athena": 0.0,
    },
    "realistic": {
        # Measured orders of magnitude on AWS: a small crawl ~1 min, a G.1X job ~1.5 min
        # (mostly start-up), Athena small query ~1-2 s including queueing.
        "crawler": 60.0,
        "crawler_stopping": 10.0,
        "job_starting": 15.0,
        "job": 90.0,
        "workflow_step": 5.0,
        "athena_queue": 0.3,
        "athena": 1.2,
    },
}


@dataclass(order=True)
class Scheduled:
    """A function scheduled with :meth:`Runtime.later`."""

    due: float
    seq: int
    fn: Callable[[], Any] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Runtime:
    """Timing profile + thread pool + delayed scheduler + global state lock (see module doc)."""

    def __init__(self, timing: str = "fast", time_scale: float = 1.0, workers: int = 16) -> None:
        if timing not in PROFILES:
            raise ValueError(f"unknown timing profile {timing!r} (use one of {sorted(PROFILES)})")
        if not time_scale > 0:
            raise ValueError(f"time scale must be > 0, got {time_scale!r}")
        self.timing = timing
        self.time_scale = float(time_scale)
        self.lock = threading.RLock()
        self.state: dict[str, Any] = {}
        self.errors: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localaws-rt")
        self._heap: list[Scheduled] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._timer = threading.Thread(target=self._run_timer, name="localaws-timer", daemon=True)
        self._timer.start()

    # -- time ---------------------------------------------------------------------------------
    def duration(self, kind: str) -> float:
        """Seconds the phase ``kind`` takes under the active profile, times the scale factor."""
        profile = PROFILES[self.timing]
        if kind not in profile:
            raise KeyError(f"unknown duration kind {kind!r}; known: {sorted(profile)}")
        return profile[kind] * self.time_scale

    @staticmethod
    def clock() -> float:
        return time.time()

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    # -- execution ----------------------------------------------------------------------------
    def _wrap(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Callable[[], Any]:
        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - background work must never die silently
                msg = f"{getattr(fn, '__qualname__', fn)}: {type(err).__name__}: {err}"
                log.exception("background task failed: %s", msg)
                self.errors.append(msg)
                del self.errors[:-100]
                raise

        return run

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` on the pool now."""
        return self._pool.submit(self._wrap(fn, args, kwargs))

    def later(self, seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Scheduled:
        """Run ``fn(*args, **kwargs)`` on the pool after ``seconds`` (0 → as soon as possible)."""
        item = Scheduled(time.monotonic() + max(0.0, seconds), next(self._seq),
                         self._wrap(fn, args, kwargs))
        with self._cv:
            heapq.heappush(self._heap, item)
            self._cv.notify()
        return item

    def _run_timer(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = None if not self._heap else max(0.0, self._heap[0].due - time.monotonic())
                    self._cv.wait(timeout)
                if self._stopped:
                    return
                item = heapq.heappop(self._heap)
            if not item.cancelled:
                try:
                    self._pool.submit(item.fn)
                except RuntimeError:  # pool shut down
                    return

    def shutdown(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)

"""Polling with a deadline — the runbook's fixed sleeps (90 s, 60 s, 10 × 30 s, 8 s) replaced by
"check until done or out of time", with poll gaps that follow the duration of what is awaited.

``wait_for`` calls ``probe`` until ``done(value)`` is true. The pause before the next call is the
smaller of

* the backoff schedule: ``initial`` seconds, multiplied by ``factor`` after every poll, at most
  ``max_interval``; and
* ``ratio`` × the time already waited, but at least ``min_interval``.

Why the second bound: an operation that takes ``d`` seconds is seen finished at most
``max(ratio × d, min_interval)`` seconds late, whatever ``d`` is — a 3-second crawl is not
noticed 2 s late because the backoff had reached 5 s, and a 20-second workflow run is not
noticed 10 s late because the backoff had reached 10 s (the old schedule: a recovery at
``--time-scale 0.05`` took 1.45× its critical path, all of it poll gaps). Long waits still back
off to ``max_interval``, so a 10-minute crawl costs a few hundred cheap ``Get*`` calls at most
(``ratio`` 0.02: about 50 calls in the first 5 s, then one more each time the wait grows by 2 %).
Set ``ratio=None`` for the plain backoff schedule.

On timeout it raises :class:`PollTimeout` carrying the last value seen, so callers report *what*
was still pending. The clock and sleep are injectable for tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

T = TypeVar("T")

#: default fraction of the time already waited that a poll gap may not exceed
DEFAULT_RATIO = 0.02
#: default shortest poll gap (seconds)
DEFAULT_MIN_INTERVAL = 0.1


class PollTimeout(Exception):
    def __init__(self, what: str, waited: float, last: object) -> None:
        super().__init__(f"timed out after {waited:.1f}s waiting for {what}; last seen: {last!r}")
        self.what = what
        self.waited = waited
        self.last = last


@dataclass
class Poller(Generic[T]):
    initial: float = 1.0
    factor: float = 1.5
    max_interval: float = 15.0
    ratio: float | None = DEFAULT_RATIO
    min_interval: float = DEFAULT_MIN_INTERVAL
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.ratio is not None and not self.ratio > 0:
            raise ValueError(f"ratio must be > 0 or None, got {self.ratio!r}")
        if not self.min_interval > 0 or not self.initial > 0 or not self.max_interval > 0:
            raise ValueError("initial, min_interval and max_interval must be > 0")

    def gap(self, backoff: float, elapsed: float) -> float:
        """The pause before the next poll: see the module doc."""
        if self.ratio is None:
            return backoff
        return min(backoff, max(self.min_interval, self.ratio * elapsed))

    def wait_for(self, what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout: float,
                 on_poll: Callable[[T, float], None] | None = None) -> T:
        start = self.clock()
        backoff = self.initial
        while True:
            value = probe()
            elapsed = self.clock() - start
            if on_poll is not None:
                on_poll(value, elapsed)
            if done(value):
                return value
            if elapsed >= timeout:
                raise PollTimeout(what, elapsed, value)
            self.sleep(min(self.gap(backoff, elapsed), max(0.0, timeout - elapsed)))
            backoff = min(backoff * self.factor, self.max_interval)


def wait_for(what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout: float,
             initial: float = 1.0, max_interval: float = 15.0,
             on_poll: Callable[[T, float], None] | None = None) -> T:
    return Poller(initial=initial, max_interval=max_interval).wait_for(what, probe, done, timeout, on_poll)

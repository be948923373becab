"""Polling with backoff and a deadline — the runbook's fixed sleeps (90 s, 60 s, 10 × 30 s, 8 s)
replaced by "check until done or out of time".

``wait_for`` calls ``probe`` until ``done(value)`` is true, sleeping ``initial`` seconds and then
multiplying the pause by ``factor`` up to ``max_interval``. On timeout it raises
:class:`PollTimeout` carrying the last value seen, so callers report *what* was still pending.
The clock and sleep are injectable for tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


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
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def wait_for(self, what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout: float,
                 on_poll: Callable[[T, float], None] | None = None) -> T:
        start = self.clock()
        interval = self.initial
        while True:
            value = probe()
            elapsed = self.clock() - start
            if on_poll is not None:
                on_poll(value, elapsed)
            if done(value):
                return value
            if elapsed >= timeout:
                raise PollTimeout(what, elapsed, value)
            self.sleep(min(interval, max(0.0, timeout - elapsed)))
            interval = min(interval * self.factor, self.max_interval)


def wait_for(what: str, probe: Callable[[], T], done: Callable[[T], bool], timeout: float,
             initial: float = 1.0, max_interval: float = 15.0,
             on_poll: Callable[[T, float], None] | None = None) -> T:
    return Poller(initial=initial, max_interval=max_interval).wait_for(what, probe, done, timeout, on_poll)

"""lakegate.polling: poll gaps follow the duration of what is awaited (simulated clock, no sleeping)."""

from __future__ import annotations

import pytest

from lakegate.polling import Poller, PollTimeout


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        self.probes = 0

    def clock(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        assert s >= 0
        self.sleeps.append(s)
        self.t += s


def _seen_at(poller_kwargs: dict, finishes_at: float, timeout: float = 10_000) -> tuple[float, int]:
    """When does a poller notice an operation that finishes ``finishes_at`` s after the start?"""
    fc = FakeClock()
    p = Poller(clock=fc.clock, sleep=fc.sleep, **poller_kwargs)

    def probe() -> bool:
        fc.probes += 1
        return fc.t >= finishes_at

    p.wait_for("op", probe, bool, timeout=timeout)
    return fc.t, fc.probes


# the pollers the runbook and the recovery construct (lakegate/runbook.py, lakegate/recovery.py)
CALLERS = [dict(initial=1.0, max_interval=10.0), dict(initial=2.0, max_interval=10.0),
           dict(initial=2.0, max_interval=30.0), dict(initial=0.2, max_interval=5.0), {}]


@pytest.mark.parametrize("kwargs", CALLERS)
@pytest.mark.parametrize("d", [0.05, 0.4, 1.0, 3.0, 4.5, 7.3, 19.0, 22.0, 60.0, 95.0, 600.0, 1800.0])
def test_an_operation_is_seen_finished_within_two_percent_of_its_duration(kwargs, d):
    seen, _ = _seen_at(kwargs, d)
    assert d <= seen <= d + max(0.02 * d, 0.1) + 1e-9


@pytest.mark.parametrize("d", [3.0, 19.0, 22.0])
def test_the_plain_backoff_overshoots_by_seconds(d):
    """The schedule before this change (kept as ratio=None) noticed a 19 s run ~7 s late."""
    seen_old, _ = _seen_at(dict(initial=2.0, max_interval=10.0, ratio=None), d)
    seen_new, _ = _seen_at(dict(initial=2.0, max_interval=10.0), d)
    assert seen_old - d > 1.0
    assert seen_new - d <= max(0.02 * d, 0.1) + 1e-9


def test_long_waits_still_back_off_to_max_interval():
    # a 30-minute run: a few hundred polls, not one every 0.1 s
    _, probes = _seen_at(dict(initial=2.0, max_interval=30.0), 1800.0)
    assert probes < 400
    fc = FakeClock()
    p = Poller(initial=2.0, max_interval=30.0, clock=fc.clock, sleep=fc.sleep)
    with pytest.raises(PollTimeout):
        p.wait_for("op", lambda: False, bool, timeout=3600)
    assert max(fc.sleeps) == pytest.approx(30.0)
    assert min(fc.sleeps) == pytest.approx(0.1)


def test_gaps_never_exceed_the_backoff_schedule():
    fc = FakeClock()
    p = Poller(initial=1, factor=2, max_interval=3, clock=fc.clock, sleep=fc.sleep)
    with pytest.raises(PollTimeout):
        p.wait_for("op", lambda: False, bool, timeout=400)
    schedule = [1, 2, 3]
    for i, s in enumerate(fc.sleeps[:-1]):
        assert s <= schedule[min(i, 2)] + 1e-9


def test_plain_backoff_when_ratio_is_none():
    fc = FakeClock()
    values = iter(["RUNNING", "RUNNING", "RUNNING", "READY"])
    p = Poller(initial=1, factor=2, max_interval=3, ratio=None, clock=fc.clock, sleep=fc.sleep)
    assert p.wait_for("crawler", lambda: next(values), lambda v: v == "READY", timeout=60) == "READY"
    assert fc.sleeps == [1, 2, 3]


def test_the_last_gap_stops_at_the_deadline():
    fc = FakeClock()
    p = Poller(initial=5, clock=fc.clock, sleep=fc.sleep)
    with pytest.raises(PollTimeout) as err:
        p.wait_for("workflow run", lambda: "RUNNING", lambda v: v == "COMPLETED", timeout=20)
    assert err.value.last == "RUNNING" and err.value.waited >= 20
    assert sum(fc.sleeps) == pytest.approx(20)


@pytest.mark.parametrize("bad", [dict(ratio=0), dict(ratio=-1), dict(min_interval=0), dict(initial=0)])
def test_invalid_settings_are_refused(bad):
    with pytest.raises(ValueError):
        Poller(**bad)

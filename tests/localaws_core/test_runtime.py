"""Runtime: timing profiles, scaling, the delayed scheduler and background error capture."""

from __future__ import annotations

import threading
import time

import pytest

from localaws.runtime import PROFILES, Runtime


@pytest.fixture()
def rt():
    r = Runtime()
    yield r
    r.shutdown()


def test_fast_profile_is_default_and_short(rt: Runtime) -> None:
    assert rt.timing == "fast"
    assert rt.duration("crawler") == pytest.approx(0.3)
    assert rt.duration("job") == pytest.approx(0.2)
    assert rt.duration("athena") == 0.0


def test_realistic_profile_scaled() -> None:
    r = Runtime(timing="realistic", time_scale=0.1)
    try:
        assert r.duration("crawler") == pytest.approx(PROFILES["realistic"]["crawler"] * 0.1)
        assert r.duration("job") == pytest.approx(9.0)
        assert r.duration("crawler") > Runtime().duration("crawler")
    finally:
        r.shutdown()


def test_unknown_kind_and_bad_settings_fail_loudly(rt: Runtime) -> None:
    with pytest.raises(KeyError, match="unknown duration kind"):
        rt.duration("nap")
    with pytest.raises(ValueError, match="timing profile"):
        Runtime(timing="slow")
    with pytest.raises(ValueError, match="time scale"):
        Runtime(time_scale=0)


def test_later_runs_in_due_order_and_not_before_due(rt: Runtime) -> None:
    seen: list[tuple[str, float]] = []
    done = threading.Event()
    t0 = time.monotonic()
    rt.later(0.15, lambda: (seen.append(("b", time.monotonic() - t0)), done.set()))
    rt.later(0.05, lambda: seen.append(("a", time.monotonic() - t0)))
    assert done.wait(5)
    assert [s[0] for s in seen] == ["a", "b"]
    assert seen[0][1] >= 0.05 and seen[1][1] >= 0.15


def test_cancelled_item_never_runs(rt: Runtime) -> None:
    ran = threading.Event()
    item = rt.later(0.05, ran.set)
    item.cancel()
    time.sleep(0.2)
    assert not ran.is_set()


def test_submit_returns_future_and_errors_are_recorded(rt: Runtime) -> None:
    assert rt.submit(lambda x: x * 2, 21).result(timeout=5) == 42

    def boom() -> None:
        raise RuntimeError("kaput")

    fut = rt.submit(boom)
    with pytest.raises(RuntimeError):
        fut.result(timeout=5)
    assert any("kaput" in e for e in rt.errors)


def test_lock_is_reentrant(rt: Runtime) -> None:
    with rt.lock:
        with rt.lock:
            pass

"""Opt-in: CPU seconds per test (``LAKEGATE_TEST_CPU_LOG=FILE``), to find what makes CI slow.

With 2 shared cores the suite's *CPU* total, not its wall time, bounds how fast CI can be. For
each test phase (setup/call/teardown) this appends one JSON line to FILE with the wall seconds and
the CPU seconds of this pytest process plus the children it waited for (``RUSAGE_CHILDREN``:
terraform, the provider, the aws CLI, servers the test stopped and reaped), and of descendants
still alive at the end of the phase (read from ``/proc``: a session-wide server). The background
lanes inherit the variable, so their tests land in the same file. Servers a CLI detached (their
parent exited) are not counted here; ``bench/cpu_time.py`` around the whole run counts them.

Summarise with ``python bench/cpu_table.py FILE``. Nothing here changes what a test does.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import pytest

ENV = "LAKEGATE_TEST_CPU_LOG"
_TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out.extend(int(c) for c in (task / "children").read_text().split())
    except OSError:
        pass
    return out


def _cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    # utime + stime, and cutime + cstime: what the process's own children cost once it reaped them
    # (the aws CLI zygote's forked calls, a server's job-run subprocesses)
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / _TICK


def _descendants_cpu() -> dict[int, float]:
    """CPU seconds of this process's live descendants by pid, without the background lanes (each
    lane's tests are recorded by the lane itself)."""
    from tests import _background

    out: dict[int, float] = {}
    stack = [c for c in _children(os.getpid()) if c not in _background.LANE_PIDS]
    while stack:
        pid = stack.pop()
        out[pid] = _cpu(pid)
        stack.extend(_children(pid))
    return out


def _own() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _phase(item: pytest.Item, when: str):
    path = os.environ.get(ENV)
    if not path:
        yield
        return
    before_own, before_live, t0 = _own(), _descendants_cpu(), time.monotonic()
    yield
    live = _descendants_cpu()
    # live descendants: their CPU during the phase; those reaped meanwhile are in RUSAGE_CHILDREN
    live_cpu = sum(v - before_live.get(pid, 0.0) for pid, v in live.items())
    # one that ended during the phase: RUSAGE_CHILDREN now holds its whole life; count only the
    # part after the phase began (approximate for a grandchild its parent reaped)
    live_cpu -= sum(v for pid, v in before_live.items() if pid not in live)
    rec = {"nodeid": item.nodeid, "when": when, "wall": round(time.monotonic() - t0, 2),
           "cpu": round(_own() - before_own + live_cpu, 2), "lane": os.environ.get(
               "LAKEGATE_TEST_LANE_RESULTS", "") != "", "pid": os.getpid()}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(rec) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    yield from _phase(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    yield from _phase(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):  # noqa: ANN001
    yield from _phase(item, "teardown")

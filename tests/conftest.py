"""Session-wide test settings for tests/ (speed only; no test's assertions depend on them).

* ``GOGC=400`` for the Go binaries the tests run (terraform and the ~675 MB AWS provider, which
  is started 1-3 times per terraform command). Measured: plan + show -json of terraform/ 10.4 s
  CPU with Go's default GOGC=100, 8.0 s with 400 (peak RSS +~40 MB). A value set by the caller
  wins.
* Background lanes for a few long end-to-end tests, and the runbook scenario items reporting the
  verdicts of the lane's full ``lakegate smoke`` run: see :mod:`tests._background`.
* One deploy cache for the whole run (``LAKEGATE_DEPLOY_CACHE``, lakegate.deploy), in
  ``.lakegate/test-deploy-cache`` of the checkout, inherited by the lanes and the scenarios' pytest
  child: the end-to-end test applies ``terraform/`` from nothing (``cache="refresh"``) and saves
  the result; the scenarios' and the smoke test's deploys of the same configuration into their
  own pristine local AWS then restore it and run the same ``terraform apply`` (every resource
  refreshed, nothing to change) instead of paying the provider's fixed ~55 s lifecycle wait
  again. A value set by the caller wins (``off`` disables the cache).
* One offline plan of ``terraform/`` per session (fixture ``reference_offline_plan``,
  tests/terraform/reference_plan.py): the configuration contract tests and the gate's "the real
  pipeline is clean" test read the same plain-terraform plan instead of each making one.
* ``MOTO_IAM_LOAD_MANAGED_POLICIES`` does not leak from collection into the session. Importing
  ``localaws.server`` (test_server.py and test_cli_local.py do, at collection) sets it to
  ``true`` in this process, which is right for a server but made every *in-process*
  ``mock_aws()`` start and stop afterwards reload ~1,100 AWS managed policies into IAM: 3-10 s of
  setup + teardown per test in tests/localaws_core/test_tabledata*.py and tests/localaws_glue
  (measured: test_server + the two tabledata files 152 s with the leak, 15 s without). No
  in-process test uses AWS managed policies; the local AWS servers the tests start set the
  variable themselves (``lakegate.localenv.start`` and ``localaws.server``). A value the caller
  set before the run is kept.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests import _background

os.environ.setdefault("GOGC", "400")
os.environ.setdefault("LAKEGATE_DEPLOY_CACHE",
                      str(Path(__file__).resolve().parent.parent / ".lakegate" / "test-deploy-cache"))

_MANAGED_POLICIES = "MOTO_IAM_LOAD_MANAGED_POLICIES"
_MANAGED_POLICIES_BEFORE = os.environ.get(_MANAGED_POLICIES)  # before any test module is imported

_RUNNER = pytest.StashKey[_background.LaneRunner]()


@pytest.fixture(scope="session")
def reference_offline_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``{"validate": ..., "plan": ...}`` of ``terraform/``, offline, once per session; treat as
    read-only (tests that change it take a copy)."""
    from tests.terraform.reference_plan import offline_results

    return offline_results(tmp_path_factory.mktemp("tfpipeline"))


def _lanes_enabled(config: pytest.Config) -> bool:
    return (os.environ.get(_background.SWITCH_ENV, "1") != "0" and not _background.in_lane()
            and not config.option.collectonly)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Lane tests go last: by the time the session reaches them their lane has finished."""
    if not _lanes_enabled(config):
        return
    wanted = set(_background.wanted())
    lane_items = [i for i in items if i.nodeid in wanted]
    if lane_items and len(lane_items) < len(items):
        # the runbook scenario items that will report SCENARIO_RUN's verdicts go last of all
        scenario_items = [i for i in items if i.nodeid not in wanted and _background.scenario_ids(i)] \
            if any(i.nodeid == _background.SCENARIO_RUN for i in lane_items) else []
        moved = {id(i) for i in lane_items + scenario_items}
        items[:] = [i for i in items if id(i) not in moved] + lane_items + scenario_items


def pytest_collection_finish(session: pytest.Session) -> None:
    if os.environ.get(_MANAGED_POLICIES) != _MANAGED_POLICIES_BEFORE:
        if _MANAGED_POLICIES_BEFORE is None:
            os.environ.pop(_MANAGED_POLICIES, None)
        else:
            os.environ[_MANAGED_POLICIES] = _MANAGED_POLICIES_BEFORE
    config = session.config
    if not _lanes_enabled(config):
        return
    wanted = set(_background.wanted())
    selected = {i.nodeid for i in session.items if i.nodeid in wanted}
    if not selected or len(selected) == len(session.items):
        return  # nothing to overlap with: run them in this session as usual
    factory = getattr(config, "_tmp_path_factory", None)  # pytest's own (old runs are pruned)
    base = factory.mktemp("lanes") if factory is not None else Path(tempfile.mkdtemp(prefix="lanes-"))
    runner = _background.LaneRunner(config, base)
    config.stash[_RUNNER] = runner
    runner.start(selected)
    runner.adopt_scenarios(session.items)
    for item in session.items:
        if item.nodeid in runner.by_nodeid:
            _background.without_fixtures(item)
    config.pluginmanager.register(_background.Answers(runner), "lakegate-lane-answers")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _background.in_lane():
        _background.record(report)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None:
        terminalreporter.section("background lanes (tests/_background.py)")
        for line in runner.summary():
            terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER, None)
    if runner is not None:
        runner.stop()

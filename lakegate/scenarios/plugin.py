"""The pytest plugin of the runbook scenarios (pytest-bdd) and their evidence.

Loaded by ``lakegate smoke`` (``-p lakegate.scenarios.plugin``) and by the repository's root
``conftest.py``. Options:
  --lakegate-env NAME        environment from lakegate.toml (default: local — the embedded local AWS)
  --lakegate-report-dir DIR  where evidence.jsonl is appended (default: reports/ when running
                             features via `lakegate smoke`; a temporary folder otherwise)
  --lakegate-rows N          rows of generated bronze data for the local environment (default 2000)
  --lakegate-plan PLAN.json  the plan the CI gate approved and `terraform apply` applied (BA2/BA3
                             review it; without it they plan the configuration against real state)
  --lakegate-no-render       write the evidence only: the caller renders the reports afterwards
                             (`lakegate smoke` does, once, with the run's final metadata)

Every scenario tagged with a checklist id (``@FV1`` …, see lakegate/checklist.py) appends one
evidence record (status, the steps, what the steps recorded) — the sign-off reports are rendered
from those records.
"""

from __future__ import annotations

import time

import pytest

from lakegate import checklist
from lakegate.scenarios.steps.keys import EVIDENCE_KEY, REPORT_DIR_KEY, SCENARIO_KEY

pytest_plugins = ["lakegate.scenarios.steps.world", "lakegate.scenarios.steps.common_steps",
                  "lakegate.scenarios.steps.before_steps", "lakegate.scenarios.steps.after_steps",
                  "lakegate.scenarios.steps.diagnosis_steps"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lakegate")
    group.addoption("--lakegate-env", default="local", help="environment the scenarios run against (default: local)")
    group.addoption("--lakegate-report-dir", default=None, help="directory for evidence.jsonl")
    group.addoption("--lakegate-rows", type=int, default=2000, help="generated bronze rows for the local environment")
    group.addoption("--lakegate-keep", action="store_true", help="leave the local AWS running after the session")
    group.addoption("--lakegate-plan", default=None,
                    help="plan JSON (terraform show -json) the gate approved and apply applied; BA2/BA3 review it")
    group.addoption("--lakegate-no-render", action="store_true",
                    help="write the evidence only; the caller renders the reports (lakegate smoke does)")


def pytest_configure(config: pytest.Config) -> None:
    import tempfile
    from pathlib import Path

    for it in checklist.ITEMS:
        config.addinivalue_line("markers", f"{it.id}: runbook checklist item — {it.title}")
    chosen = config.getoption("--lakegate-report-dir")
    config.stash[REPORT_DIR_KEY] = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="lakegate-evidence-"))
    config.stash[_TEMP_REPORT_DIR] = not chosen


def pytest_unconfigure(config: pytest.Config) -> None:
    """A temporary evidence folder (no --lakegate-report-dir given) is removed at the end."""
    import shutil

    if config.stash.get(_TEMP_REPORT_DIR, False):
        shutil.rmtree(config.stash[REPORT_DIR_KEY], ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With --lakegate-report-dir, render the sign-off reports from the evidence just written
    (not with --lakegate-no-render: ``lakegate smoke`` renders them once itself, with the final
    metadata, so rendering here too was the same work twice)."""
    if session.config.getoption("--lakegate-no-render"):
        return
    if session.config.getoption("--lakegate-report-dir") and hasattr(session.config, "workerinput") is False:
        from lakegate.reports import write_all

        report_dir = session.config.stash[REPORT_DIR_KEY]
        if (report_dir / "evidence.jsonl").exists():
            write_all(report_dir)


_SECTION_ORDER = {"before": 0, "after": 1, "final": 2, "diagnosis": 3}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run scenarios in the runbook's order: before apply, after apply, final validation, then the
    diagnosis scenarios (which break and recover the environment). Other tests keep their order."""
    def key(pair: tuple[int, pytest.Item]) -> tuple[int, int]:
        index, item = pair
        ids = _items_of(item)
        if not ids:
            return (-1, index)
        return (_SECTION_ORDER[checklist.BY_ID[ids[0]].section], index)

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]


def _items_of(node: pytest.Item) -> list[str]:
    return [m.name for m in node.iter_markers() if m.name in checklist.BY_ID]


def pytest_bdd_before_scenario(request, feature, scenario):
    request.node.stash[SCENARIO_KEY] = (feature.name, scenario.name)
    request.node.stash.setdefault(_STEPS, [])
    request.node.stash[_T0] = time.time()


def pytest_bdd_before_step(request, feature, scenario, step, step_func):
    request.node.stash[_STEP_T0] = time.time()


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    request.node.stash.setdefault(_STEPS, []).append(
        {"keyword": step.keyword, "text": step.name, "status": "PASS",
         "duration": time.time() - request.node.stash.get(_STEP_T0, time.time())})


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    request.node.stash.setdefault(_STEPS, []).append(
        {"keyword": step.keyword, "text": step.name, "status": "FAIL",
         "duration": time.time() - request.node.stash.get(_STEP_T0, time.time())})


def _env_facts(config: pytest.Config) -> tuple[bool, dict[str, str]]:
    """(fault-capable, waivers) of the environment the scenarios run against."""
    if _ENV_FACTS not in config.stash:
        from lakegate.envconfig import get_environment
        from lakegate.errors import LakegateError

        try:
            env = get_environment(config.getoption("--lakegate-env"))
            config.stash[_ENV_FACTS] = (env.fault_capable, dict(env.waivers))
        except LakegateError:     # the world fixture reports the bad environment as a setup failure
            config.stash[_ENV_FACTS] = (False, {})
    return config.stash[_ENV_FACTS]


_ENV_FACTS = pytest.StashKey[tuple]()
_STEPS = pytest.StashKey[list]()
_TEMP_REPORT_DIR = pytest.StashKey[bool]()
_T0 = pytest.StashKey[float]()
_STEP_T0 = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    ids = _items_of(item)
    if not ids:
        return report
    done = report.when == "call" or (report.when == "setup" and not report.passed)
    if not done:
        return report
    from lakegate import evidence as ev

    report_dir = item.config.stash.get(REPORT_DIR_KEY, None)
    if report_dir is None:
        return report
    box = item.stash.get(EVIDENCE_KEY, {})
    if report.passed:
        status, failure = "PASS", ""
    elif report.skipped:
        status = "SKIP"
        failure = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    else:
        status = "FAIL"
        crash = getattr(report.longrepr, "reprcrash", None)
        failure = crash.message if crash is not None else str(report.longrepr)
    feature, name = item.stash.get(SCENARIO_KEY, ("", item.name))
    fault_capable, waivers = _env_facts(item.config)
    for item_id in ids:
        ev.append(report_dir, ev.Record(
            item_id=item_id, scenario=name, status=status, feature=feature,
            started=item.stash.get(_T0, time.time()), finished=time.time(),
            evidence=dict(box), failure=failure, steps=list(item.stash.get(_STEPS, [])),
            env=item.config.getoption("--lakegate-env"),
            applies=checklist.applies(item_id, fault_capable),
            rehearsal=checklist.is_rehearsal(item_id, fault_capable),
            waiver=waivers.get(item_id) if status == "SKIP" else None))
    return report


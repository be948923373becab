"""Run a few long, mostly-waiting end-to-end tests in background pytest processes ("lanes").

Why: the suite's wall time is dominated by a handful of end-to-end tests that spend most of their
time *waiting* — the AWS provider's lifecycle-settling wait (a fixed ~55 s per fresh apply: after
``PutBucketLifecycleConfiguration`` it polls 10 times, 5 s apart, after a 10 s delay, even when
every answer already equals what was put), terraform/provider start-up, a pip install of the
isolated checkov venv. While one of them waits, the rest of the suite could use the CPU. So the
tests listed in :data:`LANES` are started at the beginning of the session in a separate
``python -m pytest <node ids>`` process per lane, and their items in this session are moved to the
end and only *report* what the lane recorded for them.

What is and is not changed:
* The listed tests run unchanged — same code, same fixtures, same assertions — in an ordinary
  pytest process; a failure, error or skip there is the failure, error or skip of the item here
  (with the lane's traceback and captured output). A lane that dies or never reports a test fails
  that test. Nothing is skipped to save time.
* Only these tests are affected; they start their own local AWS/moto servers, use their own temp
  folders and state files, and are independent of the session's other tests (a separate process
  also means ``monkeypatch``-ed environment variables of other tests cannot leak into them).
  Their fixtures are set up in the lane only: the main session's item for a lane test requests
  none (:func:`without_fixtures`), so a module- or session-scoped fixture is not built twice.
* Not pytest-xdist: a lane is one sequential process, and the runbook scenarios are never lane
  tests. But when :data:`SCENARIO_RUN` (the full ``lakegate smoke --env local``, two worlds, as a
  user runs it) is in a lane, the main session's runbook scenario items report the verdict that
  run recorded for their scenario (its evidence.json: pass, skip with the reason, or fail with the
  failure text, the steps and the scenario's part of the run's output) instead of running all 27
  scenarios a second time in this process; a scenario the run did not record fails. Without that
  lane (lanes off, inside a lane, ``--collect-only``, or a session that did not select
  SCENARIO_RUN, e.g. ``pytest lakegate/scenarios``) they run in-process as before.
* Off when it cannot help or would surprise: when the session selected only lane tests (running
  one of them by hand gives the usual in-process run), with ``--collect-only``, inside a lane, or
  with ``LAKEGATE_TEST_LANES=0``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: the lane test that runs the full ``lakegate smoke --env local`` (two worlds) and records, per
#: runbook scenario, the verdict that run's evidence.json holds (:func:`record_scenarios`); while it
#: runs in a lane, the main session's scenario items report those verdicts (:func:`scenario_key`)
SCENARIO_RUN = "tests/smoke/test_smoke_e2e.py::test_full_smoke_in_two_worlds_is_go"

#: node ids per lane, each lane one sequential pytest process (2 cores; the lanes mostly wait on
#: terraform/provider and server start-up, so the lanes + the session overlap well)
LANES: tuple[tuple[str, ...], ...] = (
    ("tests/localaws_core/test_terraform_e2e.py::test_deploy_plan_clean_change_destroy",
     "tests/smoke/test_smoke_e2e.py::test_smoke_against_the_local_aws",
     # state pods: several local AWS servers each (moved from lane 3, the longest lane, once the
     # checkov venv and the release venv were made with uv)
     "tests/speed/test_snapshot.py::test_snapshot_then_up_from_it_has_the_same_state",
     "tests/speed/test_snapshot.py::test_a_snapshot_from_another_moto_version_is_refused",
     "tests/speed/test_snapshot.py::test_a_busy_local_aws_is_not_snapshotted",
     # moved from lane 2: per-test CPU (tests/_cpu_profile.py, bench/RESULTS.md "CI time") was
     # lane 1 198 CPU-s, lane 2 281, lane 3 225; with this test (58) 256 / 223 / 225
     "tests/terraform/test_driver.py::test_real_local_target_apply_outputs_destroy_share_state",
     # moved from lane 2 (session 4, bench/RESULTS.md "Session 4, tests"): ci6 lane walls were
     # 835 / 1087 / 843 / 1266 s; lane 2 also lost test_real_pipeline_plan_is_clean (it reads the
     # session's one plan of terraform/ now, in the main session)
     "tests/terraform/test_driver.py::test_reference_pipeline_plans_offline",
     # moved from lane 2 in session 5, which took the aws CLI contract module (ci7: 50 s wall;
     # lane 1 lost ~13 s with the merged CLI plan test and the e2e test's cheaper change/destroy)
     "tests/gate_outputs/test_checkov_runner.py::test_real_checkov_run_and_crashing_custom_check"),
    # offline plans (terraform + provider start-up, CPU on the second core)
    ("tests/gate/test_slow_terraform.py::test_pipeline_fixture_regenerates_from_its_tf",
     "tests/gate/test_cli_suppress_checkov.py::test_directory_input_runs_checkov_on_the_drivers_plan_json",
     "tests/safety/test_slow_replace.py::test_guarded_bucket_rename_is_reported_and_local_teardown_still_works",
     # Glue scripts on local PySpark (JVM start-up per job run)
     "tests/spark_runtime/test_spark_jobs_slow.py::test_dynamic_frame_catalog_to_partitioned_parquet_with_bookmark",
     "tests/spark_runtime/test_spark_jobs_slow.py::test_job_reads_the_catalog_table_another_job_wrote",
     "tests/spark_runtime/test_spark_jobs_slow.py::test_spark_read_csv_json_to_partition_by_same_as_plain_pyspark",
     "tests/spark_runtime/test_spark_jobs_slow.py::test_missing_column_fails_with_sparks_own_message",
     "tests/spark_runtime/test_spark_jobs_slow.py::test_dynamic_frame_methods_and_s3_sources_in_process",
     # session 5 (bench/RESULTS.md "Session 5, terraform tests"): the aws CLI contract module, all
     # five tests (one module-scoped local AWS and crawl, built in the lane only), from the main
     # session, which was the critical path in ci7 (its own tests 683 s of wall, these 180 s of it,
     # mostly waiting on simulated crawler/job/workflow time) while the lanes took 421-633 s; this
     # lane was the shortest (421 s), and gave the real checkov run (50 s) to lane 1.
     # session 5, e2e (bench/RESULTS.md "Session 5, e2e"): the full rehearsal, two worlds, whose
    # run also answers for the main session's 27 runbook scenario items (SCENARIO_RUN below);
    # this lane was the shortest in ci9 (497 s against 596-640 s); before the aws CLI tests:
    SCENARIO_RUN,
    # Last in the lane: by then most other lanes are done (less load for their timing contracts)
     "tests/localaws_glue/test_aws_cli_contract.py::test_start_crawler_states_over_time_twice_running_and_metrics",
     "tests/localaws_glue/test_aws_cli_contract.py::test_job_bookmark_of_a_never_run_job_is_entity_not_found",
     "tests/localaws_glue/test_aws_cli_contract.py::test_job_run_lifecycle_bookmark_batch_stop_and_reset",
     "tests/localaws_glue/test_aws_cli_contract.py::test_workflow_run_statistics_graph_and_runs",
     "tests/localaws_glue/test_aws_cli_contract.py::test_stop_workflow_run_held_by_stuck_run_fault"),
    # wheel into a fresh virtualenv, plain terraform apply, kind = "aws" environment (the longest
    # lane test: first), then the deploy cache (small real applies into several local AWS servers;
    # the second test moved here from the main session in session 4: mostly waiting on terraform)
    ("tests/release/test_release_stage.py::test_release_stage_from_a_wheel_against_a_live_kind_environment",
     "tests/speed/test_deploy_cache.py::test_second_deploy_restores_then_applies_and_a_change_is_a_new_key"),
    # a user's pipeline (tests/pipelines/shop_orders: real Glue scripts on local PySpark, crawlers,
    # a workflow) through `lakegate smoke`, and the Spark catalog I/O tests: JVM start-ups, mostly
    # one core, so they get a lane of their own
    ("tests/pipelines/test_shop_orders_smoke.py::test_smoke_runs_a_users_pipeline_to_completed",
     "tests/spark_runtime/test_spark_catalog_io_slow.py::test_json_catalog_table_to_a_catalog_parquet_table",
     "tests/spark_runtime/test_spark_catalog_io_slow.py::test_job_timeout_ends_the_run_in_state_timeout"),
)

#: pids of the lanes this session started (tests/_cpu_profile.py leaves their CPU to them)
LANE_PIDS: set[int] = set()

SWITCH_ENV = "LAKEGATE_TEST_LANES"          # "0": run everything in the session
CHILD_ENV = "LAKEGATE_TEST_LANE_RESULTS"    # set inside a lane: where it records its reports
TIMEOUT_ENV = "LAKEGATE_TEST_LANE_TIMEOUT"  # seconds an item waits for its lane (default 1800)


@dataclass
class Lane:
    index: int
    nodeids: list[str]
    results: Path
    log: Path
    proc: subprocess.Popen | None = None
    started: float = 0.0  # time.time()
    reports: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _offset: int = 0

    def poll(self) -> None:
        """Read the reports the lane appended since the last poll."""
        if not self.results.exists():
            return
        with open(self.results, encoding="utf-8") as handle:
            handle.seek(self._offset)
            while True:
                line = handle.readline()
                if not line.endswith("\n"):
                    break  # not complete yet; re-read next time
                self._offset = handle.tell()
                rec = json.loads(line)
                self.reports.setdefault(rec["nodeid"], []).append(rec)

    def finished(self, nodeid: str) -> bool:
        return any(r["when"] == "teardown" for r in self.reports.get(nodeid, []))


def in_lane() -> bool:
    return bool(os.environ.get(CHILD_ENV))


def wanted() -> list[str]:
    return [n for lane in LANES for n in lane]


def without_fixtures(item: pytest.Item) -> None:
    """In the main session, a lane test's item only reports what its lane recorded: its fixtures
    (a module-scoped local AWS, a session-wide plan, ...) are set up in the lane, so here they are
    not requested at all (before, the main session built them too and never used them)."""
    if hasattr(item, "fixturenames"):
        item.fixturenames = []


def record(report: pytest.TestReport) -> None:
    """Inside a lane: append one report (setup/call/teardown) for the main session to read."""
    if report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
    else:
        text = report.longreprtext
    _append({"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome, "at": time.time(),
             "duration": report.duration, "longrepr": text,
             "sections": [[title, body] for title, body in report.sections]})


def _append(rec: dict[str, Any]) -> None:
    with open(os.environ[CHILD_ENV], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(rec) + "\n")


# --- the runbook scenarios answered by the SCENARIO_RUN lane test ---------------------------------

def scenario_ids(item: pytest.Item) -> list[str]:
    """The checklist ids of a runbook scenario item (a test under the ``lakegate.scenarios``
    package with checklist markers); [] for any other item."""
    from lakegate import checklist

    if not Path(str(item.path)).resolve().is_relative_to(_scenarios_root()):
        return []
    return sorted({m.name for m in item.iter_markers() if m.name in checklist.BY_ID})


@functools.cache
def _scenarios_root() -> Path:
    import lakegate.scenarios

    return Path(lakegate.scenarios.__file__).resolve().parent


def scenario_key(ids: list[str] | set[str]) -> str:
    """Where a scenario's verdict is recorded in the lane's reports (the lane's test names differ
    from the main session's node ids: the checklist ids are what both sides know)."""
    return "runbook scenario " + " ".join(sorted(ids))


def record_scenarios(report_dir: Path, output: str) -> int:
    """Inside a lane, in :data:`SCENARIO_RUN`: one "call" report per scenario of the run's
    ``evidence.json`` (its verdict: PASS passed, SKIP skipped with its reason, anything else failed
    with the failure text and steps, and the scenario's part of ``output``, the run's pytest output,
    as captured output). Scenarios the run did not record get nothing: their items then fail.
    Returns how many were recorded (0 outside a lane)."""
    if not in_lane():
        return 0
    doc = json.loads((report_dir / "evidence.json").read_text(encoding="utf-8"))
    scenarios: dict[tuple[str, str], tuple[set[str], list[dict[str, Any]]]] = {}
    for entry in doc["items"]:
        for rec in entry["records"]:
            ids, recs = scenarios.setdefault((rec["feature"], rec["scenario"]), (set(), []))
            ids.add(entry["id"])
            recs.append(dict(rec, id=entry["id"]))
    for (feature, scenario), (ids, recs) in scenarios.items():
        statuses = {r["status"] for r in recs}
        outcome = ("failed" if statuses - {"PASS", "SKIP"} else "skipped" if "SKIP" in statuses
                   else "passed")
        text, sections = "", []
        if outcome != "passed":
            text = "\n".join(f"{r['id']} {r['status']} in the `lakegate smoke` run ({report_dir}): "
                             f"{r['failure']}" for r in recs)
            steps = "\n".join(f"  {s['status']} {s['keyword']} {s['text']}" for s in recs[0]["steps"])
            text += f"\n{feature}: {scenario}\n{steps}"
            sections = [["lakegate smoke output", _output_of(output, scenario)]]
        _append({"nodeid": scenario_key(ids), "when": "call", "outcome": outcome, "at": time.time(),
                 "duration": max(r["finished"] for r in recs) - min(r["started"] for r in recs),
                 "longrepr": text, "sections": sections})
    return len(scenarios)


def _output_of(output: str, scenario: str) -> str:
    """The blocks of pytest's report (FAILURES/ERRORS) about ``scenario``'s test, else the tail."""
    from pytest_bdd.scenario import make_python_name  # the name pytest-bdd gives its test

    name = re.escape("test_" + make_python_name(scenario))
    blocks = re.split(r"(?m)^(?=_{3,} .* _{3,}$|={3,} )", output)
    hits = [b for b in blocks if re.match(rf"_+ {name}(_\d+)?(\[\S*\])? _+$", b.split("\n", 1)[0])]
    return "".join(hits) or output[-8000:]


class Answers:
    """Plugin registered by a session that started lanes: an item a lane answers for reports the
    lane's verdict. A plugin rather than a hook of tests/conftest.py, whose per-item hooks do not
    reach the runbook scenario items (lakegate/scenarios is outside tests/)."""

    def __init__(self, runner: "LaneRunner") -> None:
        self.runner = runner

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        if pyfuncitem.nodeid not in self.runner.by_nodeid:
            return None
        self.runner.answer(pyfuncitem)
        return True


class LaneRunner:
    """Starts the lanes, answers for their items, stops them at the end of the session."""

    def __init__(self, config: pytest.Config, base: Path) -> None:
        self.config = config
        self.base = base
        self.lanes: list[Lane] = []
        self.by_nodeid: dict[str, Lane] = {}
        #: main-session node id -> (key of its reports in the lane, node id whose end means they are in)
        self.keys: dict[str, tuple[str, str]] = {}

    def start(self, selected: set[str]) -> None:
        root = Path(str(self.config.rootpath))
        for index, ids in enumerate(LANES, 1):
            nodeids = [n for n in ids if n in selected]
            if not nodeids:
                continue
            folder = self.base / f"lane{index}"
            folder.mkdir(parents=True, exist_ok=True)
            lane = Lane(index, nodeids, folder / "reports.jsonl", folder / "pytest.log")
            env = dict(os.environ)
            env[CHILD_ENV] = str(lane.results)
            env.pop("PYTEST_ADDOPTS", None)
            cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                   "--basetemp", str(folder / "tmp"), "--durations=0", *nodeids]
            with open(lane.log, "w", encoding="utf-8") as log:
                # own session: a Ctrl-C of the main run is forwarded by stop(), not duplicated
                lane.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
            lane.started = time.time()
            LANE_PIDS.add(lane.proc.pid)
            self.lanes.append(lane)
            for n in nodeids:
                self.by_nodeid[n] = lane

    def adopt_scenarios(self, items: list[pytest.Item]) -> list[pytest.Item]:
        """When :data:`SCENARIO_RUN` runs in a lane, the runbook scenario items among ``items``
        report what its run recorded for their scenario instead of running again here."""
        lane = self.by_nodeid.get(SCENARIO_RUN)
        adopted = []
        for item in items if lane is not None else []:
            ids = scenario_ids(item)
            if ids and item.nodeid not in self.by_nodeid:
                self.by_nodeid[item.nodeid] = lane
                self.keys[item.nodeid] = (scenario_key(ids), SCENARIO_RUN)
                adopted.append(item)
        return adopted

    def answer(self, item: pytest.Item) -> None:
        """Wait for the lane's verdict on ``item`` and make it this item's outcome."""
        lane = self.by_nodeid[item.nodeid]
        key, until = self.keys.get(item.nodeid, (item.nodeid, item.nodeid))
        timeout = float(os.environ.get(TIMEOUT_ENV) or 1800)
        deadline = time.monotonic() + timeout
        where = f"(ran in background lane {lane.index}, pid {lane.proc.pid}; log: {lane.log})"
        if until != item.nodeid:
            where = f"(from the `lakegate smoke` run of {until}, which {where[1:]}"
        while True:
            lane.poll()
            if lane.finished(until):
                break
            if lane.proc.poll() is not None:
                lane.poll()
                if lane.finished(until):
                    break
                pytest.fail(f"the background lane exited (code {lane.proc.returncode}) without "
                            f"finishing this test {where}\n{_tail(lane.log)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"no result from the background lane within {timeout:.0f} s {where} "
                            f"(raise {TIMEOUT_ENV})\n{_tail(lane.log)}", pytrace=False)
            time.sleep(0.2)
        reports = lane.reports.get(key, [])
        if not reports:  # a scenario missing from the run (not reached, or the run died)
            died = "".join(f"\n{r['when']} of {until} {r['outcome']}:\n{r['longrepr']}"
                           for r in lane.reports.get(until, []) if r["outcome"] != "passed")
            pytest.fail(f"the run recorded no verdict for this scenario (it did not reach it, or died) "
                        f"{where}{died}", pytrace=False)
        seen: set[tuple[str, str]] = set()
        for rec in reports:  # a later phase's report repeats the earlier phases' sections
            for title, body in rec["sections"]:
                if (title, body) in seen:
                    continue
                seen.add((title, body))
                # "Captured stdout call" -> key "stdout", when "call" (pytest adds "Captured")
                match = re.fullmatch(r"Captured (\S+) (setup|call|teardown)", title)
                key, when = match.groups() if match else (title, rec["when"])
                item.add_report_section(when, f"{key} (background lane {lane.index})", body)
        for rec in reports:
            if rec["outcome"] == "failed":
                pytest.fail(f"{rec['when']} failed {where}:\n{rec['longrepr']}", pytrace=False)
        for rec in reports:
            if rec["outcome"] == "skipped":
                pytest.skip(f"{rec['longrepr']} {where}")
        if not any(r["when"] == "call" and r["outcome"] == "passed" for r in reports):
            pytest.fail(f"the lane recorded no passing call for this test {where}", pytrace=False)

    def stop(self) -> None:
        """Interrupt lanes still running (the main session ended early), by PID."""
        for lane in self.lanes:
            proc = lane.proc
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGINT)  # pytest runs its finalizers (servers stop)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def summary(self) -> list[str]:
        lines = []
        for lane in self.lanes:
            if lane.proc is not None and all(lane.finished(n) for n in lane.nodeids):
                try:
                    lane.proc.wait(timeout=10)  # reports are in; let it exit for its code
                except subprocess.TimeoutExpired:
                    pass
            lane.poll()
            last = max((r["at"] for recs in lane.reports.values() for r in recs), default=time.time())
            took = last - lane.started  # start to the last report (process exit not observed)
            per = ", ".join(
                f"{n.rsplit('::', 1)[-1]} {sum(r['duration'] for r in lane.reports.get(n, [])):.1f}s"
                for n in lane.nodeids)
            lines.append(f"lane {lane.index}: {took:.1f}s wall, exit "
                         f"{lane.proc.returncode if lane.proc else '-'}: {per} (log {lane.log})")
        return lines


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no lane log)"

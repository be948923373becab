"""lakegate smoke without the local AWS: argument errors, the -m validator, the pytest command,
evidence reset, run metadata and the GO/NO-GO exit code (a fake pytest runner stands in for pytest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakegate import checklist, evidence, smoke
from lakegate.cli import main
from lakegate.errors import LakegateError
from tests.smoke._isolation import isolate

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "lakegate" / "scenarios"
ALL_PASS = {item.id: "PASS" for item in checklist.ITEMS}
LIVE_PASS = {i: s for i, s in ALL_PASS.items() if i not in checklist.REHEARSALS}

OUTPUTS = {
    "workflow_name": "wf", "bronze_crawler_name": "bronze-crawler", "silver_job_name": "silver",
    "gold_current_state_job_name": "gold-cs", "gold_alerts_job_name": "gold-alerts",
    "crawler_names": {"bronze": "bronze-crawler"}, "job_names": {"silver_consolidation": "silver"},
    "database_name": "db", "expected_tables": ["bronze_car_data", "silver_car_telemetry"],
    "athena_workgroup_name": "wg", "athena_result_location": "s3://results/query-results/",
    "bronze_bucket": "bronze", "bronze_data_path": "s3://bronze/bronze/car_data/",
}


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No lakegate.toml from the checkout, no user local-AWS state, no PYTEST_ADDOPTS leaking in."""
    work = isolate(tmp_path, monkeypatch)
    # one pytest child per run here; the two-world split is tested in test_smoke_worlds.py
    monkeypatch.setenv(smoke.WORLDS_ENV, "1")
    return work


class FakePytest:
    """Stands in for the pytest child: records what it was given and writes evidence like the conftest."""

    def __init__(self, rc: int = 0, records: dict[str, str] | None = None, tail: str = "", during=None) -> None:
        self.rc = rc
        self.records = dict(records) if records is not None else dict(ALL_PASS)
        self.tail = tail
        self.during = during
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
        self.calls.append((cmd, env))
        report_dir = Path(cmd[cmd.index("--lakegate-report-dir") + 1])
        for item_id, status in self.records.items():
            evidence.append(report_dir, evidence.Record(
                item_id=item_id, scenario=f"scenario {item_id}", status=status, started=1.0, finished=2.0,
                failure="AssertionError: table missing\nmore" if status == "FAIL" else "",
                evidence={"table": "performance_alerts_log"}))
        if self.during is not None:
            self.during(cmd, env)
        return self.rc, self.tail


def _run(tmp_path, runner, **kw) -> smoke.SmokeResult:
    opts = smoke.SmokeOptions(report_dir=tmp_path / "reports", **kw)
    return smoke.run_smoke(opts, runner=runner, repo=SCENARIOS, git=lambda repo: "abc123")


# --- the -m expression ---------------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["FV1", "FV1 or FV8", " BA4 or FV5 ", "not (P1 or P2) and FV1", "((STEP1))",
                                  "not not S1"])
def test_valid_tag_expressions(expr):
    assert smoke.validate_tags(expr) == expr.strip()


@pytest.mark.parametrize("expr, words", [
    ("", "empty"), ("   ", "empty"), ("FV1 or", "ends too early"), ("FV1 FV8", "unexpected 'FV8'"),
    ("(FV1", "not closed"), ("FV1)", "unexpected ')'"), ("and FV1", "unexpected 'and'"),
    ("FV1 & FV2", "unexpected character '&'"), ("FV9", "unknown checklist id 'FV9'"),
    ("fv1", "did you mean FV1"), ("slow", "unknown checklist id"), ("FV1 or ()", "unexpected ')'"),
])
def test_invalid_tag_expressions(expr, words):
    with pytest.raises(LakegateError) as err:
        smoke.validate_tags(expr)
    assert words in err.value.what
    assert err.value.where == "-m"


def test_unknown_tag_error_lists_every_checklist_id():
    with pytest.raises(LakegateError) as err:
        smoke.validate_tags("FV1 or XX")
    for item in checklist.ITEMS:
        assert item.id in err.value.fix


# --- the pytest command line ---------------------------------------------------------------------

def test_pytest_command_minimal():
    cmd = smoke.pytest_command(Path("/s/steps"), Path("/s/scenarios.ini"), "local", Path("/out"), python="/py")
    assert cmd == ["/py", "-m", "pytest", "/s/steps", "-c", "/s/scenarios.ini", "--rootdir", "/s",
                   "-p", "lakegate.scenarios.plugin", "-p", "no:cacheprovider", "--lakegate-env", "local",
                   "--lakegate-report-dir", "/out", "--lakegate-no-render", "-q"]


def test_pytest_command_full():
    cmd = smoke.pytest_command(Path("/s/steps"), Path("/s/scenarios.ini"), "prod", Path("/out"), tags="FV1 or FV8",
                               rows=500, keep=True, python="/py", plan=Path("/p/plan.json"))
    assert cmd[cmd.index("--lakegate-plan") + 1] == "/p/plan.json"
    assert cmd[cmd.index("--lakegate-env") + 1] == "prod" and cmd[-3:] == ["-m", "FV1 or FV8", "-q"]
    assert "--lakegate-keep" in cmd and cmd[cmd.index("--lakegate-rows") + 1] == "500"
    assert not any(arg in ("-n", "--numprocesses", "--dist") for arg in cmd)  # never under xdist


def test_pytest_command_defaults_to_this_interpreter():
    assert smoke.pytest_command(Path("/s/steps"), Path("/s/x.ini"), "local", Path("/o"))[0] == sys.executable


def test_child_env_drops_pytest_addopts_and_points_at_the_state_file(tmp_path):
    env = smoke.child_env({"PYTEST_ADDOPTS": "-n 4", "PATH": "/bin"}, tmp_path / "s.json")
    assert "PYTEST_ADDOPTS" not in env
    assert env["PATH"] == "/bin" and env["CHECKPOINT_DISABLE"] == "1"
    assert env["LAKEGATE_LOCAL_STATE"] == str(tmp_path / "s.json")
    assert "LAKEGATE_LOCAL_STATE" not in smoke.child_env({"PATH": "/bin"}, None)


# --- locating the scenarios ----------------------------------------------------------------------

def test_the_scenarios_ship_in_the_package():
    steps, ini = smoke.scenarios_location()
    assert steps == SCENARIOS / "steps" and ini == SCENARIOS / "scenarios.ini"
    assert len(list((SCENARIOS / "features").glob("*.feature"))) == 4


def test_missing_scenarios_are_a_clear_error(monkeypatch, tmp_path):
    from lakegate import scenarios

    monkeypatch.setattr(scenarios, "FEATURES", tmp_path / "features")
    with pytest.raises(LakegateError) as err:
        smoke.scenarios_location()
    assert "incomplete" in err.value.what and "features" in err.value.what and "reinstall" in err.value.fix


def test_missing_pytest_is_a_clear_error_not_a_no_go(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pytest_bdd" else real(name, *a))
    with pytest.raises(LakegateError) as err:
        smoke.scenarios_location()
    assert "pytest_bdd not installed" in err.value.what and "pip install" in err.value.fix


# --- CLI argument errors (exit 2, nothing run, nothing touched) ----------------------------------

def _planted(report_dir: Path) -> None:
    evidence.append(report_dir, evidence.Record(item_id="FV1", scenario="old", status="PASS"))


@pytest.mark.parametrize("argv, words", [
    (["smoke", "--env", "nope"], "unknown environment 'nope'"),
    (["smoke", "-m", "FV1 or"], "ends too early"),
    (["smoke", "-m", "FV99"], "unknown checklist id 'FV99'"),
    (["smoke", "--rows", "0"], "--rows must be positive"),
])
def test_cli_bad_input_exits_2_without_touching_the_reports(tmp_path, capsys, argv, words):
    report_dir = tmp_path / "reports"
    _planted(report_dir)
    assert main([*argv, "--report-dir", str(report_dir)]) == 2
    err = capsys.readouterr().err
    assert words in err and "fix:" in err and "Traceback" not in err
    assert [r.scenario for r in evidence.load(report_dir)] == ["old"]   # the previous evidence survives


def test_cli_unknown_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["smoke", "--bogus"])
    assert exc.value.code == 2


def test_cli_help_lists_smoke(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "smoke" in capsys.readouterr().out


def test_report_dir_that_is_a_file_is_an_error(tmp_path):
    target = tmp_path / "reports"
    target.write_text("x")
    with pytest.raises(LakegateError) as err:
        _run(tmp_path, FakePytest())
    assert "is a file" in err.value.what


def _aws_config(tmp_path, outputs: str) -> None:
    cfg = tmp_path / "lakegate.toml"
    cfg.write_text(f'[environments.prod]\nkind = "aws"\nprofile = "p"\nprotected = true\noutputs = "{outputs}"\n')
    os.environ["LAKEGATE_CONFIG"] = str(cfg)


def test_live_env_with_missing_outputs_is_unusable_input(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_CONFIG", "")  # replaced below; registers the var for cleanup
    _aws_config(tmp_path, "missing-outputs.json")
    runner = FakePytest()
    with pytest.raises(LakegateError) as err:
        _run(tmp_path, runner, env="prod")
    assert "does not exist" in err.value.what
    assert runner.calls == []


@pytest.mark.parametrize("kw, words", [({"rows": 10}, "--rows only applies"), ({"keep": True}, "--keep only")])
def test_local_only_options_are_rejected_for_live_envs(tmp_path, monkeypatch, kw, words):
    monkeypatch.setenv("LAKEGATE_CONFIG", "")
    (tmp_path / "out.json").write_text(json.dumps(OUTPUTS))
    _aws_config(tmp_path, "out.json")
    with pytest.raises(LakegateError) as err:
        _run(tmp_path, FakePytest(), env="prod", **kw)
    assert words in err.value.what


def test_live_env_runs_pytest_without_local_state(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_CONFIG", "")
    (tmp_path / "out.json").write_text(json.dumps(OUTPUTS))
    _aws_config(tmp_path, "out.json")
    runner = FakePytest()
    runner.records = dict(LIVE_PASS)       # the rehearsals (P1-P5, S1) do not run live
    res = _run(tmp_path, runner, env="prod", tags="not P1")
    cmd, env = runner.calls[0]
    assert cmd[cmd.index("--lakegate-env") + 1] == "prod"
    assert cmd[-3:] == ["-m", "not P1", "-q"]
    assert env["LAKEGATE_LOCAL_STATE"] == os.environ["LAKEGATE_LOCAL_STATE"]   # untouched, unused
    assert res.exit_code == 0 and res.endpoint is None, res.reasons
    meta = evidence.read_meta(res.report_dir)
    assert meta["env"] == "prod" and meta["env_kind"] == "aws" and "endpoint" not in meta
    assert meta["fault_capable"] is False
    items = {i["id"]: i for i in json.loads(res.files["evidence.json"].read_text())["items"]}
    assert items["P1"]["status"] == "NOT RUN" and items["P1"]["rehearsal"] and not items["P1"]["applies"]
    assert items["FV6"]["applies"] and not items["FV6"]["rehearsal"]


def test_live_env_still_needs_every_applicable_item(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_CONFIG", "")
    (tmp_path / "out.json").write_text(json.dumps(OUTPUTS))
    _aws_config(tmp_path, "out.json")
    records = dict(LIVE_PASS)
    records["AA2"] = "SKIP"
    res = _run(tmp_path, FakePytest(records=records), env="prod")
    assert res.decision == "NO-GO" and res.reasons == ["AA2 was skipped (no waiver in lakegate.toml)"]
    assert "blocking: AA2" in smoke.render_summary(res)


def test_a_waiver_in_lakegate_toml_lets_a_skipped_item_through(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_CONFIG", "")
    (tmp_path / "out.json").write_text(json.dumps(OUTPUTS))
    _aws_config(tmp_path, "out.json")
    cfg = Path(os.environ["LAKEGATE_CONFIG"])
    cfg.write_text(cfg.read_text() + '\n[environments.prod.waivers]\nAA2 = "bookmarks are owned by the data team (CHG-42)"\n')
    records = dict(LIVE_PASS)
    records["AA2"] = "SKIP"
    res = _run(tmp_path, FakePytest(records=records), env="prod")
    assert res.decision == "GO" and res.exit_code == 0
    items = {i["id"]: i for i in json.loads(res.files["evidence.json"].read_text())["items"]}
    assert items["AA2"]["waiver"] == "bookmarks are owned by the data team (CHG-42)"
    assert evidence.read_meta(res.report_dir)["waivers"] == {"AA2": "bookmarks are owned by the data team (CHG-42)"}


# --- evidence reset, metadata, reports, exit codes -----------------------------------------------

def test_previous_evidence_and_reports_are_cleared(tmp_path):
    report_dir = tmp_path / "reports"
    evidence.append(report_dir, evidence.Record(item_id="FV2", scenario="stale failure", status="FAIL",
                                                failure="old"))
    evidence.write_meta(report_dir, {"env": "old-env"})
    (report_dir / "signoff.html").write_text("<p>PLANTED-OLD-REPORT</p>")
    (report_dir / "local-aws.log").write_text("old server log")
    res = _run(tmp_path, FakePytest())
    records = evidence.load(report_dir)
    assert [(r.item_id, r.status) for r in records] == list(ALL_PASS.items())
    assert res.decision == "GO" and res.exit_code == 0
    assert "PLANTED-OLD-REPORT" not in (report_dir / "signoff.html").read_text()
    assert not (report_dir / "local-aws.log").exists()   # the fake world wrote no server log
    assert evidence.read_meta(report_dir)["env"] == "local"


def test_reset_happens_before_pytest_runs(tmp_path):
    report_dir = tmp_path / "reports"
    _planted(report_dir)
    seen = []
    runner = FakePytest(during=lambda cmd, env: seen.append(evidence.load(report_dir)))
    runner.records = {}
    _run(tmp_path, runner)
    assert seen == [[]]


def test_go_writes_the_five_reports_and_metadata(tmp_path, capsys):
    runner = FakePytest()
    res = _run(tmp_path, runner, tags="BA4 or FV5 or not BA4", rows=50)
    assert res.decision == "GO" and res.exit_code == 0 and res.pytest_rc == 0
    assert set(res.files) == set(smoke.REPORT_FILES)
    for path in res.files.values():
        assert path.exists() and path.stat().st_size > 0
    meta = evidence.read_meta(res.report_dir)
    assert meta["commit"] == "abc123" and meta["tags"] == "BA4 or FV5 or not BA4" and meta["env"] == "local"
    assert meta["lakegate_version"] and meta["started"] and meta["pytest_exit"] == 0
    consolidated = json.loads(res.files["evidence.json"].read_text())
    assert consolidated["decision"] == "GO"
    assert {i["id"]: i["status"] for i in consolidated["items"]}["FV5"] == "PASS"
    assert res.counts["PASS"] == len(checklist.ITEMS) and res.counts["NOT RUN"] == 0
    text = smoke.render_summary(res)
    assert text.startswith("lakegate smoke: GO")
    for path in res.files.values():
        assert str(path) in text


def test_a_partial_run_is_no_go(tmp_path):
    """Two of 27 items passed and nothing failed: the 25 NOT RUN items block GO."""
    res = _run(tmp_path, FakePytest(records={"BA4": "PASS", "FV5": "PASS"}), tags="BA4 or FV5")
    assert res.decision == "NO-GO" and res.exit_code == 1
    assert len(res.reasons) == len(checklist.ITEMS) - 2 and "FV1 did not run (no waiver in lakegate.toml)" in res.reasons


def test_a_skipped_item_is_no_go(tmp_path):
    res = _run(tmp_path, FakePytest(records={**ALL_PASS, "AA2": "SKIP"}))
    assert res.decision == "NO-GO" and res.reasons == ["AA2 was skipped (no waiver in lakegate.toml)"]


def test_failed_item_is_no_go_exit_1(tmp_path):
    res = _run(tmp_path, FakePytest(rc=1, records={**ALL_PASS, "FV5": "FAIL"}))
    assert res.decision == "NO-GO" and res.exit_code == 1
    assert "AssertionError: table missing" in res.files["signoff.md"].read_text()


def test_pytest_failure_outside_the_checklist_is_no_go_even_when_items_pass(tmp_path):
    res = _run(tmp_path, FakePytest(rc=1))
    assert res.decision == "GO" and res.exit_code == 1
    assert "NO-GO anyway" in smoke.render_summary(res)


def test_interrupted_run_renders_reports_and_is_no_go(tmp_path):
    res = _run(tmp_path, FakePytest(rc=2, tail="!!! Interrupted: 1 error during collection"))
    assert res.exit_code == 1
    assert any("exit 2" in n and "Interrupted" in n for n in res.notes)
    assert res.files["signoff.html"].exists()


def test_nothing_recorded_is_no_go(tmp_path):
    res = _run(tmp_path, FakePytest(rc=0, records={}))
    assert res.decision == "NO-GO" and res.exit_code == 1


def test_pytest_usage_error_becomes_a_clear_error(tmp_path):
    runner = FakePytest(rc=4, records={}, tail="\nERROR: Wrong expression passed to '-m': FV1 or\n\n")
    with pytest.raises(LakegateError) as err:
        _run(tmp_path, runner, tags="FV1")
    assert "exit 4" in err.value.what and "Wrong expression" in err.value.what and err.value.where == "-m"


def test_no_scenario_selected_is_a_clear_error(tmp_path):
    with pytest.raises(LakegateError) as err:
        _run(tmp_path, FakePytest(rc=5, records={}), tags="FV1")
    assert "no scenario was selected" in err.value.what


@pytest.mark.parametrize("decision, rc, code", [("GO", 0, 0), ("GO", 1, 1), ("NO-GO", 0, 1), ("NO-GO", 1, 1),
                                                ("GO", 2, 1), ("GO", 3, 1)])
def test_exit_code_mapping(decision, rc, code):
    assert smoke.exit_code_for(decision, rc) == code


def test_cli_exit_code_follows_the_decision(tmp_path, monkeypatch, capsys):
    runner = FakePytest(rc=1, records={"FV5": "FAIL"})
    real = smoke.run_smoke
    monkeypatch.setattr(smoke, "run_smoke", lambda opts: real(opts, runner=runner, repo=SCENARIOS,
                                                              git=lambda r: None))
    assert main(["smoke", "-m", "FV5", "--report-dir", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "lakegate smoke: NO-GO" in out and "signoff.html" in out


# --- the local AWS of the run --------------------------------------------------------------------

def test_local_run_uses_an_isolated_state_file_and_records_the_endpoint(tmp_path):
    user_state = Path(os.environ["LAKEGATE_LOCAL_STATE"])

    def world(cmd, env):
        state = Path(env["LAKEGATE_LOCAL_STATE"])
        assert state != user_state and state.is_absolute()
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"endpoint": "http://127.0.0.1:45678", "pid": 999999, "port": 45678,
                                     "token": "t", "started_at": time.time()}))
        (state.parent / "server.log").write_text("server log line\n")
        time.sleep(0.6)           # the watcher polls every 0.2 s
        state.unlink()            # the world's teardown removes it
        world.state = state

    res = _run(tmp_path, FakePytest(during=world))
    assert res.endpoint == "http://127.0.0.1:45678"
    assert evidence.read_meta(res.report_dir)["endpoint"] == "http://127.0.0.1:45678"
    assert not world.state.parent.exists()                 # the scratch dir is removed
    assert (res.report_dir / "local-aws.log").read_text() == "server log line\n"
    assert res.notes == [] and res.state_file is None


def test_a_server_left_running_is_found_and_stopped_by_pid(tmp_path):
    started = []

    def leaky_world(cmd, env):
        state = Path(env["LAKEGATE_LOCAL_STATE"])
        # a process with the local AWS's command line for this run's state file, never stopped
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "localaws", "serve",
                                 "--state-file", str(state.resolve())])
        started.append(proc)
        deadline = time.time() + 5
        while time.time() < deadline and proc.pid not in smoke.servers_for_state(state):
            time.sleep(0.05)
        assert smoke.servers_for_state(state) == [proc.pid]

    try:
        res = _run(tmp_path, FakePytest(during=leaky_world))
        assert started[0].wait(timeout=10) is not None
        assert any(f"pid {started[0].pid}" in n and "left running" in n for n in res.notes)
        assert res.exit_code == 0   # a teardown problem is reported, it does not change the decision
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_servers_for_state_ignores_other_state_files(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "localaws", "serve",
                             "--state-file", str(tmp_path / "other.json")])
    try:
        deadline = time.time() + 5
        while time.time() < deadline and proc.pid not in smoke.servers_for_state(tmp_path / "other.json"):
            time.sleep(0.05)
        assert proc.pid in smoke.servers_for_state(tmp_path / "other.json")
        assert smoke.servers_for_state(tmp_path / "mine.json") == []
    finally:
        proc.kill()
        proc.wait()


def test_keep_uses_the_users_state_file(tmp_path):
    runner = FakePytest()
    res = _run(tmp_path, runner, keep=True)
    cmd, env = runner.calls[0]
    assert env["LAKEGATE_LOCAL_STATE"] == str(Path(os.environ["LAKEGATE_LOCAL_STATE"]).resolve())
    assert "--lakegate-keep" in cmd
    assert res.state_file == Path(os.environ["LAKEGATE_LOCAL_STATE"]).resolve()


def test_git_commit_of_this_checkout():
    commit = smoke.git_commit(REPO)
    if commit is None:
        pytest.skip("git or the .git folder is not available")
    assert len(commit.split("+")[0]) == 40


def test_git_commit_outside_a_repository_is_none(tmp_path):
    assert smoke.git_commit(tmp_path) is None


def test_interrupt_still_stops_the_runs_local_aws(tmp_path):
    started = []

    def interrupted_world(cmd, env):
        state = Path(env["LAKEGATE_LOCAL_STATE"])
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "localaws", "serve",
                                 "--state-file", str(state.resolve())])
        started.append(proc)
        deadline = time.time() + 5
        while time.time() < deadline and proc.pid not in smoke.servers_for_state(state):
            time.sleep(0.05)
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            _run(tmp_path, FakePytest(during=interrupted_world))
        assert started[0].wait(timeout=10) is not None
        # the child renders nothing (--lakegate-no-render): the partial reports are smoke's own
        for name in smoke.REPORT_FILES:
            assert (tmp_path / "reports" / name).is_file(), name
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# --- plan summary from the gate's JSON -----------------------------------------------------------

def _gate_json(tmp_path, result) -> Path:
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(result.to_json()))
    return path


def test_plan_summary_from_a_real_check_result(tmp_path):
    from tf_checks.findings import CheckResult

    line = smoke.plan_summary(_gate_json(tmp_path, CheckResult(findings=[], resources=37)))
    assert line == "37 resources checked; 0 finding(s) (none)"


def test_plan_summary_lists_severities_and_suppressed(tmp_path):
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"summary": {"resources": 5, "findings": 3, "suppressed": 1,
                                            "by_severity": {"critical": 1, "high": 2, "low": 0}}}))
    assert smoke.plan_summary(path) == "5 resources checked; 3 finding(s) (critical 1, high 2); 1 suppressed"


@pytest.mark.parametrize("content, words", [(None, "does not exist"), ("{not json", "cannot read"),
                                            ('{"findings": []}', "no summary"), ("[]", "no summary"),
                                            ('{"summary": {"resources": "5", "findings": 0, "by_severity": {}}}',
                                             "no summary")])
def test_unreadable_gate_result_is_unusable_input(tmp_path, content, words):
    path = tmp_path / "gate.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LakegateError) as err:
        _run(tmp_path, FakePytest(), gate_result=path)
    assert words in err.value.what and "lakegate check" in err.value.fix


def test_plan_summary_reaches_the_signoff(tmp_path):
    from tf_checks.findings import CheckResult

    res = _run(tmp_path, FakePytest(), gate_result=_gate_json(tmp_path, CheckResult(findings=[], resources=12)))
    assert evidence.read_meta(res.report_dir)["plan_summary"] == "12 resources checked; 0 finding(s) (none)"
    assert "12 resources checked" in res.files["signoff.html"].read_text()


# --- rendering once ------------------------------------------------------------------------------

@pytest.mark.parametrize("no_render", [False, True])
def test_the_scenarios_plugin_renders_unless_the_caller_will(tmp_path, no_render):
    """The pytest child renders the reports when run by hand; under `lakegate smoke`
    (--lakegate-no-render) it leaves them to smoke, which renders them once with the final metadata."""
    from types import SimpleNamespace

    from lakegate.scenarios import plugin
    from lakegate.scenarios.steps.keys import REPORT_DIR_KEY

    evidence.append(tmp_path, evidence.Record(item_id="FV1", scenario="s", status="PASS", started=1.0, finished=2.0))
    options = {"--lakegate-no-render": no_render, "--lakegate-report-dir": str(tmp_path)}
    config = SimpleNamespace(getoption=options.__getitem__, stash={REPORT_DIR_KEY: tmp_path})
    plugin.pytest_sessionfinish(SimpleNamespace(config=config), 0)
    assert [(tmp_path / name).exists() for name in smoke.REPORT_FILES] == [not no_render] * len(smoke.REPORT_FILES)


def test_smoke_renders_the_reports_itself(tmp_path):
    """smoke tells the child not to render and renders once, after it (the reports are there)."""
    runner = FakePytest()
    res = _run(tmp_path, runner)
    assert "--lakegate-no-render" in runner.calls[0][0]
    assert all(path.is_file() for path in res.files.values())

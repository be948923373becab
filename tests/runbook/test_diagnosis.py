"""The pure mapping from facts to the runbook's problems."""

from __future__ import annotations

from lakegate.diagnosis import Facts, RunFact, diagnose


def facts(run=None, runs=(), **kw):
    base = dict(workflow="wf", run=run, runs=list(runs), now=10_000.0, stuck_after_s=600,
                role_names={"bronze-crawler": "bronze-crawler-role"},
                crawler_targets={"bronze-crawler": "s3://bronze/bronze/car_data/"},
                silver_job="silver", bronze_crawler="bronze-crawler")
    base.update(kw)
    return Facts(**base)


def ids(problems):
    return [p.id for p in problems]


def test_healthy_run_has_no_problem():
    run = {"run_id": "wr", "status": "COMPLETED", "statistics": {"TotalActions": 6, "SucceededActions": 6}}
    assert diagnose(facts(run, [RunFact("JOB", "silver", "SUCCEEDED", wrote_objects=3, unprocessed_input=False)])) == []


def test_p1_column_does_not_exist():
    run = {"run_id": "wr", "status": "COMPLETED", "statistics": {"TotalActions": 1, "FailedActions": 1}}
    err = "AnalysisException: Column 'metrics.engineTempCelsius' does not exist"
    out = diagnose(facts(run, [RunFact("JOB", "silver", "FAILED", err, run_id="jr_1")]))
    assert ids(out) == ["P1"]
    assert out[0].evidence["column"] == "metrics.engineTempCelsius"
    assert "bronze-crawler" in out[0].fix and "silver" in out[0].fix


def test_p2_access_denied_names_role_and_statement():
    err = ("Service Principal: glue.amazonaws.com is not authorized to perform: glue:BatchGetPartition on resource: "
           "arn:aws:glue:us-east-1:123456789012:table/db/bronze_car_data (Service: AWSGlue; Status Code: 400)")
    out = diagnose(facts(None, [RunFact("CRAWLER", "bronze-crawler", "FAILED", err)]))
    assert ids(out) == ["P2"]
    p = out[0]
    assert p.evidence["action"] == "glue:BatchGetPartition"
    assert p.evidence["resource"].endswith("table/db/bronze_car_data")
    assert "bronze-crawler-role" in p.fix and "glue:GetPartition" in p.fix


def test_p3_succeeded_without_output_only_when_input_was_waiting():
    stuck = RunFact("JOB", "silver", "SUCCEEDED", wrote_objects=0, unprocessed_input=True)
    idle = RunFact("JOB", "silver", "SUCCEEDED", wrote_objects=0, unprocessed_input=False)
    assert ids(diagnose(facts(None, [stuck]))) == ["P3"]
    assert diagnose(facts(None, [idle])) == []


def test_p4_crawler_found_nothing():
    out = diagnose(facts(None, [RunFact("CRAWLER", "bronze-crawler", "SUCCEEDED", found_data=False)]))
    assert ids(out) == ["P4"] and "s3://bronze/bronze/car_data/" in out[0].cause


def test_p5_stuck_run_names_hanging_node():
    run = {"run_id": "wr_9", "status": "RUNNING", "started": 1000.0, "statistics": {"RunningActions": 1}}
    out = diagnose(facts(run, [RunFact("JOB", "gold-alerts", "RUNNING", started=2000.0)]))
    assert ids(out) == ["P5"]
    assert "gold-alerts" in out[0].cause and "stop-workflow-run" in out[0].fix


def test_recent_running_run_is_not_stuck():
    run = {"run_id": "wr", "status": "RUNNING", "started": 9_900.0}
    assert diagnose(facts(run, [RunFact("JOB", "silver", "RUNNING", started=9_950.0)])) == []


def test_s1_completed_with_failed_action_without_specific_cause():
    run = {"run_id": "wr", "status": "COMPLETED", "statistics": {"TotalActions": 6, "SucceededActions": 5,
                                                                  "FailedActions": 1}}
    out = diagnose(facts(run, [RunFact("JOB", "gold-alerts", "FAILED", "RuntimeError: boom")]))
    assert ids(out) == ["S1"] and "gold-alerts" in out[0].cause

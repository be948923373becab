"""Runbook operations against botocore Stubber: shapes, error paths, polling without sleeps."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber

from lakegate import runbook
from lakegate.errors import LakegateError
from lakegate.names import PipelineNames
from lakegate.polling import Poller, PollTimeout

OUTPUTS = {
    "workflow_name": "wf", "bronze_crawler_name": "bronze-crawler", "silver_job_name": "silver",
    "gold_current_state_job_name": "gold-cs", "gold_alerts_job_name": "gold-alerts",
    "crawler_names": {"bronze": "bronze-crawler"}, "job_names": {"silver_consolidation": "silver"},
    "database_name": "db", "expected_tables": ["bronze_car_data", "silver_car_telemetry"],
    "athena_workgroup_name": "wg", "athena_result_location": "s3://results/query-results/",
    "bronze_bucket": "bronze", "bronze_data_path": "s3://bronze/bronze/car_data/",
}


@pytest.fixture
def names():
    return PipelineNames.from_outputs(OUTPUTS)


@pytest.fixture
def clients():
    kw = dict(region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    c = SimpleNamespace(glue=boto3.client("glue", **kw), athena=boto3.client("athena", **kw),
                        logs=boto3.client("logs", **kw))
    stubs = SimpleNamespace(glue=Stubber(c.glue), athena=Stubber(c.athena), logs=Stubber(c.logs))
    for s in vars(stubs).values():
        s.activate()
    yield c, stubs
    for s in vars(stubs).values():
        s.assert_no_pending_responses()


def fast_poller():
    t = {"now": 0.0}

    def sleep(s):
        t["now"] += s
    return Poller(initial=1, max_interval=5, ratio=None, clock=lambda: t["now"], sleep=sleep)


def test_names_from_terraform_output_json_wrapping(tmp_path):
    wrapped = {k: {"value": v, "type": "string", "sensitive": False} for k, v in OUTPUTS.items()}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(wrapped))
    assert PipelineNames.from_file(path).workflow == "wf"


def test_names_missing_output_is_clear_error():
    bad = dict(OUTPUTS)
    del bad["workflow_name"]
    with pytest.raises(LakegateError) as err:
        PipelineNames.from_outputs(bad)
    assert "workflow_name" in err.value.what


@pytest.mark.parametrize("stats,status,healthy", [
    ({"TotalActions": 6, "SucceededActions": 6, "FailedActions": 0}, "COMPLETED", True),
    ({"TotalActions": 6, "SucceededActions": 5, "FailedActions": 1}, "COMPLETED", False),  # Sintoma 1
    ({"TotalActions": 6, "SucceededActions": 3, "FailedActions": 0, "RunningActions": 1}, "RUNNING", False),
])
def test_last_workflow_run_health(clients, names, stats, status, healthy):
    c, s = clients
    s.glue.add_response("get_workflow_runs", {"Runs": [{"WorkflowRunId": "wr_1", "Status": status,
                                                          "Statistics": stats}]},
                        {"Name": "wf", "MaxResults": 1})
    st = runbook.last_workflow_run(c, names)
    assert st.run_id == "wr_1" and st.healthy is healthy


def test_never_run_workflow(clients, names):
    c, s = clients
    s.glue.add_response("get_workflow_runs", {}, {"Name": "wf", "MaxResults": 1})
    st = runbook.last_workflow_run(c, names)
    assert st.status is None and not st.healthy


def test_reset_bookmarks_never_run_is_reported_not_raised(clients):
    c, s = clients
    s.glue.add_response("reset_job_bookmark", {"JobBookmarkEntry": {"JobName": "silver"}}, {"JobName": "silver"})
    s.glue.add_client_error("reset_job_bookmark", "EntityNotFoundException",
                            "Continuation for job gold-cs not found", expected_params={"JobName": "gold-cs"})
    out = runbook.reset_bookmarks(c, ["silver", "gold-cs"])
    assert [o.outcome for o in out] == ["reset", "never-run"]
    assert "EntityNotFoundException" in out[1].detail


def test_reset_bookmarks_access_denied_propagates(clients):
    c, s = clients
    s.glue.add_client_error("reset_job_bookmark", "AccessDeniedException", "no", expected_params={"JobName": "silver"})
    with pytest.raises(Exception) as err:
        runbook.reset_bookmarks(c, ["silver"])
    assert "AccessDenied" in str(err.value)


def test_backup_bookmarks_writes_file(clients, tmp_path):
    c, s = clients
    s.glue.add_response("get_job_bookmark", {"JobBookmarkEntry": {"JobName": "silver", "Run": 3,
                                                                   "JobBookmark": "{}"}}, {"JobName": "silver"})
    s.glue.add_client_error("get_job_bookmark", "EntityNotFoundException", "x", expected_params={"JobName": "gold-cs"})
    path = runbook.backup_bookmarks(c, ["silver", "gold-cs"], tmp_path)
    data = json.loads(path.read_text())
    assert data["bookmarks"]["silver"]["Run"] == 3 and data["bookmarks"]["gold-cs"] is None


def test_run_crawler_polls_until_ready(clients):
    c, s = clients
    now = dt.datetime.now(dt.timezone.utc)
    s.glue.add_response("start_crawler", {}, {"Name": "bronze-crawler"})
    s.glue.add_response("get_crawler", {"Crawler": {"Name": "bronze-crawler", "State": "RUNNING"}})
    s.glue.add_response("get_crawler", {"Crawler": {"Name": "bronze-crawler", "State": "STOPPING"}})
    s.glue.add_response("get_crawler", {"Crawler": {"Name": "bronze-crawler", "State": "READY", "LastCrawl": {
        "Status": "SUCCEEDED", "StartTime": now, "LogGroup": "/aws-glue/crawlers", "LogStream": "bronze-crawler"}}})
    s.glue.add_response("get_crawler_metrics", {"CrawlerMetricsList": [{"CrawlerName": "bronze-crawler",
                                                                         "TablesCreated": 1, "TablesUpdated": 0}]})
    res = runbook.run_crawler(c, "bronze-crawler", poller=fast_poller())
    assert res.succeeded and res.tables_created == 1


def test_run_crawler_failure_carries_error(clients):
    c, s = clients
    now = dt.datetime.now(dt.timezone.utc)
    s.glue.add_client_error("start_crawler", "CrawlerRunningException", "running")
    s.glue.add_response("get_crawler", {"Crawler": {"Name": "x", "State": "READY", "LastCrawl": {
        "Status": "FAILED", "StartTime": now,
        "ErrorMessage": "Service Principal: glue.amazonaws.com is not authorized to perform: glue:BatchGetPartition"}}})
    s.glue.add_client_error("get_crawler_metrics", "AccessDeniedException", "no")
    res = runbook.run_crawler(c, "x", poller=fast_poller())
    assert res.already_running and not res.succeeded and "BatchGetPartition" in res.error


def test_monitor_workflow_times_out_with_last_state(clients, names):
    c, s = clients
    for _ in range(5):  # polls at t=0, 1, 2.5, 4.75, 6
        s.glue.add_response("get_workflow_run", {"Run": {"WorkflowRunId": "wr", "Status": "RUNNING",
                                                         "Statistics": {"RunningActions": 1}}})
    with pytest.raises(PollTimeout) as err:
        runbook.monitor_workflow(c, names, "wr", timeout=6, poller=fast_poller())
    assert err.value.last["Status"] == "RUNNING"


def test_athena_query_skips_header_and_paginates(clients, names):
    c, s = clients
    s.athena.add_response("start_query_execution", {"QueryExecutionId": "q1"})
    s.athena.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
    s.athena.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}})
    meta = {"ColumnInfo": [{"Name": "alert_type", "Type": "varchar"}, {"Name": "total", "Type": "bigint"}]}
    s.athena.add_response("get_query_results", {"ResultSet": {"ResultSetMetadata": meta, "Rows": [
        {"Data": [{"VarCharValue": "alert_type"}, {"VarCharValue": "total"}]},
        {"Data": [{"VarCharValue": "OVERHEAT_ENGINE"}, {"VarCharValue": "3"}]}]}, "NextToken": "t"})
    s.athena.add_response("get_query_results", {"ResultSet": {"ResultSetMetadata": meta, "Rows": [
        {"Data": [{"VarCharValue": "SPEEDING_ALERT"}, {"VarCharValue": "2"}]}]}})
    res = runbook.athena_query(c, names, "SELECT 1", poller=fast_poller())
    assert res.columns == ["alert_type", "total"]
    assert res.rows == [["OVERHEAT_ENGINE", "3"], ["SPEEDING_ALERT", "2"]]


def test_athena_failure_reason(clients, names):
    c, s = clients
    s.athena.add_response("start_query_execution", {"QueryExecutionId": "q2"})
    s.athena.add_response("get_query_execution", {"QueryExecution": {"Status": {
        "State": "FAILED", "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved"}}})
    res = runbook.athena_query(c, names, "SELECT x FROM t", poller=fast_poller())
    assert res.state == "FAILED" and "COLUMN_NOT_FOUND" in res.error


def test_overlap():
    a = runbook.NodeRun("a", "JOB", "SUCCEEDED", 10, 20)
    b = runbook.NodeRun("b", "JOB", "SUCCEEDED", 15, 25)
    c = runbook.NodeRun("c", "JOB", "SUCCEEDED", 20, 30)
    assert runbook.intervals_overlap(a, b) and not runbook.intervals_overlap(a, c)

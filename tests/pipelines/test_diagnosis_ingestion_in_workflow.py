"""Diagnosis when the ingestion crawler is part of the workflow (a user's pipeline starts with it):
a crawl run on its own after the workflow run is the crawler's latest word, so a denied crawl
is named P2 even though the workflow's own crawl of it succeeded."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from lakegate import diagnosis, runbook
from lakegate.names import PipelineNames

DENIED = ("Service Principal: glue.amazonaws.com is not authorized to perform: glue:BatchGetPartition on "
          "resource: arn:aws:glue:eu-central-1:123456789012:table/sales/raw_orders (Service: AWSGlue; "
          "Status Code: 400; Error Code: AccessDeniedException; Request ID: x; Proxy: null)")


def _names() -> PipelineNames:
    return PipelineNames(workflow="wf", bronze_crawler="landing", silver_job="clean", gold_current_state_job="clean",
                         gold_alerts_job="clean", crawlers={"bronze": "landing"}, jobs={"clean": "clean"},
                         database="sales", expected_tables=["raw_orders"], workgroup="primary", athena_output="",
                         bronze_bucket="land", bronze_data_path="s3://land/in/",
                         crawler_targets={"landing": "s3://land/in/"}, role_names={"landing": "r"})


def _clients(crawl_start: float) -> SimpleNamespace:
    glue = SimpleNamespace(
        get_crawler=lambda Name: {"Crawler": {"Name": Name, "State": "READY",
                                              "Targets": {"S3Targets": [{"Path": "s3://land/in/"}]},
                                              "LastCrawl": {"Status": "FAILED", "ErrorMessage": DENIED,
                                                            "StartTime": dt.datetime.fromtimestamp(crawl_start, dt.timezone.utc)}}},
        get_job_runs=lambda **kw: {"JobRuns": []})
    s3 = SimpleNamespace(list_objects_v2=lambda **kw: {"Contents": [{"Key": "in/a.json"}]})
    return SimpleNamespace(glue=glue, s3=s3)


def _graph(monkeypatch, crawl_in_run_started: float) -> None:
    monkeypatch.setattr(runbook, "last_workflow_run", lambda c, n: runbook.WorkflowRunStatus(
        "wf", "wr_1", "COMPLETED", {"TotalActions": 2, "SucceededActions": 2}, started=1000.0, completed=1100.0))
    monkeypatch.setattr(runbook, "workflow_node_runs", lambda c, n, rid: [
        runbook.NodeRun("landing", "CRAWLER", "SUCCEEDED", crawl_in_run_started, crawl_in_run_started + 10),
        runbook.NodeRun("clean", "JOB", "SUCCEEDED", 1020.0, 1090.0, run_id="jr_1")])


def test_a_later_crawl_of_a_workflow_crawler_is_diagnosed(monkeypatch):
    _graph(monkeypatch, 1001.0)
    problems = diagnosis.diagnose(diagnosis.gather(_clients(crawl_start=2000.0), _names()))
    assert [p.id for p in problems if p.id == "P2"] == ["P2"], problems


def test_the_workflow_runs_own_crawl_stays_when_it_is_the_latest(monkeypatch):
    _graph(monkeypatch, 1001.0)
    facts = diagnosis.gather(_clients(crawl_start=1001.0), _names())
    crawls = [r for r in facts.runs if r.kind == "CRAWLER"]
    assert [(r.name, r.state) for r in crawls] == [("landing", "SUCCEEDED")]

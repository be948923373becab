"""End to end through boto3 against the real local server (subprocess, 127.0.0.1, free port):
bronze crawl, bookmark reset on a never-run job, the workflow 6/6, the 4 tables, the gold jobs
overlapping, a fault through the admin endpoint and its clear."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from .conftest import CRAWLERS, DB, JOB_NAMES, REGION, WORKFLOW, make_pipeline, wait_for


@pytest.fixture
def server(tmp_path):
    state = tmp_path / "state.json"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proc = subprocess.Popen([sys.executable, "-m", "localaws", "serve", "--port", "0", "--state-file", str(state),
                             "--time-scale", "0.2", "--log-level", "WARNING"], env=env)
    try:
        # readiness, not a timing check: under CI load (4 lanes on 2 cores) start-up took > 30 s
        wait_for(lambda: state.exists() and state.stat().st_size > 0, timeout=120)
        info = json.loads(state.read_text())
        assert info["pid"] == proc.pid
        _TOKENS[info["endpoint"]] = info["token"]
        yield info["endpoint"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


_TOKENS: dict[str, str] = {}   # endpoint -> control token from its state file


def _post(endpoint: str, path: str) -> dict:
    req = urllib.request.Request(endpoint + path, data=b"", method="POST",
                                 headers={"X-Lakegate-Token": _TOKENS[endpoint]})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.slow
def test_pipeline_through_the_server(server, tmp_path):
    kw = dict(endpoint_url=server, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = {s: boto3.client(s, **kw) for s in ("s3", "glue", "iam", "logs")}
    make_pipeline(clients, tmp_path)
    glue = clients["glue"]
    bronze = CRAWLERS["bronze"][0]
    glue.start_crawler(Name=bronze)
    with pytest.raises(glue.exceptions.CrawlerRunningException):
        glue.start_crawler(Name=bronze)
    c = wait_for(lambda: (x := glue.get_crawler(Name=bronze)["Crawler"])["State"] == "READY" and "LastCrawl" in x and x, timeout=30)
    assert c["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue.get_partitions(DatabaseName=DB, TableName="bronze_car_data")["Partitions"]
    for job in JOB_NAMES.values():
        with pytest.raises(glue.exceptions.EntityNotFoundException) as err:
            glue.reset_job_bookmark(JobName=job)
        assert f"Continuation for job {job} not found" in str(err.value)
    rid = glue.start_workflow_run(Name=WORKFLOW)["RunId"]
    run = wait_for(lambda: (r := glue.get_workflow_run(Name=WORKFLOW, RunId=rid, IncludeGraph=True)["Run"])["Status"]
                   == "COMPLETED" and r, timeout=90)
    s = run["Statistics"]
    assert (s["TotalActions"], s["SucceededActions"]) == (6, 6), s
    tables = {t["Name"] for t in glue.get_tables(DatabaseName=DB)["TableList"]}
    assert tables == {"bronze_car_data", "silver_car_telemetry", "gold_car_current_state", "performance_alerts_log"}
    g1 = glue.get_job_runs(JobName=JOB_NAMES["gold_car_current_state"])["JobRuns"][0]
    g2 = glue.get_job_runs(JobName=JOB_NAMES["gold_performance_alerts"])["JobRuns"][0]
    assert g1["StartedOn"] < g2["CompletedOn"] and g2["StartedOn"] < g1["CompletedOn"]
    assert g1["Arguments"]["--WORKFLOW_RUN_ID"] == rid and g1["TriggerName"] == "after-silver-crawler"
    entry = glue.get_job_bookmark(JobName=JOB_NAMES["silver_consolidation"])["JobBookmarkEntry"]
    assert entry["Run"] == 1
    # a fault through the admin endpoint, then its clear
    assert _post(server, "/_lakegate/fault/crawler-access-denied")["ok"]
    glue.start_crawler(Name=bronze)
    time.sleep(0.05)
    c = wait_for(lambda: (x := glue.get_crawler(Name=bronze)["Crawler"])["State"] == "READY" and x["LastCrawl"]["Status"] != "SUCCEEDED" and x, timeout=30)
    assert c["LastCrawl"]["Status"] == "FAILED" and "glue:BatchGetPartition" in c["LastCrawl"]["ErrorMessage"]
    assert _post(server, "/_lakegate/fault/crawler-access-denied/clear")["cleared"]
    glue.start_crawler(Name=bronze)
    time.sleep(0.05)
    c = wait_for(lambda: (x := glue.get_crawler(Name=bronze)["Crawler"])["State"] == "READY" and x["LastCrawl"]["Status"] == "SUCCEEDED" and x, timeout=30)
    metrics = glue.get_crawler_metrics(CrawlerNameList=[bronze])["CrawlerMetricsList"][0]
    assert metrics["CrawlerName"] == bronze
    health = json.loads(urllib.request.urlopen(server + "/_lakegate/health", timeout=10).read())
    assert health["background_errors"] == []

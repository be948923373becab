"""Each fault makes the right thing fail, in-process; clear restores."""

from __future__ import annotations

import pytest

from localaws import dispatch, faults
from localaws.glue import crawler as cr
from localaws.glue import jobs
from localaws.glue import workflows as wf

from .conftest import CRAWLERS, JOB_NAMES, WORKFLOW, make_pipeline, wait_for

BRONZE_CRAWLER = CRAWLERS["bronze"][0]


def _crawl(ctx, name=BRONZE_CRAWLER):
    before = len(cr.h_list_crawls(ctx, {"CrawlerName": name})["Crawls"])
    cr.h_start_crawler(ctx, {"Name": name})
    wait_for(lambda: len(cr.h_list_crawls(ctx, {"CrawlerName": name})["Crawls"]) > before
             and cr.h_get_crawler(ctx, {"Name": name})["Crawler"]["State"] == "READY")
    return cr.h_get_crawler(ctx, {"Name": name})["Crawler"]["LastCrawl"]


def _job(ctx, name):
    rid = jobs.h_start_job_run(ctx, {"JobName": name})["JobRunId"]
    return wait_for(lambda: (r := jobs.h_get_job_run(ctx, {"JobName": name, "RunId": rid})["JobRun"])["JobRunState"]
                    in jobs.FINAL and r, timeout=30)


def _workflow(ctx):
    rid = wf.h_start_workflow_run(ctx, {"Name": WORKFLOW})["RunId"]
    return wait_for(lambda: (r := wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})["Run"])["Status"]
                    == "COMPLETED" and r, timeout=60)


def test_all_faults_registered():
    assert set(faults.FAULT_TABLE) <= set(dispatch.FAULTS)
    assert set(faults.FAULT_TABLE) == {"stale-schema", "crawler-access-denied", "stuck-bookmark",
                                       "empty-crawler-target", "stuck-run", "job-failure", "throttling",
                                       "iam-propagation-delay"}


@pytest.mark.slow
def test_faults_fail_the_right_thing_and_clear_restores(ctx, clients, tmp_path, runtime):
    make_pipeline(clients, tmp_path)
    # crawler-access-denied
    faults.crawler_access_denied(runtime)
    lc = _crawl(ctx)
    assert lc["Status"] == "FAILED" and "glue:BatchGetPartition" in lc["ErrorMessage"]
    faults.clear_crawler_access_denied(runtime)
    assert _crawl(ctx)["Status"] == "SUCCEEDED"
    # empty-crawler-target
    faults.empty_crawler_target(runtime)
    assert _crawl(ctx)["Status"] == "SUCCEEDED"
    assert cr.h_get_crawler_metrics(ctx, {"CrawlerNameList": [BRONZE_CRAWLER]})["CrawlerMetricsList"][0]["TablesCreated"] == 0
    faults.clear_empty_crawler_target(runtime)
    assert clients["glue"].get_crawler(Name=BRONZE_CRAWLER)["Crawler"]["Targets"]["S3Targets"][0]["Path"].endswith("bronze/car_data/")
    # stale-schema -> silver fails; clearing by re-crawl works
    silver = JOB_NAMES["silver_consolidation"]
    faults.stale_schema(runtime)
    r = _job(ctx, silver)
    assert r["JobRunState"] == "FAILED"
    assert r["ErrorMessage"] == "AnalysisException: Column 'metrics.engineTempCelsius' does not exist"
    assert _crawl(ctx)["Status"] == "SUCCEEDED"  # re-crawl restores the field (MergeNewColumns)
    faults.clear_stale_schema(runtime)
    # job-failure -> workflow COMPLETED with exactly one failed action
    faults.job_failure(runtime)
    run = _workflow(ctx)
    s = run["Statistics"]
    assert (s["FailedActions"], s["SucceededActions"], s["TotalActions"]) == (1, 4, 5), s
    faults.clear_job_failure(runtime)
    assert clients["glue"].get_job(JobName=JOB_NAMES["gold_performance_alerts"])["Job"]["DefaultArguments"]["--engine_temp_limit"] == "100"
    # stuck-bookmark -> silver succeeds but writes nothing new
    from .conftest import BRONZE, SILVER, bronze_record  # noqa: F401
    faults.stuck_bookmark(runtime)
    keys_before = sorted(o["Key"] for o in clients["s3"].list_objects_v2(Bucket=SILVER)["Contents"])
    r = _job(ctx, silver)
    assert r["JobRunState"] == "SUCCEEDED"
    assert sorted(o["Key"] for o in clients["s3"].list_objects_v2(Bucket=SILVER)["Contents"]) == keys_before
    faults.clear_stuck_bookmark(runtime)
    # stuck-run -> RUNNING until StopWorkflowRun
    faults.stuck_run(runtime)
    rid = wf.h_start_workflow_run(ctx, {"Name": WORKFLOW})["RunId"]
    import time
    time.sleep(0.6)
    assert wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})["Run"]["Status"] == "RUNNING"
    wf.h_stop_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})
    wait_for(lambda: wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})["Run"]["Status"] == "STOPPED")
    faults.clear_stuck_run(runtime)
    assert not runtime.errors

"""Each fault makes the right thing fail, in-process; clear restores."""

from __future__ import annotations

import pytest

from localaws import dispatch, faults
from localaws.glue import crawler as cr
from localaws.glue import jobs
from localaws.glue import workflows as wf

from tests.pipelines.acme_boto import ORDERS_DB, ORDERS_WF, REPORT_SCRIPT, acme_pipeline

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
    res = faults.stale_schema(runtime)
    assert res["read_by"] == [silver] and res["table"].endswith(".bronze_car_data")
    assert res["removed"].startswith("metrics.")   # a nested field the silver SQL reads
    r = _job(ctx, silver)
    assert r["JobRunState"] == "FAILED"
    assert r["ErrorMessage"] == f"AnalysisException: Column '{res['removed']}' does not exist"
    assert _crawl(ctx)["Status"] == "SUCCEEDED"  # re-crawl restores the field (MergeNewColumns)
    faults.clear_stale_schema(runtime)
    # job-failure -> workflow COMPLETED with exactly one failed action
    assert faults.job_failure(runtime) == {"job": JOB_NAMES["gold_performance_alerts"],
                                           "--engine_temp_limit": faults.BAD_NUMBER}
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
    assert faults.stuck_run(runtime)["held"] == silver
    rid = wf.h_start_workflow_run(ctx, {"Name": WORKFLOW})["RunId"]
    import time
    time.sleep(0.6)
    assert wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})["Run"]["Status"] == "RUNNING"
    wf.h_stop_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})
    wait_for(lambda: wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": rid})["Run"]["Status"] == "STOPPED")
    faults.clear_stuck_run(runtime)
    assert not runtime.errors


# --- a second pipeline, not lakegate's (tests/pipelines/acme_boto.py) ----------------------------

@pytest.mark.parametrize("start_with_crawler", [True, False])
def test_faults_find_their_targets_on_another_pipeline(ctx, clients, runtime, start_with_crawler):
    acme_pipeline(clients, start_with_crawler=start_with_crawler)
    pipe, crawler, facts, table = faults.ingestion(ctx)
    assert pipe.workflow == ORDERS_WF and pipe.first_jobs == ["clean_orders"]
    assert pipe.stages == [["clean_orders"], ["big_orders"]]
    assert crawler.name == "landing-orders" and table == (ORDERS_DB, "sales_orders")
    assert facts[0].incremental_inputs == ["orders_src"]
    # stuck-run holds the first-stage job; job-failure breaks the number the last job parses
    assert faults.stuck_run(runtime) == {"held": "clean_orders", "workflow": ORDERS_WF}
    faults.clear_stuck_run(runtime)
    assert faults.job_failure(runtime) == {"job": "big_orders", "--big_order_threshold": faults.BAD_NUMBER}
    assert clients["glue"].get_job(JobName="big_orders")["Job"]["DefaultArguments"]["--big_order_threshold"] == faults.BAD_NUMBER
    faults.clear_job_failure(runtime)
    assert clients["glue"].get_job(JobName="big_orders")["Job"]["DefaultArguments"]["--big_order_threshold"] == "100"
    # crawler faults hit the landing crawler, through its role and its S3 target
    iam = clients["iam"]
    before = iam.get_role_policy(RoleName="AcmeGlueServiceRole", PolicyName="glue-data-access")["PolicyDocument"]
    res = faults.crawler_access_denied(runtime)
    # the literal action leaves the policy, and its glue:*Partition* wildcard meets a Deny in the same
    # policy (a terraform apply of the configured policy removes both changes)
    assert res["crawler"] == "landing-orders" and res["policies_changed"] == ["glue-data-access"]
    assert iam.list_role_policies(RoleName="AcmeGlueServiceRole")["PolicyNames"] == ["glue-data-access"]
    lc = _crawl(ctx, "landing-orders")
    assert lc["Status"] == "FAILED" and "glue:BatchGetPartition" in lc["ErrorMessage"]
    faults.clear_crawler_access_denied(runtime)
    assert iam.get_role_policy(RoleName="AcmeGlueServiceRole", PolicyName="glue-data-access")["PolicyDocument"] == before
    assert faults.empty_crawler_target(runtime)["crawler"] == "landing-orders"
    assert _crawl(ctx, "landing-orders")["Status"] == "SUCCEEDED"
    assert clients["glue"].get_tables(DatabaseName=ORDERS_DB)["TableList"] == []
    faults.clear_empty_crawler_target(runtime)
    assert _crawl(ctx, "landing-orders")["Status"] == "SUCCEEDED"
    # stale-schema drops a column clean_orders reads (not one it never names)
    res = faults.stale_schema(runtime)
    assert res["table"] == f"{ORDERS_DB}.sales_orders" and res["read_by"] == ["clean_orders"]
    assert res["removed"] in {"order_status", "order_id", "order_total", "order_date"}
    cols = [c["Name"] for c in clients["glue"].get_table(DatabaseName=ORDERS_DB, Name="sales_orders")["Table"]
            ["StorageDescriptor"]["Columns"]]
    assert res["removed"] not in cols and len(cols) == 3
    faults.clear_stale_schema(runtime)
    assert len(clients["glue"].get_table(DatabaseName=ORDERS_DB, Name="sales_orders")["Table"]
               ["StorageDescriptor"]["Columns"]) == 4


def test_a_fault_without_a_target_says_what_it_looked_for(ctx, clients, runtime):
    acme_pipeline(clients, report_script=REPORT_SCRIPT.replace('float(opts["big_order_threshold"])',
                                                                'opts["big_order_threshold"]'))
    with pytest.raises(dispatch.AwsError) as err:
        faults.job_failure(runtime)
    assert "parses one of its arguments as a number" in err.value.message
    assert "int()/float()" in err.value.message and "big_orders" in err.value.message
    with pytest.raises(dispatch.AwsError) as err:   # nothing crawled yet
        faults.stale_schema(runtime)
    assert "sales_orders not found" in err.value.message and "landing-orders" in err.value.message
    clients["glue"].create_workflow(Name="another")
    with pytest.raises(dispatch.AwsError) as err:
        faults.stuck_run(runtime)
    assert err.value.code == "InvalidInputException" and "acme-orders-nightly" in err.value.message
    assert faults.stuck_run(runtime, workflow=ORDERS_WF)["held"] == "clean_orders"
    faults.clear_stuck_run(runtime)


def test_ingestion_crawler_is_not_a_downstream_crawler_whatever_the_creation_order(ctx, clients, tmp_path, runtime):
    """The reference workflow starts with a job that also reads back its own output, which a crawler
    in the workflow catalogs; `terraform apply` may create that crawler first. The ingestion
    crawler is still the one whose table the first job reads, outside the workflow."""
    make_pipeline(clients, tmp_path)
    backend = ctx.backend("glue")
    names = list(backend.crawlers)
    reordered = {n: backend.crawlers[n] for n in reversed(names)}   # downstream crawlers first
    backend.crawlers.clear()
    backend.crawlers.update(reordered)
    res = faults.crawler_access_denied(runtime)
    try:
        assert res["crawler"] == BRONZE_CRAWLER, res
    finally:
        faults.clear_crawler_access_denied(runtime)

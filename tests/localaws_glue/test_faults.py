"""Each fault makes the right thing fail, in-process; clear restores."""

from __future__ import annotations

import pytest

from localaws import dispatch, faults
from localaws.glue import crawler as cr
from localaws.glue import jobs
from localaws.glue import workflows as wf

import json

from .conftest import ACCOUNT, CRAWLERS, JOB_NAMES, TRUST, WORKFLOW, make_pipeline, wait_for

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


# --- a second pipeline, not lakegate's: other names, a crawler-first workflow, Glue-style scripts -----

ORDERS_WF = "acme-orders-nightly"
LANDING = "acme-landing-zone"
CURATED = "acme-curated-zone"
ORDERS_DB = "acme_sales"

CLEAN_SCRIPT = '''import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "catalog_db", "source_table", "output_uri"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
# sales order feed, landed as CSV by the upstream export
orders = glue_context.create_dynamic_frame.from_catalog(
    database=args["catalog_db"], table_name=args["source_table"], transformation_ctx="orders_src")
df = orders.toDF().where(F.col("order_status") != "CANCELLED").select("order_id", "order_total", "order_date")
df.write.mode("append").partitionBy("order_date").parquet(args["output_uri"])
job.commit()
'''

REPORT_SCRIPT = '''import sys
import boto3
from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession

opts = getResolvedOptions(sys.argv, ["JOB_NAME", "curated_uri", "big_order_threshold"])
threshold = float(opts["big_order_threshold"])
spark = SparkSession.builder.getOrCreate()
spark.read.parquet(opts["curated_uri"]).where(f"order_total > {threshold}").write.mode("overwrite").json(opts["curated_uri"] + "../big_orders/")
'''


def _acme_pipeline(clients, *, report_script: str = REPORT_SCRIPT, start_with_crawler: bool = True) -> None:
    s3, iam, glue = clients["s3"], clients["iam"], clients["glue"]
    for b in (LANDING, CURATED):
        s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=CURATED, Key="glue/scripts/clean_orders.py", Body=CLEAN_SCRIPT.encode())
    s3.put_object(Bucket=CURATED, Key="glue/scripts/big_orders.py", Body=report_script.encode())
    s3.put_object(Bucket=LANDING, Key="exports/sales_orders/2026/01/orders-0001.json",   # JSON lines
                  Body=b'{"order_id": 1, "order_status": "SHIPPED", "order_total": 10.5, "order_date": "2026-01-02"}\n'
                       b'{"order_id": 2, "order_status": "CANCELLED", "order_total": 99.0, "order_date": "2026-01-02"}\n'
                       b'{"order_id": 3, "order_status": "SHIPPED", "order_total": 250.0, "order_date": "2026-01-03"}\n')
    iam.create_role(RoleName="AcmeGlueServiceRole", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="AcmeGlueServiceRole", PolicyName="glue-data-access", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": ["glue:*Database*", "glue:*Table*", "glue:*Partition*", "glue:BatchGetPartition"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": ["logs:*"], "Resource": "*"}]}))
    role = f"arn:aws:iam::{ACCOUNT}:role/AcmeGlueServiceRole"
    glue.create_database(DatabaseInput={"Name": ORDERS_DB})
    glue.create_crawler(Name="landing-orders", Role=role, DatabaseName=ORDERS_DB,
                        Targets={"S3Targets": [{"Path": f"s3://{LANDING}/exports/sales_orders/"}]})
    glue.create_crawler(Name="curated-orders", Role=role, DatabaseName=ORDERS_DB, TablePrefix="cur_",
                        Targets={"S3Targets": [{"Path": f"s3://{CURATED}/orders/"}]})
    glue.create_job(Name="clean_orders", Role=role, GlueVersion="4.0",
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{CURATED}/glue/scripts/clean_orders.py"},
                    DefaultArguments={"--catalog_db": ORDERS_DB, "--source_table": "sales_orders",
                                      "--output_uri": f"s3://{CURATED}/orders/",
                                      "--job-bookmark-option": "job-bookmark-enable"})
    glue.create_job(Name="big_orders", Role=role, GlueVersion="4.0",
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{CURATED}/glue/scripts/big_orders.py"},
                    DefaultArguments={"--curated_uri": f"s3://{CURATED}/orders/", "--big_order_threshold": "100"})
    glue.create_workflow(Name=ORDERS_WF)

    def on_success(name, actions, job=None, crawler=None):
        cond = ({"LogicalOperator": "EQUALS", "JobName": job, "State": "SUCCEEDED"} if job else
                {"LogicalOperator": "EQUALS", "CrawlerName": crawler, "CrawlState": "SUCCEEDED"})
        glue.create_trigger(Name=name, WorkflowName=ORDERS_WF, Type="CONDITIONAL", StartOnCreation=True,
                            Predicate={"Logical": "ANY", "Conditions": [cond]}, Actions=actions)

    if start_with_crawler:
        glue.create_trigger(Name="kickoff", WorkflowName=ORDERS_WF, Type="ON_DEMAND",
                            Actions=[{"CrawlerName": "landing-orders"}])
        on_success("after-landing", [{"JobName": "clean_orders"}], crawler="landing-orders")
    else:
        glue.create_trigger(Name="kickoff", WorkflowName=ORDERS_WF, Type="ON_DEMAND",
                            Actions=[{"JobName": "clean_orders"}])
    on_success("after-clean", [{"CrawlerName": "curated-orders"}], job="clean_orders")
    on_success("after-curated", [{"JobName": "big_orders"}], crawler="curated-orders")


@pytest.mark.parametrize("start_with_crawler", [True, False])
def test_faults_find_their_targets_on_another_pipeline(ctx, clients, runtime, start_with_crawler):
    _acme_pipeline(clients, start_with_crawler=start_with_crawler)
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
    assert faults.crawler_access_denied(runtime)["crawler"] == "landing-orders"
    lc = _crawl(ctx, "landing-orders")
    assert lc["Status"] == "FAILED" and "glue:BatchGetPartition" in lc["ErrorMessage"]
    faults.clear_crawler_access_denied(runtime)
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
    _acme_pipeline(clients, report_script=REPORT_SCRIPT.replace('float(opts["big_order_threshold"])',
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

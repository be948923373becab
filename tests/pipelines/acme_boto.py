"""A second pipeline, not lakegate's, made with boto3: other names, a crawler-first workflow (or
job-first), Glue-style scripts (DynamicFrame from the catalog with a bookmark; spark.read + a
numeric threshold argument), JSON-lines landing data, one broad role. For in-process tests
(moto / the local AWS's backends) of fault targets and name discovery."""

from __future__ import annotations

import json

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

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


def acme_pipeline(clients, *, report_script: str = REPORT_SCRIPT, start_with_crawler: bool = True) -> None:
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

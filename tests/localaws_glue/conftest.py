"""In-process fixtures: moto backends + the real Runtime + a hand-built Ctx (no HTTP)."""

from __future__ import annotations

import io
import json
import time
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from localaws.dispatch import Ctx
from localaws.runtime import Runtime
from tests import _boto_models

ACCOUNT = "123456789012"
REGION = "us-east-1"
DB = "datalake-pipeline-catalog-dev"
BRONZE = "datalake-pipeline-bronze-dev"


@pytest.fixture(autouse=True)
def strict_errors(monkeypatch):
    """A handler raising an AWS error it does not declare fails the test (dispatch.guard_errors)."""
    from localaws import dispatch

    monkeypatch.setattr(dispatch, "STRICT_ERRORS", True)


@pytest.fixture
def aws():
    with mock_aws():
        from localaws.glue import state

        state.reset_all()
        yield


@pytest.fixture
def runtime():
    rt = Runtime(timing="fast", time_scale=0.2)
    yield rt
    rt.shutdown()


@pytest.fixture
def ctx(aws, runtime) -> Ctx:
    return Ctx(service="glue", operation="test", account_id=ACCOUNT, region=REGION, runtime=runtime)


@pytest.fixture
def clients(aws) -> dict[str, Any]:
    # a new session per test as boto3.client gives, the parsed models shared (tests/_boto_models.py)
    return {s: _boto_models.client(s, region_name=REGION) for s in ("s3", "glue", "iam", "logs")}


def wait_for(pred: Callable[[], Any], timeout: float = 10.0, step: float = 0.02) -> Any:
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def bronze_record(i: int, day: int = 29, engine: float = 90.0, extra: dict | None = None) -> dict:
    rec = {
        "carChassis": f"CHASSIS{i:012d}",
        "Model": "HB20 Sedan",
        "year": 2024,
        "currentMileage": 1000 + i,
        "metrics": {
            "engineTempCelsius": engine,
            "oilTempCelsius": 95.0,
            "metricTimestamp": f"Wed, {day} Oct 2025 11:00:00",
            "trip": {"tripMileage": 12.5, "tripMaxSpeedKm": 100.0},
        },
        "ingestion_timestamp": "2025-10-29T11:00:00Z",
    }
    if extra:
        rec.update(extra)
    return rec


def parquet_bytes(records: list[dict]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), buf)
    return buf.getvalue()


CRAWLER_POLICY_ACTIONS = [
    "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
    "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition",
    "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition",
]


def crawler_policy(bucket: str, folder: str, table: str, drop: tuple[str, ...] = ()) -> dict:
    """The terraform/iam.tf crawler policy, optionally without some actions."""
    arn = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": f"arn:aws:s3:::{bucket}"},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{bucket}/{folder}/*"},
            {"Effect": "Allow", "Action": [a for a in CRAWLER_POLICY_ACTIONS if a not in drop],
             "Resource": [f"{arn}:catalog", f"{arn}:database/{DB}", f"{arn}:table/{DB}/{table}"]},
            {"Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": [
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers",
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers:*"]},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers:*"},
        ],
    }


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

CONFIG = json.dumps({"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                     "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"},
                                       "Tables": {"AddOrUpdateBehavior": "MergeNewColumns"}}})


def make_crawler(clients: dict, name: str, bucket: str, folder: str, prefix: str, table: str,
                 configuration: str | None = CONFIG, drop: tuple[str, ...] = ()) -> None:
    iam, glue = clients["iam"], clients["glue"]
    role = f"{name}-role"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=role, PolicyName=f"{role}-policy",
                        PolicyDocument=json.dumps(crawler_policy(bucket, folder, table, drop)))
    try:
        glue.create_database(DatabaseInput={"Name": DB})
    except glue.exceptions.AlreadyExistsException:
        pass
    kwargs: dict[str, Any] = dict(
        Name=name, Role=f"arn:aws:iam::{ACCOUNT}:role/{role}", DatabaseName=DB,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/{folder}/"}]}, TablePrefix=prefix,
        SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"},
    )
    if configuration:
        kwargs["Configuration"] = configuration
    glue.create_crawler(**kwargs)


def put_bronze(clients: dict, day: int, records: list[dict], name: str = "part-0.parquet",
               bucket: str = BRONZE) -> str:
    s3 = clients["s3"]
    try:
        s3.create_bucket(Bucket=bucket)
    except Exception:
        pass
    key = f"bronze/car_data/ingest_year=2025/ingest_month=10/ingest_day={day:02d}/{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(records))
    return key


SCRIPTS = "datalake-pipeline-glue-scripts-dev"
SILVER = "datalake-pipeline-silver-dev"
GOLD = "datalake-pipeline-gold-dev"
TEMP = "datalake-pipeline-glue-temp-dev"
JOB_NAMES = {
    "silver_consolidation": "datalake-pipeline-silver-consolidation-dev",
    "gold_car_current_state": "datalake-pipeline-gold-car-current-state-dev",
    "gold_performance_alerts": "datalake-pipeline-gold-performance-alerts-dev",
}


def upload_generated(clients: dict, tmp_path, rows: int = 200, seed: int = 1) -> Any:
    """lakegate.datagen's bronze layout uploaded to the bronze bucket; returns its result."""
    from pathlib import Path

    from lakegate.datagen import generate

    res = generate(tmp_path / "bronze", rows=rows, seed=seed)
    s3 = clients["s3"]
    for b in (BRONZE, SILVER, GOLD, SCRIPTS, TEMP):
        try:
            s3.create_bucket(Bucket=b)
        except Exception:
            pass
    from lakegate.datagen import BRONZE_PREFIX

    # datagen writes <out>/bronze/car_data/ingest_year=.../...; keep that layout exactly once in S3.
    root = Path(tmp_path / "bronze") / BRONZE_PREFIX
    for f in sorted(root.rglob("*.parquet")):
        s3.put_object(Bucket=BRONZE, Key=f"bronze/car_data/{f.relative_to(root).as_posix()}", Body=f.read_bytes())
    return res


def make_job(clients: dict, short: str, extra: dict[str, str] | None = None, policy: dict | None = None) -> str:
    """A job as terraform/glue_jobs.tf makes it (broad role unless ``policy``)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    name = JOB_NAMES[short]
    s3, iam, glue = clients["s3"], clients["iam"], clients["glue"]
    s3.put_object(Bucket=SCRIPTS, Key=f"jobs/{short}.sql", Body=(repo / "terraform/glue_jobs" / f"{short}.sql").read_bytes())
    s3.put_object(Bucket=SCRIPTS, Key=f"jobs/{short}.py", Body=(repo / "terraform/glue_jobs" / f"{short}.py").read_bytes())
    role = f"{name}-role"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(policy or {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "glue:*", "logs:*", "cloudwatch:*"], "Resource": "*"}]}))
    args = {
        "--job-bookmark-option": "job-bookmark-enable",
        "--enable-glue-datacatalog": "true",
        "--TempDir": f"s3://{TEMP}/{short}/",
        "--enable-metrics": "true",
        "--database_name": DB,
        "--sql_path": f"s3://{SCRIPTS}/jobs/{short}.sql",
        "--continuous-log-logGroup": f"/aws-glue/jobs/{name}",
    }
    if short == "silver_consolidation":
        args.update({"--bronze_table": "bronze_car_data", "--silver_path": f"s3://{SILVER}/car_telemetry/"})
    elif short == "gold_car_current_state":
        args.update({"--silver_table": "silver_car_telemetry", "--gold_path": f"s3://{GOLD}/car_current_state/"})
    else:
        args.update({"--silver_table": "silver_car_telemetry", "--alerts_path": f"s3://{GOLD}/performance_alerts_log/",
                     "--engine_temp_limit": "100", "--oil_temp_limit": "110", "--speed_limit": "120"})
    args.update(extra or {})
    glue.create_job(Name=name, Role=f"arn:aws:iam::{ACCOUNT}:role/{role}", GlueVersion="4.0",
                    Command={"Name": "glueetl", "ScriptLocation": f"s3://{SCRIPTS}/jobs/{short}.py"},
                    DefaultArguments=args, ExecutionProperty={"MaxConcurrentRuns": 1}, Timeout=60)
    return name


WORKFLOW = "datalake-pipeline-silver-etl-workflow-dev"
CRAWLERS = {
    "bronze": ("datalake-pipeline-bronze-car-data-crawler-dev", BRONZE, "bronze/car_data", "bronze_", "bronze_car_data"),
    "silver": ("datalake-pipeline-silver-crawler-dev", SILVER, "car_telemetry", "silver_", "silver_car_telemetry"),
    "gold_state": ("datalake-pipeline-gold-car-current-state-crawler-dev", GOLD, "car_current_state", "gold_", "gold_car_current_state"),
    "gold_alerts": ("datalake-pipeline-gold-performance-alerts-crawler-dev", GOLD, "performance_alerts_log", "", "performance_alerts_log"),
}


def make_pipeline(clients: dict, tmp_path, rows: int = 300) -> Any:
    """The terraform/ pipeline mirrored with boto3 (buckets, data, 4 crawlers, 3 jobs, workflow
    with its 5 triggers)."""
    res = upload_generated(clients, tmp_path, rows=rows)
    for name, bucket, folder, prefix, table in CRAWLERS.values():
        make_crawler(clients, name, bucket, folder, prefix, table)
    for short in JOB_NAMES:
        make_job(clients, short)
    glue = clients["glue"]
    glue.create_workflow(Name=WORKFLOW)
    j, c = JOB_NAMES, CRAWLERS
    glue.create_trigger(Name="start", WorkflowName=WORKFLOW, Type="ON_DEMAND",
                        Actions=[{"JobName": j["silver_consolidation"]}])

    def cond(name: str, actions: list[dict], job: str | None = None, crawler: str | None = None) -> None:
        cnd = ({"LogicalOperator": "EQUALS", "JobName": job, "State": "SUCCEEDED"} if job else
               {"LogicalOperator": "EQUALS", "CrawlerName": crawler, "CrawlState": "SUCCEEDED"})
        glue.create_trigger(Name=name, WorkflowName=WORKFLOW, Type="CONDITIONAL", StartOnCreation=True,
                            Predicate={"Logical": "AND", "Conditions": [cnd]}, Actions=actions)

    cond("after-silver-job", [{"CrawlerName": c["silver"][0]}], job=j["silver_consolidation"])
    cond("after-silver-crawler", [{"JobName": j["gold_car_current_state"]}, {"JobName": j["gold_performance_alerts"]}],
         crawler=c["silver"][0])
    cond("after-gold-state", [{"CrawlerName": c["gold_state"][0]}], job=j["gold_car_current_state"])
    cond("after-gold-alerts", [{"CrawlerName": c["gold_alerts"][0]}], job=j["gold_performance_alerts"])
    return res

"""Plan JSON fixtures for the data-safety rules, built in code (cheap: no terraform run).

The shape is what ``terraform show -json`` writes for a saved plan (``format_version`` 1.2,
``resource_changes[].change.{actions,before,after,after_unknown}``); the loader accepts a plan that
has only ``resource_changes``. The pipeline is written in the style of a public clickstream
lake (an "acme" analytics team), NOT lakegate's own terraform/: the rules must find the data
buckets from crawler targets, job arguments and table locations, whatever the names.

``base()`` is a no-op plan of a small pipeline:

* bucket ``acme-landing-zone-prod`` with ``events/clickstream/`` (crawled) and bucket
  ``acme-curated-prod`` (the job's output, ``sessions/``);
* bucket ``acme-athena-query-results`` (Athena results only: no pipeline data);
* crawler ``clickstream-raw`` -> database ``web_analytics``, table ``clickstream``;
* catalog table ``web_analytics.sessions`` at ``s3://acme-curated-prod/sessions/``;
* Glue job ``sessionize`` (a PySpark script uploaded by ``aws_s3_object.sessionize_script``, the
  Terraform directory holds its source) reading ``--source_path`` and the table ``clickstream``
  (``--input_table``), writing ``--target_path``: the gate learns that from the script and its
  arguments, whichever ``job_io`` implementation is installed;
* Athena workgroup ``analysts`` and log group ``/aws-glue/jobs/sessionize``.

Tests change one resource with :func:`change` and run the rules with :func:`run`.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from tf_checks.engine import run_rules
from tf_checks.findings import CheckResult, Finding
from tf_checks.loader import load_data

LANDING = "acme-landing-zone-prod"
CURATED = "acme-curated-prod"
RESULTS = "acme-athena-query-results"
JOB = "sessionize"
CODE = "acme-glue-code"

SCRIPT = '''import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database_name", "input_table", "source_path", "target_path"])
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

known = glue_context.create_dynamic_frame.from_catalog(
    database=args["database_name"], table_name=args["input_table"], transformation_ctx="known")
clicks = spark.read.json(args["source_path"])
sessions = clicks.join(known.toDF(), "visitor_id").groupBy("session_id").count()
sessions.write.mode("append").parquet(args["target_path"])
job.commit()
'''


def _bucket(name: str, force: bool = False) -> dict[str, Any]:
    return {"bucket": name, "force_destroy": force, "object_lock_enabled": False,
            "tags": {"team": "analytics"}}


def _resources() -> dict[str, tuple[str, dict[str, Any]]]:
    """address -> (type, values)"""
    return {
        "aws_s3_bucket.landing": ("aws_s3_bucket", _bucket(LANDING)),
        "aws_s3_bucket.curated": ("aws_s3_bucket", _bucket(CURATED)),
        "aws_s3_bucket.query_results": ("aws_s3_bucket", _bucket(RESULTS, force=True)),
        "aws_glue_catalog_database.analytics": ("aws_glue_catalog_database", {
            "name": "web_analytics", "description": "clickstream"}),
        "aws_glue_crawler.clickstream": ("aws_glue_crawler", {
            "name": "clickstream-raw", "database_name": "web_analytics",
            "role": "arn:aws:iam::123456789012:role/crawler",
            "s3_target": [{"path": f"s3://{LANDING}/events/clickstream/", "exclusions": []}],
            "schema_change_policy": [{"delete_behavior": "LOG", "update_behavior": "UPDATE_IN_DATABASE"}],
            "table_prefix": ""}),
        "aws_glue_catalog_table.sessions": ("aws_glue_catalog_table", {
            "name": "sessions", "database_name": "web_analytics", "table_type": "EXTERNAL_TABLE",
            "storage_descriptor": [{"location": f"s3://{CURATED}/sessions/",
                                    "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"}]}),
        "aws_s3_object.sessionize_script": ("aws_s3_object", {
            "bucket": CODE, "key": "jobs/sessionize.py", "source": "jobs/sessionize.py",
            "etag": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}),
        "aws_glue_job.sessionize": ("aws_glue_job", {
            "name": JOB, "role_arn": "arn:aws:iam::123456789012:role/etl", "glue_version": "4.0",
            "command": [{"name": "glueetl", "script_location": f"s3://{CODE}/jobs/sessionize.py",
                         "python_version": "3"}],
            "default_arguments": {
                "--job-bookmark-option": "job-bookmark-enable",
                "--database_name": "web_analytics",
                "--input_table": "clickstream",
                "--source_path": f"s3://{LANDING}/events/clickstream/",
                "--target_path": f"s3://{CURATED}/sessions/"}}),
        "aws_athena_workgroup.analysts": ("aws_athena_workgroup", {
            "name": "analysts", "force_destroy": False, "state": "ENABLED"}),
        "aws_cloudwatch_log_group.sessionize": ("aws_cloudwatch_log_group", {
            "name": "/aws-glue/jobs/sessionize", "retention_in_days": 30}),
    }


class PlanBuilder:
    def __init__(self) -> None:
        self.changes: dict[str, dict[str, Any]] = {}
        for address, (rtype, values) in _resources().items():
            self.add(address, rtype, before=values, after=copy.deepcopy(values), actions=["no-op"])

    def add(self, address: str, rtype: str, *, before: dict | None, after: dict | None,
            actions: list[str], after_unknown: dict | None = None) -> "PlanBuilder":
        self.changes[address] = {
            "address": address, "mode": "managed", "type": rtype, "name": address.split(".")[1],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after,
                       "after_unknown": after_unknown or {}}}
        return self

    def change(self, address: str, actions: list[str], **after: Any) -> "PlanBuilder":
        """Plan ``actions`` on ``address`` with these after-values (``None`` after for a delete)."""
        rc = self.changes[address]["change"]
        rc["actions"] = actions
        if actions == ["delete"]:
            rc["after"] = None
        else:
            rc["after"].update(after)
        return self

    def tweak(self, address: str, fn: Any) -> "PlanBuilder":
        """Edit the after-values in place with ``fn(after)`` and mark the resource updated."""
        rc = self.changes[address]["change"]
        fn(rc["after"])
        rc["actions"] = ["update"]
        return self

    def doc(self) -> dict[str, Any]:
        return {"format_version": "1.2", "terraform_version": "1.11.0",
                "resource_changes": list(self.changes.values())}


def change(address: str, actions: list[str], **after: Any) -> PlanBuilder:
    return PlanBuilder().change(address, actions, **after)


def run(plan: PlanBuilder | dict[str, Any], tf_dir: Path | None = None) -> CheckResult:
    """The rules on ``plan`` with a Terraform directory that holds the job's script (``tf_dir``,
    or a fresh temporary one)."""
    doc = plan.doc() if isinstance(plan, PlanBuilder) else plan
    with tempfile.TemporaryDirectory(prefix="lg-safe-") as tmp:
        where = Path(tf_dir) if tf_dir is not None else Path(tmp)
        (where / "jobs").mkdir(parents=True, exist_ok=True)
        (where / "jobs" / "sessionize.py").write_text(SCRIPT)
        return run_rules(load_data(doc, "fixture.plan.json"), where)


def safe(result: CheckResult) -> list[Finding]:
    """The LG-SAFE findings only (other families may comment on the synthetic plan too)."""
    return [f for f in result.findings if f.rule_id.startswith("LG-SAFE")]


def ids(result: CheckResult) -> list[tuple[str, str, str]]:
    return sorted((f.rule_id, f.address, f.severity) for f in safe(result))

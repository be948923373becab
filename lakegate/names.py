"""Pipeline names, read from Terraform outputs — never hard-coded in steps or recovery.

Sources, in the order users have them: a ``terraform output -json`` file, a ``terraform show
-json`` state document (``values.outputs``), a raw ``terraform.tfstate`` (v4, ``outputs``), or a
live driver call (``TerraformDriver.outputs()``). All become the same :class:`PipelineNames`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError

REQUIRED = (
    "workflow_name", "bronze_crawler_name", "silver_job_name", "gold_current_state_job_name",
    "gold_alerts_job_name", "crawler_names", "job_names", "database_name", "expected_tables",
    "athena_workgroup_name", "athena_result_location", "bronze_bucket", "bronze_data_path",
)


@dataclass(frozen=True)
class PipelineNames:
    workflow: str
    bronze_crawler: str
    silver_job: str
    gold_current_state_job: str
    gold_alerts_job: str
    crawlers: dict[str, str]            # key -> name (bronze, silver, gold_car_current_state, ...)
    jobs: dict[str, str]                # short name -> job name
    database: str
    expected_tables: list[str]
    workgroup: str
    athena_output: str
    bronze_bucket: str
    bronze_data_path: str
    expected_actions: int = 6
    crawler_tables: dict[str, str] = field(default_factory=dict)   # crawler name -> table
    job_output_paths: dict[str, str] = field(default_factory=dict)
    log_groups: dict[str, str] = field(default_factory=dict)       # job name -> log group
    crawler_log_group: str = "/aws-glue/crawlers"
    role_names: dict[str, str] = field(default_factory=dict)       # crawler/job name -> role name
    role_arns: dict[str, str] = field(default_factory=dict)        # crawler/job name -> role ARN
    crawler_targets: dict[str, str] = field(default_factory=dict)  # crawler name -> S3 target
    region: str = "us-east-1"
    account_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def gold_jobs(self) -> list[str]:
        return [self.gold_current_state_job, self.gold_alerts_job]

    @property
    def all_jobs(self) -> list[str]:
        return [self.silver_job, *self.gold_jobs]

    # --- tables, derived from the outputs (crawler targets/tables, job output paths) ----------
    def table_of_crawler(self, crawler: str) -> str:
        table = self.crawler_tables.get(crawler)
        if not table:
            raise LakegateError(f"the Terraform outputs name no table for crawler {crawler}",
                                where="output crawler_tables",
                                fix="add the crawler -> table entry to the crawler_tables output")
        return table

    def crawler_of_path(self, url: str) -> str | None:
        """The crawler whose S3 target holds ``url`` (the job output a crawler catalogs)."""
        norm = url.rstrip("/") + "/"
        for crawler, target in self.crawler_targets.items():
            t = str(target).rstrip("/") + "/"
            if norm.startswith(t) or t.startswith(norm):
                return crawler
        return None

    def table_written_by(self, job: str) -> str:
        """The catalog table of a job's output: output path → the crawler targeting it → its table."""
        path = self.job_output_paths.get(job)
        crawler = self.crawler_of_path(path) if path else None
        if crawler is None:
            raise LakegateError(f"cannot tell which table job {job} writes: no crawler targets its output "
                                f"{path or '(no job_output_paths entry)'}",
                                where="outputs job_output_paths / crawler_targets",
                                fix="export both outputs (see terraform/outputs.tf of the reference pipeline)")
        return self.table_of_crawler(crawler)

    @property
    def bronze_table(self) -> str:
        return self.table_of_crawler(self.bronze_crawler)

    @property
    def silver_table(self) -> str:
        return self.table_written_by(self.silver_job)

    @property
    def gold_current_state_table(self) -> str:
        return self.table_written_by(self.gold_current_state_job)

    @property
    def alerts_table(self) -> str:
        return self.table_written_by(self.gold_alerts_job)

    def tables_by_role(self) -> dict[str, str]:
        """Placeholders for SQL and Gherkin: {bronze}, {silver}, {gold_current_state}, {alerts}."""
        return {"bronze": self.bronze_table, "silver": self.silver_table,
                "gold_current_state": self.gold_current_state_table, "alerts": self.alerts_table}

    def job_arguments(self, job: str) -> dict[str, str]:
        """The job's arguments as Terraform exported them (output ``job_arguments``), if any."""
        args = (self.raw.get("job_arguments") or {}).get(job) or {}
        return {str(k): str(v) for k, v in args.items()} if isinstance(args, dict) else {}

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any], *, source: str = "terraform outputs") -> "PipelineNames":
        # `terraform output -json` wraps each value as {"value": ..., "type": ..., "sensitive": ...}
        flat = {k: (v["value"] if isinstance(v, dict) and "value" in v and "type" in v else v)
                for k, v in outputs.items()}
        missing = [k for k in REQUIRED if k not in flat]
        if missing:
            raise LakegateError(
                f"the Terraform outputs lack {', '.join(missing)}",
                where=source,
                fix="apply the terraform/ configuration of this repository (its outputs.tf defines them), "
                    "or pass the outputs of the right workspace",
            )
        try:
            return cls(
                workflow=str(flat["workflow_name"]),
                bronze_crawler=str(flat["bronze_crawler_name"]),
                silver_job=str(flat["silver_job_name"]),
                gold_current_state_job=str(flat["gold_current_state_job_name"]),
                gold_alerts_job=str(flat["gold_alerts_job_name"]),
                crawlers=dict(flat["crawler_names"]),
                jobs=dict(flat["job_names"]),
                database=str(flat["database_name"]),
                expected_tables=list(flat["expected_tables"]),
                workgroup=str(flat["athena_workgroup_name"]),
                athena_output=str(flat["athena_result_location"]),
                bronze_bucket=str(flat["bronze_bucket"]),
                bronze_data_path=str(flat["bronze_data_path"]),
                expected_actions=int(flat.get("workflow_expected_actions", 6)),
                crawler_tables=dict(flat.get("crawler_tables", {})),
                job_output_paths=dict(flat.get("job_output_paths", {})),
                log_groups=dict(flat.get("log_group_names", {})),
                crawler_log_group=str(flat.get("crawler_log_group", "/aws-glue/crawlers")),
                role_names=dict(flat.get("role_names", {})),
                role_arns=dict(flat.get("role_arns", {})),
                crawler_targets=dict(flat.get("crawler_targets", {})),
                region=str(flat.get("region", "us-east-1")),
                account_id=str(flat["account_id"]) if flat.get("account_id") else None,
                raw=flat,
            )
        except (TypeError, ValueError) as err:
            raise LakegateError(f"a Terraform output has an unexpected type ({err})", where=source,
                                fix="check that the outputs come from this repository's terraform/") from None

    @classmethod
    def from_file(cls, path: Path) -> "PipelineNames":
        """Read ``terraform output -json``, ``terraform show -json`` (state) or a raw tfstate file."""
        try:
            doc = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise LakegateError(f"{path} does not exist", where=str(path),
                                fix="run `terraform output -json > outputs.json` in the deployed workspace") from None
        except (OSError, json.JSONDecodeError) as err:
            raise LakegateError(f"cannot read outputs: {err}", where=str(path),
                                fix="pass the output of `terraform output -json` or a state file") from None
        if not isinstance(doc, dict):
            raise LakegateError("the outputs file is not a JSON object", where=str(path),
                                fix="pass the output of `terraform output -json` or a state file")
        if "values" in doc and isinstance(doc["values"], dict):        # terraform show -json (state)
            outputs = doc["values"].get("outputs", {})
        elif "outputs" in doc and "version" in doc:                     # raw terraform.tfstate v4
            outputs = doc["outputs"]
        else:
            outputs = doc
        return cls.from_outputs(outputs, source=str(path))

"""Contract tests of the reference pipeline in ``terraform/`` against docs/DESIGN.md.

Why: every other part (the gate, the Gherkin runbook, the local AWS, the reports) relies on the
names, the workflow graph, the job arguments and the IAM roles of this configuration. These tests
run the real ``terraform`` offline: ``fmt -check`` on the repository, then ``init`` / ``plan``
(its validation diagnostics stand for ``validate``: tests/terraform/reference_plan.py) / ``show
-json`` on a copy with a provider override holding fake credentials, once per session, and check
the *planned values* (not the HCL text), so what is tested is what Terraform would create.

The expected names below are written out from docs/DESIGN.md on purpose: they are the contract.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from lakegate.tfenv import terraform_env
from tests.terraform.reference_plan import run_tf as _run

REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(shutil.which("terraform") is None,
                       reason="the terraform binary is not on PATH (install Terraform >= 1.5)"),
]

# --- the contract (docs/DESIGN.md, defaults project=datalake-pipeline, environment=dev) ----------
P, E = "datalake-pipeline", "dev"
ACCOUNT, REGION = "123456789012", "us-east-1"
BUCKETS = {
    "bronze": f"{P}-bronze-{E}",
    "silver": f"{P}-silver-{E}",
    "gold": f"{P}-gold-{E}",
    "glue_scripts": f"{P}-glue-scripts-{E}",
    "glue_temp": f"{P}-glue-temp-{E}",
    "athena_results": f"{P}-athena-results-{E}",
}
DATABASE = f"{P}-catalog-{E}"
WORKFLOW = f"{P}-silver-etl-workflow-{E}"
WORKGROUP = f"{P}-workgroup-{E}"
ATHENA_RESULTS = f"s3://{BUCKETS['athena_results']}/query-results/"

BRONZE_CRAWLER = f"{P}-bronze-car-data-crawler-{E}"
SILVER_CRAWLER = f"{P}-silver-crawler-{E}"
GOLD_STATE_CRAWLER = f"{P}-gold-car-current-state-crawler-{E}"
GOLD_ALERTS_CRAWLER = f"{P}-gold-performance-alerts-crawler-{E}"
CRAWLERS = {  # name -> (S3 target, table prefix, resulting table)
    BRONZE_CRAWLER: (f"s3://{BUCKETS['bronze']}/bronze/car_data/", "bronze_", "bronze_car_data"),
    SILVER_CRAWLER: (f"s3://{BUCKETS['silver']}/car_telemetry/", "silver_", "silver_car_telemetry"),
    GOLD_STATE_CRAWLER: (f"s3://{BUCKETS['gold']}/car_current_state/", "gold_",
                         "gold_car_current_state"),
    GOLD_ALERTS_CRAWLER: (f"s3://{BUCKETS['gold']}/performance_alerts_log/", None,
                          "performance_alerts_log"),
}
CRAWLER_CONFIGURATION = {
    "Version": 1.0,
    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"},
                      "Tables": {"AddOrUpdateBehavior": "MergeNewColumns"}},
}

SILVER_JOB = f"{P}-silver-consolidation-{E}"
GOLD_STATE_JOB = f"{P}-gold-car-current-state-{E}"
GOLD_ALERTS_JOB = f"{P}-gold-performance-alerts-{E}"
JOB_SHORT = {SILVER_JOB: "silver_consolidation", GOLD_STATE_JOB: "gold_car_current_state",
             GOLD_ALERTS_JOB: "gold_performance_alerts"}
JOB_OUTPUTS = {
    SILVER_JOB: f"s3://{BUCKETS['silver']}/car_telemetry/",
    GOLD_STATE_JOB: f"s3://{BUCKETS['gold']}/car_current_state/",
    GOLD_ALERTS_JOB: f"s3://{BUCKETS['gold']}/performance_alerts_log/",
}
EXPECTED_TABLES = ["bronze_car_data", "silver_car_telemetry", "gold_car_current_state",
                   "performance_alerts_log"]


def design_job_arguments(job: str) -> dict[str, str]:
    """The arguments docs/DESIGN.md says the job receives (common + the job's own)."""
    short = JOB_SHORT[job]
    args = {
        "--job-bookmark-option": "job-bookmark-enable",
        "--enable-glue-datacatalog": "true",
        "--TempDir": f"s3://{BUCKETS['glue_temp']}/{short}/",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-metrics": "true",
        "--database_name": DATABASE,
        "--sql_path": f"s3://{BUCKETS['glue_scripts']}/jobs/{short}.sql",
        "--extra-py-files": f"s3://{BUCKETS['glue_scripts']}/jobs/lakegate_glue_job.py",
    }
    if job == SILVER_JOB:
        args |= {"--silver_path": JOB_OUTPUTS[job], "--bronze_table": "bronze_car_data"}
    elif job == GOLD_STATE_JOB:
        args |= {"--gold_path": JOB_OUTPUTS[job], "--silver_table": "silver_car_telemetry"}
    else:
        args |= {"--alerts_path": JOB_OUTPUTS[job], "--silver_table": "silver_car_telemetry",
                 "--engine_temp_limit": "100", "--oil_temp_limit": "110", "--speed_limit": "120"}
    return args


# --- running terraform ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tf_results(reference_offline_plan: dict[str, Any]) -> dict[str, Any]:
    """init + plan + show -json of a copy of terraform/ (tests/terraform/reference_plan.py), made
    once per session and shared with the gate's slow test of the same configuration."""
    return reference_offline_plan


@pytest.fixture(scope="module")
def plan(tf_results: dict[str, Any]) -> dict[str, Any]:
    return tf_results["plan"]


def resources(plan: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [r for r in plan["planned_values"]["root_module"]["resources"]
            if r["type"] == rtype and r["mode"] == "managed"]


def by_name(plan: dict[str, Any], rtype: str, key: str = "name") -> dict[str, dict[str, Any]]:
    found = {r["values"][key]: r["values"] for r in resources(plan, rtype)}
    assert len(found) == len(resources(plan, rtype)), f"duplicate {rtype} {key}s"
    return found


def outputs(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: v.get("value") for k, v in plan["planned_values"]["outputs"].items()}


# --- a tiny IAM matcher (identity policies, Allow only; the real evaluator is tf_checks/iam) ---

def _wild(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in pattern) + r"\Z", re.S)


def allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    """True when an Allow statement without conditions grants action on resource."""
    for st in policy["Statement"]:
        if st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        acts = st.get("Action", [])
        res = st.get("Resource", [])
        acts = [acts] if isinstance(acts, str) else acts
        res = [res] if isinstance(res, str) else res
        if any(_wild(a.lower()).match(action.lower()) for a in acts) and \
                any(_wild(r).match(resource) for r in res):
            return True
    return False


def role_policies(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Role NAME -> its inline policy document (the policy's role must be known at plan)."""
    out: dict[str, dict[str, Any]] = {}
    for v in (r["values"] for r in resources(plan, "aws_iam_role_policy")):
        assert v.get("role"), f"inline policy {v.get('name')} has no role known at plan time"
        assert v["role"] not in out, f"role {v['role']} has more than one inline policy"
        out[v["role"]] = json.loads(v["policy"])
    return out


def role_name_of(arn: str) -> str:
    m = re.fullmatch(rf"arn:aws:iam::{ACCOUNT}:role/(.+)", arn)
    assert m, f"{arn!r} is not a role ARN of account {ACCOUNT}"
    return m.group(1)


def s3(bucket: str, key: str = "") -> str:
    return f"arn:aws:s3:::{BUCKETS[bucket]}" + (f"/{key}" if key else "")


GLUE = f"arn:aws:glue:{REGION}:{ACCOUNT}"
LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"


# --- fast: fmt ---------------------------------------------------------------------------------

def test_fmt_check_passes(tmp_path: Path) -> None:
    env = terraform_env(tmp_path)
    proc = _run(["fmt", "-check", "-recursive", "-no-color", "."], TF_DIR, env, timeout=60)
    assert proc.returncode == 0, f"files need `terraform fmt`: {proc.stdout}{proc.stderr}"


def test_every_file_the_design_splits_into_exists() -> None:
    expected = {"versions.tf", "variables.tf", "locals.tf", "s3.tf", "catalog.tf", "iam.tf",
                "glue_jobs.tf", "glue_crawlers.tf", "workflow.tf", "athena.tf", "logs.tf",
                "outputs.tf"}
    assert expected <= {p.name for p in TF_DIR.glob("*.tf")}
    assert (TF_DIR / ".terraform.lock.hcl").is_file(), "commit the provider lock file"


# --- slow: validate and plan -------------------------------------------------------------------

@pytest.mark.slow
def test_validate_is_clean_without_warnings(tf_results: dict[str, Any]) -> None:
    v = tf_results["validate"]
    assert v["valid"], v["diagnostics"]
    assert v["warning_count"] == 0, v["diagnostics"]
    assert v["error_count"] == 0, v["diagnostics"]


@pytest.mark.slow
def test_plan_needs_no_aws_lookups(plan: dict[str, Any]) -> None:
    """Only local data sources: the plan must run offline with fake credentials."""
    data = {r["type"] for r in plan["configuration"]["root_module"]["resources"]
            if r["mode"] == "data"}
    assert data <= {"aws_iam_policy_document"}, data
    assert plan["errored"] is False


@pytest.mark.slow
def test_resource_counts(plan: dict[str, Any]) -> None:
    counts = {t: len(resources(plan, t)) for t in (
        "aws_glue_crawler", "aws_glue_job", "aws_glue_trigger", "aws_glue_workflow",
        "aws_glue_catalog_database", "aws_s3_bucket", "aws_athena_workgroup",
        "aws_cloudwatch_log_group", "aws_iam_role", "aws_iam_role_policy", "aws_s3_object")}
    assert counts == {
        "aws_glue_crawler": 4, "aws_glue_job": 3, "aws_glue_trigger": 5, "aws_glue_workflow": 1,
        "aws_glue_catalog_database": 1, "aws_s3_bucket": 6, "aws_athena_workgroup": 1,
        "aws_cloudwatch_log_group": 4, "aws_iam_role": 7, "aws_iam_role_policy": 7,
        "aws_s3_object": 7}  # 3 scripts + 3 SQL + the shared driver


@pytest.mark.slow
def test_workflow_graph_is_the_runbooks(plan: dict[str, Any]) -> None:
    assert set(by_name(plan, "aws_glue_workflow")) == {WORKFLOW}
    triggers = list(by_name(plan, "aws_glue_trigger").values())
    assert all(t["workflow_name"] == WORKFLOW for t in triggers)
    assert sum(len(t["actions"]) for t in triggers) == 6
    starts = [t for t in triggers if t["type"] == "ON_DEMAND"]
    assert len(starts) == 1, "exactly one start trigger (no scheduled second start)"
    assert [a["job_name"] for a in starts[0]["actions"]] == [SILVER_JOB]

    # condition -> set of actions, for the CONDITIONAL triggers
    edges: dict[tuple[str, str], set[str]] = {}
    for t in triggers:
        if t["type"] == "ON_DEMAND":
            continue
        assert t["type"] == "CONDITIONAL", t["name"]
        assert t["start_on_creation"] is True, f"{t['name']} would never be activated"
        (pred,) = t["predicate"]
        (cond,) = pred["conditions"]
        assert cond["logical_operator"] == "EQUALS"
        if cond["job_name"]:
            assert cond["state"] == "SUCCEEDED" and not cond["crawler_name"]
            key = ("job", cond["job_name"])
        else:
            assert cond["crawl_state"] == "SUCCEEDED", "crawler conditions use crawl_state"
            key = ("crawler", cond["crawler_name"])
        assert key not in edges
        edges[key] = {a["job_name"] or a["crawler_name"] for a in t["actions"]}
    assert edges == {
        ("job", SILVER_JOB): {SILVER_CRAWLER},
        ("crawler", SILVER_CRAWLER): {GOLD_STATE_JOB, GOLD_ALERTS_JOB},  # ONE trigger, parallel
        ("job", GOLD_STATE_JOB): {GOLD_STATE_CRAWLER},
        ("job", GOLD_ALERTS_JOB): {GOLD_ALERTS_CRAWLER},
    }
    acted = {a["job_name"] or a["crawler_name"] for t in triggers for a in t["actions"]}
    assert BRONZE_CRAWLER not in acted, "the bronze crawler runs by hand (PASSO 2)"


@pytest.mark.slow
def test_jobs_are_glue4_with_every_design_argument(plan: dict[str, Any]) -> None:
    jobs = by_name(plan, "aws_glue_job")
    assert set(jobs) == set(JOB_SHORT)
    for name, job in jobs.items():
        short = JOB_SHORT[name]
        assert job["glue_version"] == "4.0"
        assert job["worker_type"] == "G.1X" and job["number_of_workers"] == 2
        assert job["timeout"] and job["timeout"] > 0
        assert job["execution_property"] == [{"max_concurrent_runs": 1}]
        (cmd,) = job["command"]
        assert cmd["name"] == "glueetl"
        assert cmd["script_location"] == f"s3://{BUCKETS['glue_scripts']}/jobs/{short}.py"
        args = job["default_arguments"]
        missing = {k: v for k, v in design_job_arguments(name).items() if args.get(k) != v}
        assert not missing, f"{name}: arguments missing or different: {missing}"
        assert args["--continuous-log-logGroup"] == f"/aws-glue/jobs/{name}"


@pytest.mark.slow
def test_scripts_and_sql_are_uploaded_from_glue_jobs(plan: dict[str, Any]) -> None:
    objects = by_name(plan, "aws_s3_object", key="key")
    for short in JOB_SHORT.values():
        for ext in ("py", "sql"):
            obj = objects[f"jobs/{short}.{ext}"]
            assert obj["bucket"] == BUCKETS["glue_scripts"]
            local = TF_DIR / "glue_jobs" / f"{short}.{ext}"
            assert obj["etag"] == hashlib.md5(local.read_bytes()).hexdigest()
    # the driver every script imports: one object, the URL every job gets as --extra-py-files
    driver = objects["jobs/lakegate_glue_job.py"]
    assert driver["bucket"] == BUCKETS["glue_scripts"]
    assert driver["etag"] == hashlib.md5(
        (TF_DIR / "glue_jobs" / "lakegate_glue_job.py").read_bytes()).hexdigest()
    url = f"s3://{driver['bucket']}/{driver['key']}"
    assert {j["default_arguments"]["--extra-py-files"]
            for j in by_name(plan, "aws_glue_job").values()} == {url}


@pytest.mark.slow
def test_crawlers_make_one_table_each(plan: dict[str, Any]) -> None:
    crawlers = by_name(plan, "aws_glue_crawler")
    assert set(crawlers) == set(CRAWLERS)
    for name, c in crawlers.items():
        target, prefix, _table = CRAWLERS[name]
        assert c["database_name"] == DATABASE
        assert [t["path"] for t in c["s3_target"]] == [target]
        assert (c["table_prefix"] or None) == prefix
        assert json.loads(c["configuration"]) == CRAWLER_CONFIGURATION
        assert c["schema_change_policy"] == [{"update_behavior": "UPDATE_IN_DATABASE",
                                              "delete_behavior": "LOG"}]
        assert c["recrawl_policy"] == [{"recrawl_behavior": "CRAWL_EVERYTHING"}]


@pytest.mark.slow
def test_one_role_per_crawler_and_job(plan: dict[str, Any]) -> None:
    roles = set(by_name(plan, "aws_iam_role"))
    used = [role_name_of(c["role"]) for c in by_name(plan, "aws_glue_crawler").values()]
    used += [role_name_of(j["role_arn"]) for j in by_name(plan, "aws_glue_job").values()]
    assert len(used) == len(set(used)) == 7, "each crawler and job has its own role"
    assert set(used) == roles
    assert set(role_policies(plan)) == roles
    for role in by_name(plan, "aws_iam_role").values():
        trust = json.loads(role["assume_role_policy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "glue.amazonaws.com"}]


@pytest.mark.slow
def test_crawler_roles_cover_what_crawlers_do(plan: dict[str, Any]) -> None:
    policies = role_policies(plan)
    for name, c in by_name(plan, "aws_glue_crawler").items():
        pol = policies[role_name_of(c["role"])]
        target, _prefix, table = CRAWLERS[name]
        bucket = next(k for k, b in BUCKETS.items() if target.startswith(f"s3://{b}/"))
        folder = target.split("/", 3)[3]
        assert allows(pol, "s3:ListBucket", s3(bucket))
        assert allows(pol, "s3:GetObject", s3(bucket, f"{folder}x=1/part-0.parquet"))
        for action in ("glue:GetPartition", "glue:BatchGetPartition", "glue:GetPartitions",
                       "glue:GetTable", "glue:CreateTable", "glue:UpdateTable",
                       "glue:CreatePartition", "glue:BatchCreatePartition",
                       "glue:UpdatePartition"):
            assert allows(pol, action, f"{GLUE}:table/{DATABASE}/{table}"), (name, action)
            assert allows(pol, action, f"{GLUE}:database/{DATABASE}"), (name, action)
            assert allows(pol, action, f"{GLUE}:catalog"), (name, action)
        assert allows(pol, "glue:GetDatabase", f"{GLUE}:database/{DATABASE}")
        assert allows(pol, "logs:PutLogEvents", f"{LOGS}/aws-glue/crawlers:log-stream:{name}")
        # least privilege: no writes to data, no other table, no other bucket
        assert not allows(pol, "s3:PutObject", s3(bucket, f"{folder}x"))
        assert not allows(pol, "glue:CreateTable", f"{GLUE}:table/{DATABASE}/other_table")
        assert not allows(pol, "s3:GetObject", s3("glue_scripts", "jobs/x.py"))


@pytest.mark.slow
def test_job_roles_cover_what_jobs_do(plan: dict[str, Any]) -> None:
    policies = role_policies(plan)
    reads = {  # job -> (catalog table, S3 folders it reads)
        SILVER_JOB: ("bronze_car_data", [("bronze", "bronze/car_data/"),
                                         ("silver", "car_telemetry/")]),
        GOLD_STATE_JOB: ("silver_car_telemetry", [("silver", "car_telemetry/"),
                                                  ("gold", "car_current_state/")]),
        GOLD_ALERTS_JOB: ("silver_car_telemetry", [("silver", "car_telemetry/")]),
    }
    for name, job in by_name(plan, "aws_glue_job").items():
        pol = policies[role_name_of(job["role_arn"])]
        short = JOB_SHORT[name]
        assert allows(pol, "s3:GetObject", s3("glue_scripts", f"jobs/{short}.py"))
        assert allows(pol, "s3:GetObject", s3("glue_scripts", f"jobs/{short}.sql"))
        assert allows(pol, "s3:GetObject", s3("glue_scripts", "jobs/lakegate_glue_job.py"))
        table, folders = reads[name]
        for bucket, folder in folders:
            assert allows(pol, "s3:ListBucket", s3(bucket)), (name, bucket)
            assert allows(pol, "s3:GetObject", s3(bucket, f"{folder}p=1/part-0.parquet"))
        for action in ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"):
            assert allows(pol, action, f"{GLUE}:table/{DATABASE}/{table}"), (name, action)
        assert allows(pol, "glue:GetDatabase", f"{GLUE}:database/{DATABASE}")
        assert allows(pol, "glue:GetDatabase", f"{GLUE}:database/default"), \
            "--enable-glue-datacatalog makes Spark read database/default"
        out = JOB_OUTPUTS[name]
        bucket = next(k for k, b in BUCKETS.items() if out.startswith(f"s3://{b}/"))
        folder = out.split("/", 3)[3].rstrip("/")
        for key in (f"{folder}/event_year=2025/part-0.parquet", f"{folder}_$folder$",
                    f"{folder}/event_year=2025_$folder$"):
            assert allows(pol, "s3:PutObject", s3(bucket, key)), (name, key)
            assert allows(pol, "s3:DeleteObject", s3(bucket, key)), (name, key)
        assert allows(pol, "s3:PutObject", s3("glue_temp", f"{short}/spill/x"))
        assert allows(pol, "logs:PutLogEvents",
                      f"{LOGS}/aws-glue/jobs/{name}:log-stream:jr_1-driver")
        # least privilege: never writes bronze, never another job's output, no catalog writes
        assert not allows(pol, "s3:PutObject", s3("bronze", "bronze/car_data/x"))
        assert not allows(pol, "glue:CreateTable", f"{GLUE}:table/{DATABASE}/{table}")
        for other, other_out in JOB_OUTPUTS.items():
            if other != name and other_out != out:
                ob = next(k for k, b in BUCKETS.items() if other_out.startswith(f"s3://{b}/"))
                assert not allows(pol, "s3:DeleteObject",
                                  s3(ob, other_out.split("/", 3)[3] + "x"))


@pytest.mark.slow
def test_buckets_are_versioned_encrypted_private(plan: dict[str, Any]) -> None:
    buckets = by_name(plan, "aws_s3_bucket", key="bucket")
    assert set(buckets) == set(BUCKETS.values())
    # data safety: no force_destroy by default (LG-SAFE-004); local teardown overrides it
    assert all(b["force_destroy"] is False for b in buckets.values())
    versioning = {r["values"]["bucket"]: r["values"]["versioning_configuration"][0]["status"]
                  for r in resources(plan, "aws_s3_bucket_versioning")}
    sse = {r["values"]["bucket"]: r["values"]["rule"][0]["apply_server_side_encryption_by_default"]
           [0]["sse_algorithm"] for r in resources(plan, "aws_s3_bucket_server_side_encryption_configuration")}
    pab = {r["values"]["bucket"]: r["values"]
           for r in resources(plan, "aws_s3_bucket_public_access_block")}
    for name in BUCKETS.values():
        assert versioning.get(name) == "Enabled", name
        assert sse.get(name) in {"AES256", "aws:kms"}, name
        assert all(pab[name][k] is True for k in ("block_public_acls", "block_public_policy",
                                                  "ignore_public_acls",
                                                  "restrict_public_buckets")), name


@pytest.mark.slow
def test_athena_workgroup_and_log_groups(plan: dict[str, Any]) -> None:
    (wg,) = resources(plan, "aws_athena_workgroup")
    wg = wg["values"]
    assert wg["name"] == WORKGROUP
    (conf,) = wg["configuration"]
    assert conf["enforce_workgroup_configuration"] is True
    (rc,) = conf["result_configuration"]
    assert rc["output_location"] == ATHENA_RESULTS
    assert rc["encryption_configuration"][0]["encryption_option"] in {"SSE_S3", "SSE_KMS"}
    groups = set(by_name(plan, "aws_cloudwatch_log_group"))
    assert groups == {f"/aws-glue/jobs/{j}" for j in JOB_SHORT} | {"/aws-glue/crawlers"}
    assert set(by_name(plan, "aws_glue_catalog_database")) == {DATABASE}


@pytest.mark.slow
def test_outputs_expose_every_name(plan: dict[str, Any]) -> None:
    out = outputs(plan)
    roles = {role_name_of(c["role"]) for c in by_name(plan, "aws_glue_crawler").values()}
    assert out["workflow_name"] == WORKFLOW
    assert out["database_name"] == DATABASE
    assert out["athena_workgroup_name"] == WORKGROUP
    assert out["athena_result_location"] == ATHENA_RESULTS
    assert out["bucket_names"] == BUCKETS
    assert out["expected_tables"] == EXPECTED_TABLES
    assert set(out["job_names"].values()) == set(JOB_SHORT)
    assert set(out["crawler_names"].values()) == set(CRAWLERS)
    assert out["silver_job_name"] == SILVER_JOB
    assert out["gold_current_state_job_name"] == GOLD_STATE_JOB
    assert out["gold_alerts_job_name"] == GOLD_ALERTS_JOB
    assert out["bronze_crawler_name"] == BRONZE_CRAWLER
    assert out["silver_crawler_name"] == SILVER_CRAWLER
    assert out["gold_current_state_crawler_name"] == GOLD_STATE_CRAWLER
    assert out["gold_alerts_crawler_name"] == GOLD_ALERTS_CRAWLER
    assert out["job_output_paths"] == JOB_OUTPUTS
    assert out["crawler_targets"] == {n: t for n, (t, _p, _t) in CRAWLERS.items()}
    assert out["crawler_tables"] == {n: t for n, (_x, _p, t) in CRAWLERS.items()}
    assert roles <= set(out["role_names"].values())
    assert set(out["role_names"]) == set(JOB_SHORT) | set(CRAWLERS)
    assert out["workflow_expected_actions"] == 6
    assert out["job_library_location"] == f"s3://{BUCKETS['glue_scripts']}/jobs/lakegate_glue_job.py"
    assert out["start_trigger_name"] in out["trigger_names"].values()
    for job in JOB_SHORT:
        assert out["job_arguments"][job] == by_name(plan, "aws_glue_job")[job]["default_arguments"]
        assert out["log_group_names"][job] == f"/aws-glue/jobs/{job}"
    assert out["crawler_log_group"] == "/aws-glue/crawlers"

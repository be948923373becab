"""Required-permission model: the runbook's crawler list, Problem 2, job requirements."""

from __future__ import annotations

import pytest

from lakegate.errors import LakegateError
from tf_checks.iam import evaluate, missing_permissions, suggest_statement
from tf_checks.requirements import (Requirement, crawler_requirements, job_requirements,
                                    permission_table)

REGION, ACC, DB = "us-east-1", "111122223333", "datalake-pipeline-catalog-dev"
BRONZE = "datalake-pipeline-bronze-dev"

RUNBOOK_CRAWLER_ACTIONS = [  # WORKFLOW_RECOVERY_GUIDE.md, Problema 2
    "glue:GetDatabase", "glue:CreateTable", "glue:UpdateTable", "glue:GetTable",
    "glue:GetPartitions", "glue:GetPartition", "glue:BatchGetPartition",
    "glue:CreatePartition", "glue:UpdatePartition", "glue:BatchCreatePartition",
]


def crawler_reqs(account=ACC):
    return crawler_requirements(region=REGION, account=account, database=DB,
                                s3_targets=[f"s3://{BRONZE}/bronze/car_data/"],
                                table_names=["bronze_car_data"])


def crawler_policy(glue_actions, account=ACC):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Catalog", "Effect": "Allow", "Action": glue_actions, "Resource": [
            f"arn:aws:glue:{REGION}:{account}:catalog",
            f"arn:aws:glue:{REGION}:{account}:database/{DB}",
            f"arn:aws:glue:{REGION}:{account}:table/{DB}/*"]},
        {"Sid": "S3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{BRONZE}", f"arn:aws:s3:::{BRONZE}/*"]},
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:aws:logs:{REGION}:{account}:log-group:/aws-glue/crawlers:*"},
    ]}


def test_crawler_requirements_contain_runbook_list():
    reqs = crawler_reqs()
    glue_actions = {r.action for r in reqs if r.action.startswith("glue:")}
    assert glue_actions == set(RUNBOOK_CRAWLER_ACTIONS)
    table_arn = f"arn:aws:glue:{REGION}:{ACC}:table/{DB}/bronze_car_data"
    assert {r.action for r in reqs if r.resource == table_arn} == \
        set(RUNBOOK_CRAWLER_ACTIONS) - {"glue:GetDatabase"}
    assert Requirement in {type(r) for r in reqs}
    s3 = {(r.action, r.resource) for r in reqs if r.action.startswith("s3:")}
    assert s3 == {("s3:ListBucket", f"arn:aws:s3:::{BRONZE}"),
                  ("s3:GetObject", f"arn:aws:s3:::{BRONZE}/bronze/car_data/*")}
    logs = {r.resource for r in reqs if r.action.startswith("logs:")}
    assert logs == {f"arn:aws:logs:{REGION}:{ACC}:log-group:/aws-glue/crawlers:*"}
    assert all(r.why and r.source.startswith("https://") for r in reqs)


def test_full_runbook_policy_is_sufficient():
    assert missing_permissions({"crawler": crawler_policy(RUNBOOK_CRAWLER_ACTIONS)},
                               crawler_reqs()) == []


def test_problem2_policy_misses_exactly_getpartition_and_batchgetpartition():
    broken = [a for a in RUNBOOK_CRAWLER_ACTIONS
              if a not in ("glue:GetPartition", "glue:BatchGetPartition")]
    missing = missing_permissions({"crawler": crawler_policy(broken)}, crawler_reqs())
    assert {m.action for m in missing} == {"glue:GetPartition", "glue:BatchGetPartition"}
    assert all(m.decision.decision == "implicit_deny" for m in missing)
    stmts = suggest_statement(missing)
    assert len(stmts) == 1
    assert stmts[0]["Action"] == ["glue:BatchGetPartition", "glue:GetPartition"]


def test_glue_wildcard_partition_policy_is_sufficient():
    """The terraform-compliance false positive: glue:*Partition* covers BatchGetPartition."""
    acts = ["glue:GetDatabase", "glue:*Table", "glue:*Partition*"]
    assert missing_permissions({"crawler": crawler_policy(acts)}, crawler_reqs()) == []


def test_placeholder_account_both_sides():
    reqs = crawler_reqs(account="${account_id}")
    ok = crawler_policy(RUNBOOK_CRAWLER_ACTIONS, account="${account_id}")
    assert missing_permissions({"c": ok}, reqs) == []
    concrete = crawler_policy(RUNBOOK_CRAWLER_ACTIONS, account=ACC)
    missing = missing_permissions({"c": concrete}, reqs)
    assert missing and all(m.decision.decision == "conditional" for m in missing)


def _job(**over):
    args = dict(region=REGION, account=ACC, database=DB,
                catalog_reads=[(DB, "bronze_car_data")], catalog_writes=[],
                s3_reads=["s3://datalake-pipeline-silver-dev/car_telemetry/"],
                s3_writes=["s3://datalake-pipeline-silver-dev/car_telemetry/"],
                temp_dir="s3://datalake-pipeline-glue-temp-dev/silver_consolidation/",
                script_location="s3://datalake-pipeline-glue-scripts-dev/jobs/silver.py",
                extra_s3_reads=["s3://datalake-pipeline-glue-scripts-dev/jobs/silver.sql"],
                enable_catalog=True,
                log_groups=["/aws-glue/jobs/datalake-pipeline-silver-consolidation-dev"],
                bookmarks=True)
    args.update(over)
    return job_requirements(**args)


def test_job_requirements_cover_arguments():
    reqs = _job()
    pairs = {(r.action, r.resource) for r in reqs}
    silver = "arn:aws:s3:::datalake-pipeline-silver-dev"
    assert ("s3:PutObject", f"{silver}/car_telemetry*") in pairs
    # a write alone does not delete; an overwrite (s3_deletes) does
    assert ("s3:DeleteObject", f"{silver}/car_telemetry*") not in pairs
    over = {(r.action, r.resource) for r in _job(s3_deletes=["s3://datalake-pipeline-silver-dev/car_telemetry/"])}
    assert ("s3:DeleteObject", f"{silver}/car_telemetry*") in over
    listed = {(r.action, r.resource, r.context) for r in _job(
        s3_reads=[], s3_writes=[], s3_lists=["s3://datalake-pipeline-silver-dev/landing/"])}
    assert ("s3:ListBucket", silver, (("s3:prefix", "landing/"),)) in listed
    assert not any(a == "s3:GetObject" and r.startswith(silver) for a, r, _ in listed)
    assert ("s3:GetObject", "arn:aws:s3:::datalake-pipeline-glue-scripts-dev/jobs/silver.py") \
        in pairs
    assert ("s3:GetObject", "arn:aws:s3:::datalake-pipeline-glue-scripts-dev/jobs/silver.sql") \
        in pairs
    assert ("glue:GetDatabase", f"arn:aws:glue:{REGION}:{ACC}:database/default") in pairs
    assert ("glue:BatchGetPartition",
            f"arn:aws:glue:{REGION}:{ACC}:table/{DB}/bronze_car_data") in pairs
    temp = "arn:aws:s3:::datalake-pipeline-glue-temp-dev/silver_consolidation*"
    assert {a for a, r in pairs if r == temp} == {"s3:PutObject", "s3:GetObject",
                                                  "s3:DeleteObject"}
    assert ("logs:PutLogEvents",
            f"arn:aws:logs:{REGION}:{ACC}:log-group:/aws-glue/jobs/*:*") in pairs
    # catalog off -> no default-database requirement
    off = {(r.action, r.resource) for r in _job(enable_catalog=False)}
    assert ("glue:GetDatabase", f"arn:aws:glue:{REGION}:{ACC}:database/default") not in off
    # bookmarks need nothing extra
    assert {(r.action, r.resource) for r in _job(bookmarks=False)} == pairs


def test_folder_marker_covered_by_write_requirement():
    """A policy scoped to car_telemetry/* misses the sibling car_telemetry_$folder$ marker."""
    reqs = [r for r in _job(s3_deletes=["s3://datalake-pipeline-silver-dev/car_telemetry/"])
            if r.action == "s3:DeleteObject" and "silver-dev" in r.resource]
    assert reqs
    narrow = {"p": {"Statement": [{"Effect": "Allow", "Action": "s3:DeleteObject",
                                   "Resource": "arn:aws:s3:::datalake-pipeline-silver-dev/"
                                               "car_telemetry/*"}]}}
    wide = {"p": {"Statement": [{"Effect": "Allow", "Action": "s3:DeleteObject",
                                 "Resource": "arn:aws:s3:::datalake-pipeline-silver-dev/"
                                             "car_telemetry*"}]}}
    assert len(missing_permissions(narrow, reqs)) == 1
    assert missing_permissions(wide, reqs) == []
    marker = "arn:aws:s3:::datalake-pipeline-silver-dev/car_telemetry_$folder$"
    assert evaluate(wide, "s3:DeleteObject", marker).allowed
    assert not evaluate(narrow, "s3:DeleteObject", marker).allowed


def test_every_table_entry_has_source_and_why():
    table = permission_table()
    assert {"crawler.catalog.tables", "job.s3.write", "job.bookmarks"} <= set(table)
    for key, e in table.items():
        assert e["source"].startswith("https://"), key
        assert len(e["why"]) > 20, key


@pytest.mark.parametrize("bad", ["bronze/car_data/", "http://x/y", "s3://", 5])
def test_bad_s3_target_is_clear_error(bad):
    with pytest.raises(LakegateError) as e:
        crawler_requirements(region=REGION, account=ACC, database=DB, s3_targets=[bad])
    assert e.value.fix


def test_missing_region_is_clear_error():
    with pytest.raises(LakegateError):
        crawler_requirements(region="", account=ACC, database=DB, s3_targets=["s3://b/p/"])

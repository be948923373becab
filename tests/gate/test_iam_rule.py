"""IAM sufficiency on the pipeline fixture: clean, mutated policies, unknowns, modules/for_each."""

from __future__ import annotations

import json
from pathlib import Path

from tests.gate.conftest import FIXTURES, plan_data
from tests.gate.helpers import check, ids, set_value

CRAWLER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::datalake-pipeline-bronze-dev", "arn:aws:s3:::datalake-pipeline-bronze-dev/*",
                      "arn:aws:s3:::datalake-pipeline-silver-dev", "arn:aws:s3:::datalake-pipeline-silver-dev/*"]},
        {"Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
                                       "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions",
                                       "glue:BatchGetPartition", "glue:CreatePartition", "glue:UpdatePartition",
                                       "glue:BatchCreatePartition"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "arn:aws:logs:*:*:log-group:/aws-glue/*"},
    ],
}


def _high(result):
    return [f for f in result.findings if f.severity in ("high", "critical")]


def test_pipeline_is_clean_with_tf_dir():
    result = check(plan_data("pipeline"), FIXTURES / "pipeline")
    assert _high(result) == []
    assert result.exit_code("high") == 0


def test_policy_unknown_without_tf_dir_cannot_verify():
    result = check(plan_data("pipeline"))
    resolve = [f for f in result.findings if f.rule_id == "LG-RESOLVE-001"]
    assert any(f.address == "aws_iam_role_policy.crawler" and "--tf-dir" in f.message for f in resolve)
    assert any(f.address == "aws_iam_policy.job" for f in resolve)
    assert result.exit_code("high") == 1          # never a pass


def test_known_policy_in_plan_is_evaluated_without_tf_dir():
    data = plan_data("pipeline")
    set_value(data, "aws_iam_role_policy.crawler", "policy", json.dumps(CRAWLER_POLICY))
    result = check(data)
    crawler_findings = [f for f in result.findings if f.address.startswith("aws_glue_crawler")
                        or f.address == "aws_iam_role_policy.crawler"]
    assert [f for f in crawler_findings if f.severity == "high"] == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_removing_batchgetpartition_reports_exactly_that(pipeline_dir: Path):
    _edit(pipeline_dir / "main.tf", '"glue:BatchGetPartition", ', "")
    result = check(plan_data("pipeline"), pipeline_dir)
    iam = [f for f in result.findings if f.rule_id == "LG-IAM-001"]
    assert {f.address for f in iam} == {"aws_glue_crawler.bronze", "aws_glue_crawler.silver"}
    for f in iam:
        assert {m.action for m in f.missing} == {"glue:BatchGetPartition"}
        assert f.role_address == "aws_iam_role.crawler"
        assert "glue:BatchGetPartition" in f.fix and '"Effect": "Allow"' in f.fix
        assert "datalake-pipeline-crawler-role-dev" in f.message
    assert result.exit_code() == 1


def test_wildcard_partition_action_still_passes(pipeline_dir: Path):
    _edit(pipeline_dir / "main.tf",
          '"glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:CreatePartition",\n'
          '          "glue:UpdatePartition", "glue:BatchCreatePartition",',
          '"glue:*Partition*",')
    result = check(plan_data("pipeline"), pipeline_dir)
    assert _high(result) == []


def test_deny_wins(pipeline_dir: Path):
    _edit(pipeline_dir / "main.tf", "    Statement = [\n      {\n        Effect = \"Allow\"\n"
          "        Action = [\"s3:GetObject\", \"s3:ListBucket\"]",
          "    Statement = [\n      { Effect = \"Deny\", Action = \"glue:BatchGetPartition\", Resource = \"*\" },\n"
          "      {\n        Effect = \"Allow\"\n        Action = [\"s3:GetObject\", \"s3:ListBucket\"]")
    result = check(plan_data("pipeline"), pipeline_dir)
    deny = [f for f in result.findings if f.rule_id == "LG-IAM-002"]
    assert deny and all({m.action for m in f.missing} == {"glue:BatchGetPartition"} for f in deny)
    assert all(m.decision == "explicit_deny" for f in deny for m in f.missing)
    assert "Deny" in deny[0].fix


def test_job_policy_from_policy_document_data_source_missing_put(pipeline_dir: Path):
    _edit(pipeline_dir / "main.tf", '"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"',
          '"s3:GetObject", "s3:DeleteObject", "s3:ListBucket"')
    result = check(plan_data("pipeline"), pipeline_dir)
    iam = [f for f in result.findings if f.rule_id == "LG-IAM-001"]
    assert [f.address for f in iam] == ["aws_glue_job.silver"]
    actions = {m.action for m in iam[0].missing}
    assert actions == {"s3:PutObject"}
    assert any("datalake-pipeline-silver-dev/car_telemetry" in m.resource for m in iam[0].missing)


def test_role_not_in_plan_cannot_verify():
    data = plan_data("pipeline")
    set_value(data, "aws_glue_crawler.silver", "role", "some-external-role")
    result = check(data, FIXTURES / "pipeline")
    assert any(f.rule_id == "LG-RESOLVE-001" and f.address == "aws_glue_crawler.silver"
               and "not managed in this plan" in f.message for f in result.findings)


def test_unknown_aws_managed_policy_cannot_verify():
    data = plan_data("pipeline")
    set_value(data, "aws_iam_role_policy_attachment.job_service", "policy_arn",
              "arn:aws:iam::aws:policy/NoSuchPolicyForLakegate")
    result = check(data, FIXTURES / "pipeline")
    assert any(f.rule_id == "LG-RESOLVE-001" and "NoSuchPolicyForLakegate" in f.message for f in result.findings)


def test_unresolvable_expression_is_cannot_verify(pipeline_dir: Path):
    # a variable with no value anywhere: neither tfparse nor hclsrc can evaluate it
    _edit(pipeline_dir / "main.tf", 'Resource = ["*"]', 'Resource = [var.not_declared_anywhere]')
    result = check(plan_data("pipeline"), pipeline_dir)
    assert any(f.rule_id == "LG-RESOLVE-001" and f.address == "aws_iam_role_policy.crawler"
               for f in result.findings)


def test_for_expression_is_evaluated(pipeline_dir: Path):
    """A ``for`` expression (beyond hclsrc's subset) is evaluated like Terraform (tfparse)."""
    _edit(pipeline_dir / "main.tf", 'Resource = ["*"]', 'Resource = [for b in ["*"] : b]')
    result = check(plan_data("pipeline"), pipeline_dir)
    assert not [f for f in result.findings if f.rule_id.startswith(("LG-RESOLVE", "LG-IAM"))]
    _edit(pipeline_dir / "main.tf", 'Resource = [for b in ["*"] : b]',
          'Resource = [for b in ["arn:aws:s3:::not-the-bucket"] : b]')
    result = check(plan_data("pipeline"), pipeline_dir)
    assert any(f.rule_id == "LG-IAM-001" and f.address == "aws_glue_crawler.bronze"
               for f in result.findings)


def test_modules_and_for_each():
    data = plan_data("modules")
    without = check(data)
    assert {f.address for f in without.findings if f.rule_id == "LG-RESOLVE-001"} >= {
        'module.zone["bronze"].aws_iam_role_policy.crawler', 'module.zone["silver"].aws_iam_role_policy.crawler'}
    result = check(plan_data("modules"), FIXTURES / "modules")
    assert _high(result) == []
    assert result.resources == 9


def test_modules_missing_permission_in_one_instance(tmp_path: Path):
    import shutil
    dst = tmp_path / "modules"
    shutil.copytree(FIXTURES / "modules", dst)
    _edit(dst / "modules" / "crawler" / "main.tf", '"glue:*Partition*"', '"glue:GetPartition*"')
    result = check(plan_data("modules"), dst)
    iam = [f for f in result.findings if f.rule_id == "LG-IAM-001"]
    assert {f.address for f in iam} == {'module.zone["bronze"].aws_glue_crawler.this',
                                        'module.zone["silver"].aws_glue_crawler.this'}
    assert all({m.action for m in f.missing} == {"glue:BatchGetPartition", "glue:BatchCreatePartition",
                                                  "glue:CreatePartition", "glue:UpdatePartition"}
               for f in iam)
    assert any("mod-bronze-data" in m.resource for f in iam for m in f.missing) is False

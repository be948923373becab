"""Shared fixtures for the gate's outputs, suppressions and checkov runner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tf_checks.findings import CheckResult, Finding, Missing

FIXTURES = Path(__file__).parent / "fixtures"

ROOT_TF = '''\
locals {
  tags = { team = "data" }   # a brace in a comment: {
}

# lakegate:ignore LG-IAM-001 reason: sample crawler, reads a public demo bucket only
resource "aws_glue_crawler" "bronze" {
  name = "bronze-${var.env}-{x}"
  role = aws_iam_role.crawler.arn
  configuration = <<EOT
{"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}}
}}}
EOT
  s3_target {
    path = "s3://${join("/", ["a", "}"])}/bronze/"
  }
}

resource "aws_iam_role" "crawler" {
  name = "crawler"
  # lakegate:ignore LG-WF-002
}

resource "aws_s3_bucket" "bronze" {
  # lakegate:ignore CKV_AWS_18 reason: access logs go to the org-wide trail
  bucket = "b"
}

# lakegate:ignore LG-PIPE-001 reason: floating comment, not above a block

locals {
  x = 1
}

module "etl" {
  source = "./modules/etl"
}
'''

MODULE_TF = '''\
resource "aws_glue_job" "silver" {
  name = "silver"
  // lakegate:ignore LG-IAM-002 reason: job role managed by the platform team
}
'''


@pytest.fixture
def tf_dir(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(ROOT_TF)
    (tmp_path / "modules" / "etl").mkdir(parents=True)
    (tmp_path / "modules" / "etl" / "job.tf").write_text(MODULE_TF)
    return tmp_path


@pytest.fixture
def result() -> CheckResult:
    return CheckResult(
        findings=[
            Finding("LG-IAM-001", "high", "aws_glue_crawler.bronze",
                    "The crawler role cannot read partitions.",
                    fix='{"Effect": "Allow", "Action": ["glue:BatchGetPartition"], "Resource": "*"}',
                    role_address="aws_iam_role.crawler",
                    missing=[Missing("glue:BatchGetPartition", "arn:aws:glue:us-east-1:1:table/db/*")]),
            Finding("LG-IAM-002", "critical", 'module.etl.aws_glue_job.silver["a"]',
                    "The job role cannot write the silver path.", fix="add s3:PutObject"),
            Finding("LG-WF-002", "medium", "aws_glue_workflow.main",
                    "Condition on a crawler uses state instead of crawl_state.", fix="use crawl_state"),
            Finding("CKV_AWS_18", "low", "aws_s3_bucket.bronze", "Ensure S3 access logging [CKV_AWS_18]",
                    source="checkov"),
            Finding("LG-PIPE-003", "medium", "aws_glue_job.unknown", "Not declared anywhere.",
                    fix="declare it"),
        ],
        resources=12,
    )

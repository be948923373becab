"""Slow, real terraform against the local AWS: a configuration that guards its data bucket with
``prevent_destroy`` (and no ``force_destroy``) is applied and torn down through lakegate's local
target (the teardown override), and a real plan that renames the bucket is a replace the gate
reports as lost data (LG-SAFE-001, with the rename explained)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakegate import localenv
from lakegate.terraform import TerraformDriver
from tf_checks.engine import run_rules
from tf_checks.loader import load_data

CONFIG = '''
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "raw_bucket" {
  type    = string
  default = "ingest-raw-orders-qa"
}

resource "aws_s3_bucket" "raw" {
  bucket = var.raw_bucket

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_glue_catalog_database" "orders" {
  name = "orders_qa"
}

resource "aws_iam_role" "crawler" {
  name = "orders-crawler-qa"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "glue.amazonaws.com" } }]
  })
}

resource "aws_glue_crawler" "orders" {
  name          = "orders-raw-qa"
  role          = aws_iam_role.crawler.arn
  database_name = aws_glue_catalog_database.orders.name

  s3_target {
    path = "s3://${aws_s3_bucket.raw.bucket}/landing/orders/"
  }
}
'''


@pytest.mark.slow
@pytest.mark.terraform
def test_guarded_bucket_rename_is_reported_and_local_teardown_still_works(tmp_path: Path) -> None:
    tf = tmp_path / "tf"
    tf.mkdir()
    (tf / "main.tf").write_text(CONFIG)
    state = tmp_path / "local" / "state.json"
    st = localenv.start(path=state, timeout=60, exit_with_pid=os.getpid())
    try:
        work = tmp_path / "work"
        TerraformDriver(tf, target="local", endpoint=st.endpoint, work_dir=work).apply()
        s3 = localenv.client("s3", st)
        s3.put_object(Bucket="ingest-raw-orders-qa", Key="landing/orders/2026/part-0.json", Body=b"{}")

        renamed = TerraformDriver(tf, target="local", endpoint=st.endpoint, work_dir=work,
                                  variables={"raw_bucket": "ingest-raw-orders-qa-v2"})
        plan = renamed.plan()
        actions = {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"]}
        assert actions["aws_s3_bucket.raw"] == ["delete", "create"]
        result = run_rules(load_data(plan, "rename.plan.json"))
        safe = [f for f in result.findings if f.rule_id == "LG-SAFE-001"]
        assert [f.address for f in safe] == ["aws_s3_bucket.raw"], [f.message for f in result.findings]
        msg = safe[0].message
        assert "objects under s3://ingest-raw-orders-qa/landing/orders/" in msg
        assert "crawler orders-raw-qa" in msg and "`moved` block cannot help" in msg
        assert result.recovery_plan["backup_before_apply"] is True

        # teardown of the local stack: prevent_destroy in the config, an object in the bucket
        # (the state is the apply's, unchanged: the rename above was only planned)
        TerraformDriver(tf, target="local", endpoint=st.endpoint, work_dir=work).destroy(refresh=False)
        assert "ingest-raw-orders-qa" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        glue = localenv.client("glue", st)
        assert "orders_qa" not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    finally:
        localenv.stop(path=state)

"""The teardown override (lakegate/teardown.py): only the local target gets it; it unguards exactly
the blocks that set prevent_destroy and forces force_destroy on buckets and workgroups."""

from __future__ import annotations

import json
from pathlib import Path

from lakegate.teardown import teardown_override
from lakegate.terraform import OVERRIDE_FILE, TerraformDriver

MAIN = '''
resource "aws_s3_bucket" "landing" {
  bucket        = "acme-landing"
  force_destroy = var.force_destroy

  lifecycle {
    prevent_destroy       = true
    create_before_destroy = false
  }
}

resource "aws_glue_catalog_database" "db" {
  name = "analytics"
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_glue_crawler" "c" {
  name = "raw"
}

variable "force_destroy" {
  type    = bool
  default = false
}
'''


def test_override_blocks(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN)
    (tmp_path / "extra.tf.json").write_text(json.dumps({"resource": {"aws_athena_workgroup": {"wg": {"name": "w"}}}}))
    (tmp_path / "old_override.tf").write_text('resource "aws_s3_bucket" "ignored" {\n  bucket = "x"\n}\n')
    files = sorted(tmp_path.glob("*.tf")) + sorted(tmp_path.glob("*.tf.json"))
    text = teardown_override(files)
    assert 'resource "aws_s3_bucket" "landing" {\n  force_destroy = true\n  lifecycle {\n    prevent_destroy = false\n  }\n}' in text
    assert 'resource "aws_glue_catalog_database" "db" {\n  lifecycle {\n    prevent_destroy = false\n  }\n}' in text
    assert 'resource "aws_athena_workgroup" "wg" {\n  force_destroy = true\n}' in text
    assert "aws_glue_crawler" not in text and "ignored" not in text
    assert "create_before_destroy" not in text   # lifecycle arguments merge one by one
    assert teardown_override([tmp_path / "nothing.tf"]) == ""


def test_only_the_local_target_gets_it(tmp_path: Path) -> None:
    src = tmp_path / "tf"
    src.mkdir()
    (src / "main.tf").write_text(MAIN)
    local = TerraformDriver(src, target="local", endpoint="http://127.0.0.1:1", work_dir=tmp_path / "w")
    offline = TerraformDriver(src, target="offline", work_dir=tmp_path / "w")
    aws = TerraformDriver(src, target="aws", work_dir=tmp_path / "w")
    assert "prevent_destroy = false" in local._override()
    assert "prevent_destroy" not in offline._override() and "force_destroy" not in offline._override()
    assert "prevent_destroy" not in aws._override()
    local._sync()
    assert "prevent_destroy = false" in (local.copy_dir / OVERRIDE_FILE).read_text()
    assert "prevent_destroy" not in "".join(p.read_text() for p in src.glob("*.tf") if p.name != "main.tf")

"""Deploy cache (lakegate.deploy): a pristine local AWS gets the saved state of an earlier apply of
the same configuration, then the same ``terraform apply`` runs (real terraform, real local AWS)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from lakegate import localenv
from lakegate.deploy import deploy_local
from lakegate.terraform import TerraformDriver

MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "env" {
  type    = string
  default = "qa"
}

locals {
  tags = { Team = "analytics", Env = var.env }
}

resource "aws_s3_bucket" "landing" {
  bucket = "orders-landing-${var.env}"
  tags   = local.tags
}

resource "aws_s3_object" "etl_script" {
  bucket  = aws_s3_bucket.landing.id
  key     = "scripts/load_orders.py"
  content = "print('load orders')\\n"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "etl" {
  name               = "orders-etl-${var.env}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_glue_catalog_database" "orders" {
  name = "orders_${var.env}"
}

# a script kept outside the Terraform folder (absolute path): not part of the cache key
resource "aws_s3_object" "job" {
  bucket  = aws_s3_bucket.landing.id
  key     = "jobs/clean_orders.py"
  content = file("@SCRIPT@")
}

output "bucket" {
  value = aws_s3_bucket.landing.bucket
}
"""


@pytest.fixture()
def tf_dir(tmp_path: Path) -> Path:
    d = tmp_path / "orders-infra"
    d.mkdir()
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "clean_orders.py").write_text("print('v1')\n")
    (d / "main.tf").write_text(MAIN_TF.replace("@SCRIPT@", str(tmp_path / "jobs" / "clean_orders.py")))
    return d


def _up(tmp_path: Path, name: str) -> tuple[Path, localenv.LocalState]:
    state = tmp_path / name / "state.json"
    return state, localenv.start(path=state, timeout=60, exit_with_pid=os.getpid())


def _script(st: localenv.LocalState, bucket: str = "orders-landing-qa") -> bytes:
    return localenv.client("s3", st).get_object(Bucket=bucket, Key="jobs/clean_orders.py")["Body"].read()


@pytest.mark.slow
@pytest.mark.terraform
def test_second_deploy_restores_then_applies_and_a_change_is_a_new_key(tmp_path, tf_dir):
    """A miss saves an entry; the same configuration into a pristine local AWS is a hit that plans
    nothing; a local AWS that served requests is skipped; a changed configuration or ``-var`` is
    another key; ``cache=False`` neither restores nor saves.

    And (formerly test_a_hit_plans_against_the_restored_state_and_applies_what_the_key_does_not_see,
    merged here in session 5 with every assertion of both tests: the two tests each paid a miss,
    i.e. a full apply and two more local AWS servers, for the same mechanics) on a hit nothing is
    refreshed, but the configuration is still planned against the restored state: a change the
    cache key cannot see (a file outside the Terraform folder) is planned and that plan is
    applied; an unchanged one plans nothing."""
    cache = tmp_path / "cache"
    script = tmp_path / "jobs" / "clean_orders.py"
    state, st = _up(tmp_path, "a")
    try:
        first = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                             work_dir=tmp_path / "w1", cache=cache)
        body = _script(st)
    finally:
        localenv.stop(path=state)
    assert first.cache == "miss"
    assert (first.cache, first.cache_plan, body) == ("miss", None, b"print('v1')\n")
    entries = [p for p in cache.iterdir() if p.is_dir()]
    assert len(entries) == 1
    assert (entries[0] / "localaws.snapshot").is_file()
    assert json.loads((entries[0] / "terraform.tfstate").read_text())["resources"]
    # complete when written: `show -json` of exactly that state, for the hits' scenarios (BA1)
    shown = json.loads((entries[0] / "state-show.json").read_text())
    assert shown["tfstate_sha256"] == hashlib.sha256((entries[0] / "terraform.tfstate").read_bytes()).hexdigest()
    assert {r["address"] for r in shown["document"]["values"]["root_module"]["resources"]} >= {
        "aws_s3_bucket.landing", "aws_iam_role.etl", "aws_glue_catalog_database.orders"}

    state, st = _up(tmp_path, "b")
    try:
        second = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                              work_dir=tmp_path / "w2", cache=cache)
        assert (second.cache, second.cache_plan) == ("hit", "empty")
        assert (second.cache, second.cache_plan, _script(st)) == ("hit", "empty", b"print('v1')\n")
        assert second.outputs == first.outputs == {"bucket": "orders-landing-qa"}
        s3, iam, glue = (localenv.client(s, st) for s in ("s3", "iam", "glue"))
        assert s3.get_object(Bucket="orders-landing-qa", Key="scripts/load_orders.py")["Body"].read() \
            == b"print('load orders')\n"
        assert iam.get_role(RoleName="orders-etl-qa")["Role"]["Tags"]
        assert glue.get_database(Name="orders_qa")["Database"]["Name"] == "orders_qa"
        # terraform agrees that the restored local AWS is what the configuration describes: a
        # refreshed plan has nothing to do (`plan -detailed-exitcode` exits 0: no resource and no
        # output change; stricter than counting the plan's resource changes, and without the
        # `show -json` a driver plan adds, one AWS provider start less)
        driver = TerraformDriver(tf_dir, target="local", endpoint=st.endpoint, work_dir=tmp_path / "w2")
        assert driver.apply_planned(refresh=True) is False, \
            "terraform planned (and applied) a change on the restored local AWS"
        # not pristine any more: an ordinary incremental apply, nothing restored
        third = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                             work_dir=tmp_path / "w2", cache=cache)
        assert third.cache == "skipped: the local AWS already served requests"
    finally:
        localenv.stop(path=state)

    # an entry whose verification plan was empty (the second deploy's) may be verified beside the
    # caller (the scenarios' first world): the deploy returns with that plan still running
    assert json.loads((entries[0] / "verified-empty.json").read_text())["tfstate_sha256"]
    state, st = _up(tmp_path, "f")
    try:
        later = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                             work_dir=tmp_path / "w6", cache=cache, verify_later=True)
        assert (later.cache, later.cache_plan) == ("hit", "pending")
        assert later.wait_verified() == (True, "") and later.cache_plan == "empty"
    finally:
        localenv.stop(path=state)

    # a change the key does not see (the script outside the folder): still a hit. Verified beside
    # the caller, the plan finds the change and says so, applying nothing (the caller deploys
    # again); the entry is then verified before use again
    script.write_text("print('v2')\n")
    state, st = _up(tmp_path, "g")
    try:
        unverified = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                                  work_dir=tmp_path / "w7", cache=cache, verify_later=True)
        assert unverified.cache_plan == "pending"
        ok, why = unverified.wait_verified()
        assert not ok and "planned changes" in why and unverified.cache_plan == "unverified", why
        assert _script(st) == b"print('v1')\n"   # nothing applied
    finally:
        localenv.stop(path=state)
    assert not (entries[0] / "verified-empty.json").exists()
    # ... and the ordinary deploy plans against the restored state, finds that change and applies it
    state, st = _up(tmp_path, "e")
    try:
        changed_script = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                                      work_dir=tmp_path / "w5", cache=cache)
        body = _script(st)
    finally:
        localenv.stop(path=state)
    assert (changed_script.cache, changed_script.cache_plan, body) == ("hit", "applied", b"print('v2')\n")
    saved = json.loads((changed_script.driver.copy_dir / "terraform.tfstate").read_text())
    obj = next(r for r in saved["resources"] if r["type"] == "aws_s3_object" and r["name"] == "job")
    assert obj["instances"][0]["attributes"]["content"] == "print('v2')\n"
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 1   # a hit saves nothing

    # a changed configuration is another key: a full apply, saved next to the first entry
    changed = tmp_path / "orders-infra-v2"
    shutil.copytree(tf_dir, changed)
    (changed / "main.tf").write_text((tf_dir / "main.tf").read_text().replace(
        'Team = "analytics"', 'Team = "data-platform"'))
    state, st = _up(tmp_path, "c")
    try:
        fourth = deploy_local(changed, rows=0, seed=0, upload=False, state_path=state,
                              work_dir=tmp_path / "w3", cache=cache)
        assert fourth.cache == "miss"
        tags = localenv.client("iam", st).list_role_tags(RoleName="orders-etl-qa")["Tags"]
        assert {"Key": "Team", "Value": "data-platform"} in tags
    finally:
        localenv.stop(path=state)
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2

    # a -var value is part of the key too; cache=False never restores nor saves
    state, st = _up(tmp_path, "d")
    try:
        fifth = deploy_local(tf_dir, rows=0, seed=0, upload=False, state_path=state,
                             work_dir=tmp_path / "w4", cache=False, variables={"env": "dev"})
        assert fifth.cache == "off"
        assert localenv.client("glue", st).get_database(Name="orders_dev")["Database"]["Name"]
    finally:
        localenv.stop(path=state)
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2

"""The evaluator layer: tfparse + substitution, computed attributes, placeholders, region and
account per resource, gate settings, the IAM snapshot and the offline caller-identity deferral.

Plans here are small hand-written plan JSON documents (the shapes ``terraform show -json``
writes); the Terraform directories are written next to them so tfparse evaluates them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakegate.errors import LakegateError
from lakegate.terraform import defer_offline_data_sources
from tf_checks.loader import load_data
from tf_checks.resolve import ACCOUNT, REGION, Resolver, computed_attributes
from tf_checks.settings import load_settings
from tf_checks.tfeval import Evaluation, has_unknown, unknown, unknowns_in


def _rc(address, rtype, name, after, unknown=None, module=None, index=None, mode="managed"):
    rc = {"address": address, "mode": mode, "type": rtype, "name": name,
          "change": {"actions": ["create"], "after": after, "after_unknown": unknown or {}}}
    if module:
        rc["module_address"] = module
    if index is not None:
        rc["index"] = index
    return rc


def _plan(changes, *, resources_cfg=(), provider_config=None, module_calls=None, variables=None):
    return {"format_version": "1.2", "resource_changes": changes,
            "variables": {k: {"value": v} for k, v in (variables or {}).items()},
            "configuration": {"provider_config": provider_config or {"aws": {"name": "aws", "expressions": {}}},
                              "root_module": {"resources": list(resources_cfg),
                                              "module_calls": module_calls or {}}}}


def test_every_computed_attribute_entry_cites_the_provider_docs():
    entries = computed_attributes()
    assert {"aws_s3_bucket", "aws_iam_role", "aws_iam_policy", "aws_s3_object", "aws_s3_bucket_object",
            "aws_glue_catalog_database", "aws_glue_catalog_table", "aws_cloudwatch_log_group"} <= set(entries)
    for kind, e in entries.items():
        assert e["source"].startswith("https://registry.terraform.io/providers/hashicorp/aws/"), kind
    # provider 5: a log group ARN has no trailing ':*'
    assert not entries["aws_cloudwatch_log_group"]["attributes"]["arn"].endswith(":*")


def test_placeholders_round_trip():
    v = {"a": "s3://" + unknown("aws_s3_bucket.b.bucket") + "/x", "b": [unknown("x.y")], "c": "plain"}
    assert unknowns_in(v) == ["aws_s3_bucket.b.bucket", "x.y"]
    assert has_unknown(v) and not has_unknown("plain")


def test_computed_arns_use_the_resources_provider_region_and_account():
    cfg = [{"address": "aws_glue_catalog_database.west", "mode": "managed", "type": "aws_glue_catalog_database",
            "name": "west", "provider_config_key": "aws.west", "expressions": {"name": {"constant_value": "db"}}},
           {"address": "aws_glue_catalog_database.east", "mode": "managed", "type": "aws_glue_catalog_database",
            "name": "east", "provider_config_key": "aws", "expressions": {"name": {"constant_value": "db"}}}]
    pc = {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.aws_region"]}}},
          "aws.west": {"name": "aws", "alias": "west", "expressions": {"region": {"constant_value": "us-west-2"}}}}
    plan = load_data(_plan([
        _rc("aws_glue_catalog_database.west", "aws_glue_catalog_database", "west", {"name": "db"}, {"arn": True}),
        _rc("aws_glue_catalog_database.east", "aws_glue_catalog_database", "east", {"name": "db"}, {"arn": True}),
    ], resources_cfg=cfg, provider_config=pc, variables={"aws_region": "eu-central-1"}), "t")
    r = Resolver(plan)
    west, east = plan.get("aws_glue_catalog_database.west"), plan.get("aws_glue_catalog_database.east")
    assert r.region_of(west) == "us-west-2" and r.region_of(east) == "eu-central-1"
    assert r.value(west, "arn") == f"arn:aws:glue:us-west-2:{ACCOUNT}:database/db"
    # --account-id fills the account the plan does not know
    r2 = Resolver(plan, account_id="111122223333")
    assert r2.value(east, "arn") == "arn:aws:glue:eu-central-1:111122223333:database/db"


def test_account_from_a_known_arn_and_region_symbolic_without_provider_region():
    plan = load_data(_plan([
        _rc("aws_iam_role.old", "aws_iam_role", "old",
            {"name": "old", "arn": "arn:aws:iam::111122223333:role/old"}),
        _rc("aws_s3_bucket.b", "aws_s3_bucket", "b", {"bucket": "b"}, {"arn": True}),
    ]), "t")
    r = Resolver(plan)
    assert r.account_of() == "111122223333"
    assert r.region_of(plan.get("aws_s3_bucket.b")) == REGION


def test_partly_unknown_map_keeps_its_known_entries():
    plan = load_data(_plan([
        _rc("aws_glue_job.j", "aws_glue_job", "j",
            {"name": "j", "default_arguments": {"--secret": None, "--out": "s3://b/out/"}},
            {"default_arguments": {"--secret": True}}),
    ]), "t")
    args = Resolver(plan).value(plan.get("aws_glue_job.j"), "default_arguments")
    assert args["--out"] == "s3://b/out/"
    assert unknowns_in(args["--secret"]) and isinstance(args["--secret"], str)


def test_unnamed_policy_arn_is_the_same_placeholder_on_both_sides():
    plan = load_data(_plan([
        _rc("aws_iam_policy.p", "aws_iam_policy", "p", {"name_prefix": "x-", "path": "/"},
            {"name": True, "arn": True, "id": True}),
    ], resources_cfg=[{"address": "aws_iam_policy.p", "mode": "managed", "type": "aws_iam_policy",
                       "name": "p", "expressions": {"name_prefix": {"constant_value": "x-"}}}]), "t")
    r = Resolver(plan)
    arn = r.value(plan.get("aws_iam_policy.p"), "arn")
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/" + unknown("aws_iam_policy.p.name")


TF_MODULES = {
    "main.tf": '''
variable "env" {
  default = "dev"
}
locals {
  jobs = { a = "x", b = "y" }
}
module "core" {
  source = "./modules/core"
  name   = "lake-${var.env}"
}
resource "aws_s3_bucket_object" "marker" {
  bucket = module.core.bucket_id
  key    = "in/"
}
resource "aws_glue_job" "j" {
  for_each = local.jobs
  name     = "job-${each.key}"
  role_arn = var.env == "dev" || false ? "arn:aws:iam::111122223333:role/r" : "none"
  command {
    script_location = "s3://${module.core.bucket_id}/${aws_s3_bucket_object.marker.id}${each.value}.py"
  }
}
''',
    "modules/core/main.tf": '''
variable "name" {}
resource "aws_s3_bucket" "data" {
  bucket = var.name
}
output "bucket_id" {
  value = aws_s3_bucket.data.id
}
''',
}


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_tfparse_evaluates_modules_for_each_and_operators(tmp_path: Path):
    d = _write(tmp_path, TF_MODULES)
    ev = Evaluation(d, {"env": "prod"})   # the plan's variables win over defaults
    assert ev.error is None
    job = ev.block('aws_glue_job.j["b"]')
    assert job["name"] == "job-b"
    assert job["role_arn"] == "arn:aws:iam::111122223333:role/r" or job["role_arn"] == "none"
    assert ev.block("module.core.aws_s3_bucket.data")["bucket"] == "lake-prod"


def test_resolver_substitutes_and_distrusts_guessed_object_ids(tmp_path: Path):
    d = _write(tmp_path, TF_MODULES)
    cfg = [{"address": "aws_glue_job.j", "mode": "managed", "type": "aws_glue_job", "name": "j",
            "expressions": {"command": [{"script_location": {"references": [
                "module.core.bucket_id", "module.core", "aws_s3_bucket_object.marker.id",
                "aws_s3_bucket_object.marker", "each.value"]}}]}},
           {"address": "aws_s3_bucket_object.marker", "mode": "managed", "type": "aws_s3_bucket_object",
            "name": "marker", "expressions": {"key": {"constant_value": "in/"},
                                              "bucket": {"references": ["module.core.bucket_id", "module.core"]}}}]
    mc = {"core": {"source": "./modules/core", "expressions": {"name": {"references": ["var.env"]}},
                   "module": {"outputs": {"bucket_id": {"expression": {"references": [
                       "aws_s3_bucket.data.id", "aws_s3_bucket.data"]}}},
                              "resources": [{"address": "aws_s3_bucket.data", "mode": "managed",
                                             "type": "aws_s3_bucket", "name": "data",
                                             "expressions": {"bucket": {"references": ["var.name"]}}}]}}}
    plan = load_data(_plan([
        _rc('aws_glue_job.j["a"]', "aws_glue_job", "j", {"name": "job-a", "command": [{}]},
            {"command": [{"script_location": True}]}, index="a"),
        _rc("aws_s3_bucket_object.marker", "aws_s3_bucket_object", "marker", {"key": "in/"},
            {"bucket": True, "id": True}),
        _rc("module.core.aws_s3_bucket.data", "aws_s3_bucket", "data", {"bucket": "lake-dev"},
            {"id": True, "arn": True}, module="module.core"),
    ], resources_cfg=cfg, module_calls=mc, variables={"env": "dev"}), "t")
    r = Resolver(plan, d)
    cmd = r.value(plan.get('aws_glue_job.j["a"]'), "command")
    # Trivy guesses aws_s3_bucket_object.id = bucket; the object's id is its key
    assert cmd[0]["script_location"] == "s3://lake-dev/in/x.py"


def test_settings_from_lakegate_toml_and_flags(tmp_path: Path):
    (tmp_path / "lakegate.toml").write_text('[gate]\naccount_id = "111122223333"\niam_snapshot = "iam.json"\n')
    (tmp_path / "iam.json").write_text('{"RoleDetailList": []}')
    s = load_settings(tmp_path)
    assert s.account_id == "111122223333" and s.iam_snapshot == (tmp_path / "iam.json").resolve()
    assert load_settings(tmp_path, account_id="444455556666").account_id == "444455556666"
    with pytest.raises(LakegateError, match="12-digit"):
        load_settings(tmp_path, account_id="12")
    (tmp_path / "lakegate.toml").write_text('[gate]\niam_snapshot = "missing.json"\n')
    with pytest.raises(LakegateError, match="does not exist"):
        load_settings(tmp_path)


def test_iam_snapshot_parses_the_cli_export(tmp_path: Path):
    from tf_checks.iam.snapshot import load_snapshot
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    from urllib.parse import quote
    p = tmp_path / "export.json"
    p.write_text(json.dumps({"RoleDetailList": [{
        "RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r",
        "RolePolicyList": [{"PolicyName": "raw", "PolicyDocument": quote(json.dumps(doc))}],
        "AttachedManagedPolicies": [{"PolicyName": "m", "PolicyArn": "arn:aws:iam::111122223333:policy/m"}],
        "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/b"}}],
        "Policies": [{"Arn": "arn:aws:iam::111122223333:policy/m", "PolicyVersionList": [
            {"Document": doc, "IsDefaultVersion": True}]}]}))
    snap = load_snapshot(p)
    role = snap.roles["r"]
    assert role.inline["raw"] == doc and role.boundary.endswith("policy/b")
    assert snap.policy("arn:aws:iam::111122223333:policy/m") == doc
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(LakegateError, match="RoleDetailList"):
        load_snapshot(bad)


def test_offline_copy_defers_caller_identity():
    text = b'data "aws_caller_identity" "current" {}\n\ndata "aws_region" "r" {}\n'
    out = defer_offline_data_sources(text)
    assert b"depends_on = [terraform_data.lakegate_offline_defer_current]" in out
    assert b'resource "terraform_data" "lakegate_offline_defer_current" {}' in out
    assert b'data "aws_region" "r" {}' in out
    # a block that already has depends_on, or a file without the data source, is unchanged
    has = b'data "aws_caller_identity" "me" {\n  depends_on = [aws_s3_bucket.b]\n}\n'
    assert defer_offline_data_sources(has) == has
    assert defer_offline_data_sources(b'resource "aws_s3_bucket" "b" {}\n') == b'resource "aws_s3_bucket" "b" {}\n'


def test_external_role_reported_for_what_it_is_when_other_values_fail():
    """A job whose arguments cannot be resolved AND whose role is outside the configuration:
    the role finding names the role (not hidden behind the arguments' finding)."""
    from tf_checks.engine import run_rules
    plan = load_data(_plan([
        _rc("aws_glue_job.j", "aws_glue_job", "j",
            {"name": "j", "role_arn": "arn:aws:iam::111122223333:role/platform/etl",
             "command": [{"script_location": "s3://b/s.py"}]},
            {"default_arguments": True}),
    ]), "t")
    findings = run_rules(plan).findings
    assert any(f.rule_id == "LG-RESOLVE-001" and "role etl" in f.message and "not managed" in f.message
               for f in findings), [f.message for f in findings]


def test_literal_account_with_unknown_account_is_said_once_per_role(tmp_path: Path):
    """The account is unknown offline; a policy naming one literally -> ONE LG-RESOLVE-002 for
    the role saying what to pass, and --account-id settles it."""
    import shutil

    from tf_checks.engine import check_path
    case = Path(__file__).resolve().parents[1] / "gate_corpus" / "eval" / "policy_document" / "healthy"
    d = tmp_path / "case"
    shutil.copytree(case, d)
    main = d / "main.tf"
    main.write_text(main.read_text().replace("${data.aws_caller_identity.current.account_id}",
                                             "111122223333"))
    found = [f for f in check_path(d / "plan.json", tf_dir=d).findings if not f.suppressed]
    assert [(f.rule_id, f.address) for f in found] == [("LG-RESOLVE-002", "aws_glue_crawler.devices")]
    assert "--account-id" in found[0].fix
    assert check_path(d / "plan.json", tf_dir=d, account_id="111122223333").findings == []
    other = [f for f in check_path(d / "plan.json", tf_dir=d, account_id="444455556666").findings]
    assert {f.rule_id for f in other} == {"LG-IAM-001"}

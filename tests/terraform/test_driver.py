"""The terraform driver and `lakegate plan`: error paths, override file, working copy, real plans.

Fast tests use a fake terraform script (a shell script standing in for the binary) where they
need terraform's behaviour; tests marked ``slow`` run the real terraform 1.11 offline with the
provider mirror.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

from lakegate.cli import main
from lakegate.commands.plan import (LOCAL_STATE_ENV, endpoint_from_local_state, parse_vars,
                                    resolve_target)
from lakegate.errors import LakegateError
from lakegate.terraform import (LOCAL_SERVICES, OVERRIDE_FILE, TERRAFORM_ENV, TerraformDriver,
                                clean_error_lines, find_terraform, override_text, summarize_plan)

REPO = Path(__file__).resolve().parents[2]
HAS_TERRAFORM = shutil.which("terraform") is not None
needs_terraform = pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not on PATH")

SMALL_CONFIG = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "project" {
  type    = string
  default = "lgtest"
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "bronze" {
  bucket = "${var.project}-bronze-dev"
  tags   = { script_md5 = filemd5("${path.module}/glue_jobs/job.py") }
}

resource "aws_glue_catalog_database" "catalog" {
  name = "${var.project}-catalog-dev"
}

output "bucket" {
  value = aws_s3_bucket.bronze.bucket
}

output "database" {
  value = aws_glue_catalog_database.catalog.name
}
"""


def small_config(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(SMALL_CONFIG)
    (root / "glue_jobs").mkdir(exist_ok=True)
    (root / "glue_jobs" / "job.py").write_text("print('job')\n")
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (including hidden ones) with a content hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            out[str(path.relative_to(root)) + "/"] = "dir"
    return out


def run_cli(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# --------------------------------------------------------------------------- find_terraform
def test_missing_terraform_on_path(tmp_path: Path) -> None:
    with pytest.raises(LakegateError) as info:
        find_terraform({"PATH": str(tmp_path)})
    assert "not installed" in info.value.what
    assert ">= 1.5" in info.value.fix and TERRAFORM_ENV in info.value.fix


def test_lakegate_terraform_pointing_nowhere(tmp_path: Path) -> None:
    with pytest.raises(LakegateError) as info:
        find_terraform({TERRAFORM_ENV: "/nonexistent/terraform", "PATH": os.environ["PATH"]})
    assert "/nonexistent/terraform" in info.value.what and info.value.where == f"${TERRAFORM_ENV}"


def test_lakegate_terraform_wins_over_path(tmp_path: Path) -> None:
    fake = tmp_path / "tf"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_terraform({TERRAFORM_ENV: str(fake), "PATH": os.environ["PATH"]}) == fake


def test_cli_without_terraform_exits_2_without_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    src = small_config(tmp_path / "tf")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv(TERRAFORM_ENV, raising=False)
    code, out, err = run_cli(["plan", str(src), "--out", str(tmp_path / "p.json")], capsys)
    assert code == 2
    assert "terraform is not installed" in err and "fix:" in err and "Traceback" not in err
    monkeypatch.setenv(TERRAFORM_ENV, "/nonexistent")
    code, out, err = run_cli(["plan", str(src), "--out", str(tmp_path / "p.json")], capsys)
    assert code == 2 and "/nonexistent" in err


# --------------------------------------------------------------------------- bad directories
def test_tf_dir_that_does_not_exist(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(["plan", str(tmp_path / "nope"), "--out", str(tmp_path / "p.json")], capsys)
    assert code == 2 and "does not exist" in err and str(tmp_path / "nope") in err


def test_tf_dir_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "main.tf"
    f.write_text("")
    with pytest.raises(LakegateError, match="not a directory"):
        TerraformDriver(f)


def test_tf_dir_without_tf_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "README.md").write_text("no terraform here")
    (tmp_path / OVERRIDE_FILE).write_text("")  # our own override file does not count
    code, _, err = run_cli(["plan", str(tmp_path), "--out", str(tmp_path / "p.json")], capsys)
    assert code == 2 and "no Terraform files" in err and "fix:" in err
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"target": "moon"}, "unknown target"),
    ({"target": "local"}, "needs an endpoint"),
    ({"target": "offline", "endpoint": "http://127.0.0.1:1"}, "only makes sense for the local"),
    ({"target": "local", "endpoint": "127.0.0.1:4566"}, "not an http"),
    ({"variables": {"bad name": 1}}, "invalid Terraform variable name"),
])
def test_bad_driver_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(LakegateError, match=message):
        TerraformDriver(small_config(tmp_path / "tf"), **kwargs)


# --------------------------------------------------------------------------- override file
def test_local_override_looks_up_the_account_and_leaves_endpoints_to_the_environment() -> None:
    text = override_text("local", endpoint="http://127.0.0.1:4566", state_path="terraform.tfstate")
    # no `endpoints` block (it costs the provider ~3 CPU-s per start): AWS_ENDPOINT_URL does it
    assert "endpoints" not in text and "4566" not in text
    assert "skip_requesting_account_id" not in text
    # the config's own region (var.region) stays in charge
    assert not any(ln.split("=")[0].strip() == "region" for ln in text.splitlines())
    for needed in ('access_key                  = "test"', 'secret_key                  = "test"',
                   "skip_credentials_validation = true", "skip_metadata_api_check     = true",
                   "s3_use_path_style           = true",
                   'backend "local"', 'path = "terraform.tfstate"'):
        assert needed in text, needed


def test_local_override_replaces_the_configurations_own_endpoints_block() -> None:
    text = override_text("local", endpoint="http://127.0.0.1:4566", endpoints_block=True)
    for svc in ("s3", "glue", "iam", "sts", "athena", "logs", "cloudwatch", "kms", "lambda", "events"):
        assert svc in LOCAL_SERVICES
    for svc in LOCAL_SERVICES:
        assert any(ln.split("=")[0].strip() == svc and '"http://127.0.0.1:4566"' in ln
                   for ln in text.splitlines()), svc


def test_local_environment_sends_every_service_to_the_endpoint_and_nothing_else_wins(
        tmp_path: Path, monkeypatch) -> None:
    src = small_config(tmp_path / "tf")
    # what a user's machine may carry: a global and a service-specific endpoint (e.g. for
    # LocalStack), the switch that ignores configured endpoints, and a shared config whose
    # profile could name its own endpoints
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://localhost:4566")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    config = tmp_path / "aws-config"
    config.write_text("[default]\nendpoint_url = http://localhost:4566\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    local = TerraformDriver(src, target="local", endpoint="http://127.0.0.1:9", work_dir=tmp_path / "w")._env()
    assert local["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert [k for k in local if k.startswith("AWS_ENDPOINT_URL")] == ["AWS_ENDPOINT_URL"]
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in local
    assert local["AWS_CONFIG_FILE"] == local["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    offline = TerraformDriver(src, target="offline", work_dir=tmp_path / "w")._env()
    assert not [k for k in offline if k.startswith("AWS_ENDPOINT_URL")]
    assert offline["AWS_CONFIG_FILE"] == os.devnull
    aws = TerraformDriver(src, target="aws", work_dir=tmp_path / "w")._env()
    assert aws["AWS_ENDPOINT_URL_S3"] == "http://localhost:4566"   # the user's own, for real AWS
    assert aws["AWS_CONFIG_FILE"] == str(config)


ROLES = b"""provider "aws" {
  region = "eu-west-1"
  assume_role {
    role_arn     = "arn:aws:iam::111122223333:role/deployer"
    session_name = "ci-${var.run}"
  }
  default_tags {
    tags = { Owner = "data" }
  }
}

provider aws {
  alias = "audit"
  dynamic "assume_role" {
    for_each = var.audit_role == "" ? [] : [var.audit_role]
    content {
      role_arn = assume_role.value
    }
  }
  assume_role_with_web_identity {
    role_arn                = "arn:aws:iam::444455556666:role/oidc"
    web_identity_token_file = "/var/run/token"
  }
}

provider "vault" {
  assume_role {
    name = "kept"
  }
}

resource "aws_s3_bucket" "b" {
  bucket = "assume_role-not-a-block"
}
"""


@pytest.mark.parametrize("target, dropped", [("offline", True), ("local", True), ("aws", False)])
def test_the_working_copy_assumes_no_role_with_fake_credentials(tmp_path: Path, target: str, dropped: bool) -> None:
    src = tmp_path / "tf"
    src.mkdir()
    (src / "providers.tf").write_bytes(ROLES)
    drv = TerraformDriver(src, target=target, endpoint="http://127.0.0.1:9" if target == "local" else None,
                          work_dir=tmp_path / "w")
    text = drv.copy_bytes(Path("providers.tf")).decode()
    if not dropped:   # the real account: the user's roles are theirs
        assert text == ROLES.decode()
        return
    assert "role_arn" not in text and "web_identity_token_file" not in text and "for_each" not in text
    for what in ("assume_role", 'dynamic "assume_role"', "assume_role_with_web_identity"):
        assert f"# {what} {{...}} left out by lakegate" in text
    assert 'default_tags {\n    tags = { Owner = "data" }\n  }' in text      # the rest of the block stays
    assert 'provider "vault" {\n  assume_role {\n    name = "kept"' in text  # another provider's block stays
    assert 'bucket = "assume_role-not-a-block"' in text


@pytest.mark.parametrize("target", ["offline", "local"])
def test_fake_credentials_unset_the_users_profile_and_shared_files(target: str) -> None:
    text = override_text(target, endpoint="http://127.0.0.1:4566" if target == "local" else None,
                         aliases=["west"])
    for line in ("profile                     = null", "shared_config_files         = null",
                 "shared_credentials_files    = null"):
        assert text.count(line) == 2, line   # default provider + alias "west"


def test_offline_override_skips_account_id_and_has_no_endpoints() -> None:
    text = override_text("offline", aliases=["west"])
    assert text.count("skip_requesting_account_id  = true") == 2  # default + alias "west"
    assert 'alias                       = "west"' in text
    assert "endpoints" not in text and "backend" not in text


def test_aws_override_touches_no_provider() -> None:
    assert override_text("aws") == ""
    assert "provider" not in override_text("aws", state_path="/x/terraform.tfstate")


def test_region_is_a_fallback_not_an_override(tmp_path: Path, monkeypatch) -> None:
    src = small_config(tmp_path / "tf")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    off = TerraformDriver(src, region="eu-west-1", work_dir=tmp_path / "w")._env()
    assert off["AWS_REGION"] == off["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert "AWS_PROFILE" not in off  # no real profile next to the fake credentials
    aws = TerraformDriver(src, target="aws", region="eu-west-1", work_dir=tmp_path / "w")._env()
    assert aws["AWS_REGION"] == "ap-south-1" and aws["AWS_PROFILE"] == "prod"


def test_driver_override_covers_provider_aliases(tmp_path: Path) -> None:
    src = small_config(tmp_path / "tf")
    (src / "west.tf").write_text('provider "aws" {\n  alias  = "west"\n  region = "us-west-2"\n}\n')
    drv = TerraformDriver(src, target="local", endpoint="http://127.0.0.1:4566", work_dir=tmp_path / "w")
    drv._sync()
    text = (tmp_path / "w" / "local" / OVERRIDE_FILE).read_text()
    assert 'alias                       = "west"' in text
    assert text.count("s3_use_path_style           = true") == 2 and "endpoints" not in text


@pytest.mark.parametrize("block", [
    '  endpoints {\n    s3 = "http://localhost:4566"\n  }\n',
    '  dynamic "endpoints" {\n    for_each = [1]\n    content {\n      s3 = "http://localhost:4566"\n    }\n  }\n',
])
def test_driver_override_replaces_an_endpoints_block_of_the_configuration(tmp_path: Path, block: str) -> None:
    """A configuration written for LocalStack names its own endpoints; the local target's override
    then carries an `endpoints` block (for every alias) that replaces it."""
    src = small_config(tmp_path / "tf")
    (src / "west.tf").write_text(f'provider "aws" {{\n  alias  = "west"\n  region = "us-west-2"\n{block}}}\n')
    drv = TerraformDriver(src, target="local", endpoint="http://127.0.0.1:4566", work_dir=tmp_path / "w")
    drv._sync()
    text = (tmp_path / "w" / "local" / OVERRIDE_FILE).read_text()
    s3_lines = [ln for ln in text.splitlines() if ln.split("=")[0].strip() == "s3"]
    assert len(s3_lines) == 2 and all('"http://127.0.0.1:4566"' in ln for ln in s3_lines)


def test_aws_target_keeps_the_users_state_and_backend(tmp_path: Path) -> None:
    src = small_config(tmp_path / "tf")
    drv = TerraformDriver(src, target="aws", work_dir=tmp_path / "w")
    drv._sync()
    text = (drv.copy_dir / OVERRIDE_FILE).read_text()
    assert json.dumps(str(src / "terraform.tfstate")) in text and "provider" not in text
    (src / "backend.tf").write_text('terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n')
    drv = TerraformDriver(src, target="aws", work_dir=tmp_path / "w")
    drv._sync()
    assert not (drv.copy_dir / OVERRIDE_FILE).exists()  # their backend, untouched
    off = TerraformDriver(src, target="offline", work_dir=tmp_path / "w")
    off._sync()  # offline/local replace that backend by a local file in the copy
    assert 'path = "terraform.tfstate"' in (off.copy_dir / OVERRIDE_FILE).read_text()


def test_out_that_is_a_directory(tmp_path: Path, capsys) -> None:
    src = small_config(tmp_path / "tf")
    code, _, err = run_cli(["plan", str(src), "--out", str(tmp_path)], capsys)
    assert code == 2 and "is a directory" in err


# --------------------------------------------------------------------------- working copy
def test_working_copy_mirrors_the_source_and_leaves_it_untouched(tmp_path: Path) -> None:
    src = small_config(tmp_path / "tf")
    (src / "dev.tfvars").write_text('project = "x"\n')
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "linked.sql").write_text("select 1")
    (src / "sql").symlink_to(tmp_path / "scripts", target_is_directory=True)
    (src / ".terraform").mkdir()
    (src / ".terraform" / "junk").write_text("user's own init")
    (src / "terraform.tfstate").write_text('{"real": "state"}')
    (src / OVERRIDE_FILE).write_text("# stale override the user left")
    before = tree_digest(src)
    drv = TerraformDriver(src, target="offline", work_dir=tmp_path / "w")
    first = drv._sync()
    copy = tmp_path / "w" / "offline"
    assert (copy / "main.tf").read_text() == SMALL_CONFIG
    assert (copy / "glue_jobs" / "job.py").is_file() and (copy / "dev.tfvars").is_file()
    assert (copy / "sql" / "linked.sql").read_text() == "select 1"  # symlinked folder followed
    assert not (copy / "terraform.tfstate").exists() and not (copy / ".terraform").exists()
    assert "skip_requesting_account_id" in (copy / OVERRIDE_FILE).read_text()
    assert tree_digest(src) == before
    # re-sync: unchanged config -> same fingerprint; a removed file disappears from the copy
    assert drv._sync() == first
    (src / "dev.tfvars").unlink()
    assert drv._sync() == first  # tfvars do not need a new init
    assert not (copy / "dev.tfvars").exists()
    (src / "extra.tf").write_text('locals {\n  x = 1\n}\n')
    assert drv._sync() != first
    (src / "extra.tf").unlink()
    assert drv._sync() == first and not (copy / "extra.tf").exists()


def test_hidden_and_huge_folders(tmp_path: Path, monkeypatch) -> None:
    import lakegate.terraform as tfmod

    src = small_config(tmp_path / "tf")
    (src / ".venv" / "lib").mkdir(parents=True)
    (src / ".venv" / "lib" / "big.py").write_text("x" * 1000)
    drv = TerraformDriver(src, work_dir=tmp_path / "w")
    drv._sync()
    assert not (drv.copy_dir / ".venv").exists()
    monkeypatch.setattr(tfmod, "MAX_COPY_FILES", 1)
    with pytest.raises(LakegateError, match="more than 1 files") as info:
        drv._sync()
    assert "root module folder" in info.value.fix


def test_targets_get_separate_copies(tmp_path: Path) -> None:
    src = small_config(tmp_path / "tf")
    off = TerraformDriver(src, target="offline", work_dir=tmp_path / "w")
    loc = TerraformDriver(src, target="local", endpoint="http://127.0.0.1:9", work_dir=tmp_path / "w")
    assert off.copy_dir != loc.copy_dir
    off._sync(), loc._sync()
    assert "s3_use_path_style" in (loc.copy_dir / OVERRIDE_FILE).read_text()
    assert "skip_requesting_account_id" in (off.copy_dir / OVERRIDE_FILE).read_text()
    assert "s3_use_path_style" not in (off.copy_dir / OVERRIDE_FILE).read_text()


def test_default_work_dir_is_next_to_the_tf_dir(tmp_path: Path) -> None:
    src = small_config(tmp_path / "infra")
    drv = TerraformDriver(src)
    assert drv.copy_dir == tmp_path / ".lakegate" / "terraform" / "infra" / "offline"
    assert drv.mirror.describe().startswith("provider mirror:")


# --------------------------------------------------------------------------- error capture
FAKE_TF = """#!/bin/sh
case "$1" in
  version) echo '{"terraform_version": "%s"}'; exit 0 ;;
  init) printf '\\033[31m\\n╷\\n│ \\033[1mError: \\033[0mFailed to query available provider packages\\n│\\n│ Could not retrieve the list of available versions for provider hashicorp/aws\\n╵\\n' >&2; exit 1 ;;
esac
exit 0
"""


def fake_terraform(tmp_path: Path, version: str = "1.11.4") -> Path:
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text(FAKE_TF % version)
    fake.chmod(0o755)
    return fake


def test_init_failure_shows_terraforms_words(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(TERRAFORM_ENV, str(fake_terraform(tmp_path)))
    drv = TerraformDriver(small_config(tmp_path / "tf"), work_dir=tmp_path / "w")
    with pytest.raises(LakegateError) as info:
        drv.init()
    what = info.value.what
    assert "terraform init failed" in what
    assert "Error: Failed to query available provider packages" in what
    assert "Could not retrieve the list" in what
    assert "\x1b" not in what and "│" not in what and "╷" not in what
    assert "LAKEGATE_TF_PROVIDER_MIRROR" in info.value.fix


RECORDING_TF = """#!/bin/sh
echo "$@" >> "%(log)s"
case "$1" in
  version) echo '{"terraform_version": "1.11.4"}'; exit 0 ;;
  "$FAKE_TF_FAIL") echo "Error: $1 went wrong" >&2; echo "" >&2; echo "  on main.tf line 7:" >&2; exit 1 ;;
  show) echo '{"format_version": "1.2", "resource_changes": []}'; exit 0 ;;
  plan) for a in "$@"; do case "$a" in -out=*) : > "${a#-out=}" ;; esac; done; exit 0 ;;
  output) echo '{"bucket": {"value": "b", "type": "string", "sensitive": false}}'; exit 0 ;;
esac
exit 0
"""


def recording_terraform(tmp_path: Path, monkeypatch) -> Path:
    """A fake terraform that logs its arguments; ``$FAKE_TF_FAIL`` names a subcommand that fails."""
    log = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text(RECORDING_TF % {"log": log})
    fake.chmod(0o755)
    monkeypatch.setenv(TERRAFORM_ENV, str(fake))
    monkeypatch.delenv("FAKE_TF_FAIL", raising=False)
    return log


def calls(log: Path, command: str) -> list[str]:
    return [ln for ln in log.read_text().splitlines() if ln.split()[0] == command] if log.exists() else []


def test_init_is_cached_until_the_config_changes(tmp_path: Path, monkeypatch, caplog) -> None:
    log = recording_terraform(tmp_path, monkeypatch)
    src = small_config(tmp_path / "tf")
    with caplog.at_level("INFO", logger="lakegate.terraform"):
        drv = TerraformDriver(src, work_dir=tmp_path / "w")
        drv.init()
    assert "provider mirror:" in caplog.text  # the driver says which mirror it uses
    assert calls(log, "init") == ["init -no-color -input=false -reconfigure"]
    TerraformDriver(src, work_dir=tmp_path / "w").init()
    (src / "glue_jobs" / "job.py").write_text("print('changed')\n")  # not init-relevant
    drv.init()
    assert len(calls(log, "init")) == 1
    (src / "main.tf").write_text(SMALL_CONFIG + "\n# edited\n")
    drv.init()
    assert len(calls(log, "init")) == 2
    (src / ".terraform.lock.hcl").write_text("# lock\n")
    drv.init()
    assert len(calls(log, "init")) == 3
    TerraformDriver(src, target="local", endpoint="http://127.0.0.1:9", work_dir=tmp_path / "w").init()
    assert len(calls(log, "init")) == 4  # another target: its own copy and init


def test_commands_and_their_failures(tmp_path: Path, monkeypatch) -> None:
    log = recording_terraform(tmp_path, monkeypatch)
    src = small_config(tmp_path / "tf")
    drv = TerraformDriver(src, work_dir=tmp_path / "w", variables={"project": "p", "flag": True,
                                                                   "tags": {"a": "b"}})
    plan = drv.plan(out_json=tmp_path / "out.json")
    assert plan["format_version"] == "1.2" and json.loads((tmp_path / "out.json").read_text()) == plan
    plan_call = calls(log, "plan")[0]
    assert "-var project=p -var flag=true" in plan_call and '-var tags={"a": "b"}' in plan_call
    assert "-out=lakegate.tfplan" in plan_call and "-input=false" in plan_call
    assert calls(log, "show") == ["show -json -no-color lakegate.tfplan"]
    assert drv.outputs() == {"bucket": "b"}
    drv.apply()
    drv.destroy()
    assert calls(log, "apply")[0].startswith("apply -auto-approve -no-color -input=false -var project=p")
    assert calls(log, "destroy")[0].startswith("destroy -auto-approve")
    for stage in ("plan", "apply", "destroy", "output"):
        monkeypatch.setenv("FAKE_TF_FAIL", stage)
        with pytest.raises(LakegateError) as info:
            getattr(drv, {"output": "outputs"}.get(stage, stage))()
        assert f"terraform {stage} failed (offline target)" in info.value.what
        assert f"Error: {stage} went wrong" in info.value.what
        assert info.value.where == f"{src / 'main.tf'}:7" and info.value.fix


def test_kept_plan_is_applied_as_is_and_destroy_can_skip_the_refresh(tmp_path: Path, monkeypatch) -> None:
    log = recording_terraform(tmp_path, monkeypatch)
    src = small_config(tmp_path / "tf")
    drv = TerraformDriver(src, work_dir=tmp_path / "w", variables={"project": "p"})
    with pytest.raises(LakegateError, match="no kept plan") as info:   # nothing kept yet
        drv.apply_plan()
    assert "plan(keep_plan_file=True)" in info.value.fix
    drv.plan()                                  # the default keeps nothing
    assert not (drv.copy_dir / "lakegate.tfplan").exists()
    with pytest.raises(LakegateError, match="no kept plan"):
        drv.apply_plan()
    drv.plan(keep_plan_file=True)
    plan_calls = calls(log, "plan")
    assert plan_calls[0] == plan_calls[1] == "plan -no-color -input=false -var project=p -out=lakegate.tfplan"
    kept = drv.copy_dir / "lakegate-kept.tfplan"
    assert kept.is_file() and not (drv.copy_dir / "lakegate.tfplan").exists()
    drv._sync()                                 # a re-sync of the copy keeps it
    assert kept.is_file()
    TerraformDriver(src, work_dir=tmp_path / "w").apply_plan()   # another instance, same copy
    # exactly the kept plan file: no -var (terraform refuses variables with a saved plan), no
    # -auto-approve and no second plan
    assert calls(log, "apply") == ["apply -no-color -input=false lakegate-kept.tfplan"]
    assert len(calls(log, "plan")) == 2 and not kept.exists()   # used up
    with pytest.raises(LakegateError, match="no kept plan"):
        drv.apply_plan()
    # a failing apply uses the plan file up too; the error is terraform's
    drv.plan(keep_plan_file=True)
    monkeypatch.setenv("FAKE_TF_FAIL", "apply")
    with pytest.raises(LakegateError, match="terraform apply failed"):
        drv.apply_plan()
    assert not kept.exists()
    monkeypatch.delenv("FAKE_TF_FAIL")
    drv.destroy(refresh=False)
    drv.destroy()
    destroys = calls(log, "destroy")
    assert destroys[0] == "destroy -auto-approve -no-color -input=false -refresh=false -var project=p"
    assert destroys[1] == "destroy -auto-approve -no-color -input=false -var project=p"


def test_too_old_terraform_is_refused(tmp_path: Path, monkeypatch) -> None:
    import lakegate.terraform as tfmod

    monkeypatch.setattr(tfmod, "_version_cache", {})
    monkeypatch.setenv(TERRAFORM_ENV, str(fake_terraform(tmp_path, version="0.14.11")))
    drv = TerraformDriver(small_config(tmp_path / "tf"), work_dir=tmp_path / "w")
    with pytest.raises(LakegateError, match="too old"):
        drv.init()


def test_clean_error_lines() -> None:
    text = ("\x1b[33mWarning: something\x1b[0m\n\n╷\n│ \x1b[1mError: Bad thing\x1b[0m\n│\n"
            "│   on main.tf line 3:\n│    3: foo\n╵\n")
    assert clean_error_lines(text) == ["Error: Bad thing", "on main.tf line 3:", "3: foo"]
    assert clean_error_lines("only noise\n") == ["only noise"]
    init_text = ("Error: Terraform encountered problems during initialisation, including problems\n"
                 "with the configuration, described below.\n\nError: Invalid expression\n\n"
                 "  on broken.tf line 2:\n")
    assert clean_error_lines(init_text) == ["Error: Invalid expression", "on broken.tf line 2:"]


# --------------------------------------------------------------------------- CLI helpers
def test_summarize_plan_counts_like_terraform() -> None:
    plan = {"resource_changes": [
        {"change": {"actions": ["create"]}}, {"change": {"actions": ["no-op"]}},
        {"change": {"actions": ["update"]}}, {"change": {"actions": ["delete", "create"]}},
        {"change": {"actions": ["delete"]}}, {"change": {"actions": ["read"]}},
    ]}
    assert summarize_plan(plan) == {"add": 2, "change": 1, "destroy": 2}
    assert summarize_plan({}) == {"add": 0, "change": 0, "destroy": 0}


def test_parse_vars() -> None:
    assert parse_vars(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(LakegateError, match="NAME=VALUE"):
        parse_vars(["novalue"])


def test_resolve_target_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_STATE_ENV, str(tmp_path / "none.json"))
    assert resolve_target(None, None) == ("offline", None)
    assert resolve_target(None, "http://h:1") == ("local", "http://h:1")
    assert resolve_target("local", "http://h:1") == ("local", "http://h:1")
    assert resolve_target("aws", None) == ("aws", None)
    with pytest.raises(LakegateError, match="only applies to --target local"):
        resolve_target("aws", "http://h:1")


def test_local_target_reads_the_running_local_aws(tmp_path: Path, monkeypatch) -> None:
    from lakegate import localenv

    state = tmp_path / "state.json"
    monkeypatch.setenv(LOCAL_STATE_ENV, str(state))
    with pytest.raises(LakegateError) as info:          # nothing recorded
        resolve_target("local", None)
    assert "lakegate local up" in info.value.fix and "--endpoint" in info.value.fix
    assert info.value.where == str(state)
    record = {"endpoint": "http://127.0.0.1:4599", "pid": 2 ** 22 + 7, "port": 4599,
              "token": "t", "started_at": 0}
    state.write_text(json.dumps(record))
    with pytest.raises(LakegateError, match="not answering"):   # stale: that PID is not running
        resolve_target("local", None)
    monkeypatch.setattr(localenv, "is_running", lambda st, timeout=2.0: st.token == "t")
    assert resolve_target("local", None) == ("local", "http://127.0.0.1:4599")
    assert endpoint_from_local_state() == "http://127.0.0.1:4599"
    state.write_text("{not json")
    with pytest.raises(LakegateError, match="unreadable"):
        endpoint_from_local_state()


def test_plan_help_is_accurate(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["plan", "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for word in ("--out", "--target", "{offline,local,aws}", "--endpoint", "--var", "NAME=VALUE",
                 "default without --endpoint", "default with --endpoint", LOCAL_STATE_ENV):
        assert word in out, word


# --------------------------------------------------------------------------- real terraform
@pytest.mark.slow
@needs_terraform
def test_real_failing_plans_give_clear_errors(tmp_path: Path, capsys) -> None:
    src = small_config(tmp_path / "tf")
    out = tmp_path / "plan.json"
    code, _, err = run_cli(["plan", str(src), "--out", str(out), "--var", "nope=1"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "Value for undeclared variable" in err and "fix:" in err
    (src / "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n}\n')
    code, _, err = run_cli(["plan", str(src), "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "Error: Invalid expression" in err and f"where: {src / 'broken.tf'}:2" in err
    assert "fix:   fix the configuration error above" in err
    assert "\x1b" not in err
    assert not out.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@needs_terraform
def test_real_local_target_apply_outputs_destroy_share_state(tmp_path: Path, capsys, caplog) -> None:
    """apply -> outputs -> show_state -> destroy against a moto server, across driver instances,
    while ``lakegate plan`` makes an offline plan of the same directory at the same time.

    (Session 5: test_real_offline_plan_through_the_cli merged here with every assertion of both
    tests; the concurrent offline plan this test needed is now that CLI plan instead of a second
    init + plan + show of the same configuration.)"""
    port = _free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        src = small_config(tmp_path / "tf")
        # written for LocalStack, as public configurations often are: its own endpoints, here a
        # port nobody listens on. The apply below only succeeds when the local target's override
        # replaced that block (a configuration without one gets AWS_ENDPOINT_URL instead: every
        # deploy of terraform/ and of tests/pipelines/ in this suite goes that way). And a named
        # profile this machine does not have: the offline plan and the local apply only succeed
        # when the override unsets it. And a role to assume in another account: offline there is
        # no STS, and locally the resources would land in that account (checked below)
        main_tf = src / "main.tf"
        main_tf.write_text(main_tf.read_text().replace(
            'provider "aws" {\n  region = "us-east-1"\n}',
            'provider "aws" {\n  region = "us-east-1"\n  profile = "data-platform-prod"\n'
            '  assume_role {\n    role_arn = "arn:aws:iam::111122223333:role/terraform-deployer"\n  }\n'
            '  endpoints {\n'
            f'    s3   = "http://127.0.0.1:{_free_port()}"\n    glue = "http://127.0.0.1:{_free_port()}"\n'
            '  }\n}'))
        assert "endpoints {" in main_tf.read_text()
        before = tree_digest(src)
        endpoint = f"http://127.0.0.1:{port}"

        def drv() -> TerraformDriver:   # the default working copy: tmp_path/.lakegate/terraform/tf
            return TerraformDriver(src, target="local", endpoint=endpoint)

        # a local apply and an offline plan (`lakegate plan`) of the same directory at the same time
        out = tmp_path / "out" / "plan.json"
        cli_result: dict = {}

        def offline_plan() -> None:
            try:
                cli_result["code"] = main(["plan", str(src), "--out", str(out), "--var", "project=lgcli"])
            except BaseException as err:  # noqa: BLE001 - reported by the assert below
                cli_result["error"] = repr(err)

        worker = threading.Thread(target=offline_plan)
        worker.start()
        drv().apply()
        worker.join(timeout=300)
        cap = capsys.readouterr()
        code, stdout, err = cli_result.get("code"), cap.out, cap.err
        assert "error" not in cli_result, cli_result.get("error")
        assert code == 0, err
        assert "2 to add, 0 to change, 0 to destroy" in stdout and str(out) in stdout
        plan = json.loads(out.read_text())
        assert plan["format_version"]
        assert len(plan["resource_changes"]) == 2
        changes = {rc["address"]: rc for rc in plan["resource_changes"]}
        assert set(changes) == {"aws_s3_bucket.bronze", "aws_glue_catalog_database.catalog"}
        assert changes["aws_s3_bucket.bronze"]["change"]["after"]["bucket"] == "lgcli-bronze-dev"
        md5 = hashlib.md5(b"print('job')\n").hexdigest()  # ${path.module} resolved in the copy
        assert changes["aws_s3_bucket.bronze"]["change"]["after"]["tags"]["script_md5"] == md5
        assert tree_digest(src) == before
        # init is cached: a new driver on the unchanged config does not run init again
        stamp = tmp_path / ".lakegate" / "terraform" / "tf" / "offline" / ".terraform" / "lakegate-init.sha256"
        mtime = stamp.stat().st_mtime_ns
        with caplog.at_level("DEBUG", logger="lakegate.terraform"):
            TerraformDriver(src).init()
        assert "init skipped" in caplog.text and stamp.stat().st_mtime_ns == mtime
        assert tree_digest(src) == before

        assert drv().outputs() == {"bucket": "lgtest-bronze-dev", "database": "lgtest-catalog-dev"}
        # in the local AWS's default account, the one lakegate's own clients use
        glue = boto3.client("glue", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")
        assert glue.get_database(Name="lgtest-catalog-dev")["Database"]["Name"] == "lgtest-catalog-dev"
        state = drv().show_state()
        addresses = {r["address"] for r in state["values"]["root_module"]["resources"]}
        assert addresses == {"aws_s3_bucket.bronze", "aws_glue_catalog_database.catalog"}
        # the offline target has its own (empty) state
        assert TerraformDriver(src).outputs() == {}
        drv().destroy()
        assert drv().outputs() == {}
        assert not (src / "terraform.tfstate").exists()
        assert tree_digest(src) == before
    finally:
        moto.terminate()
        moto.wait(timeout=10)


@pytest.mark.slow
@needs_terraform
def test_reference_pipeline_plans_offline(tmp_path: Path, capsys) -> None:
    tf_dir = REPO / "terraform"
    if not any(tf_dir.glob("*.tf")):
        pytest.skip("terraform/ has no configuration yet")
    tf_files = {p: p.read_bytes() for p in tf_dir.rglob("*") if p.is_file() and ".terraform" not in p.parts}
    out = tmp_path / "pipeline-plan.json"
    code, stdout, err = run_cli(["plan", str(tf_dir), "--out", str(out),
                                 "--work-dir", str(tmp_path / "w")], capsys)
    assert code == 0, err
    plan = json.loads(out.read_text())
    assert plan["format_version"] and plan["resource_changes"]
    types = {rc["type"] for rc in plan["resource_changes"]}
    assert {"aws_s3_bucket", "aws_glue_catalog_database", "aws_glue_job", "aws_glue_crawler"} <= types
    assert not (tf_dir / OVERRIDE_FILE).exists()
    assert {p: p.read_bytes() for p in tf_files} == tf_files  # nothing in terraform/ was rewritten


# --------------------------------------------------------------------------- interrupts
# A fake terraform that starts a "provider plugin" child which, like a go-plugin provider, ignores
# SIGINT; on SIGINT terraform itself records it and exits (it would stop its plugins; this one
# deliberately does not, so only the driver's group kill can end the child).
INTERRUPTIBLE_TF = """#!/bin/sh
case "$1" in
  version) echo '{"terraform_version": "1.11.4"}'; exit 0 ;;
  init) exit 0 ;;
esac
sh -c 'trap "" INT; echo $$ > "%(marks)s/plugin.pid"; exec sleep 300' &
trap 'echo interrupted > "%(marks)s/terraform.int"; exit 130' INT
echo $$ > "%(marks)s/terraform.started"
while :; do sleep 0.1; done
"""

_INTERRUPT_DRIVER = """
import signal, sys
# a test run started in the background (`cmd &` in a script) inherits SIGINT ignored; a terminal's
# lakegate has Python's default handler, and terraform (Go) handles SIGINT even when it starts
# ignored, while the fake terraform (sh) cannot trap a signal ignored at entry: restore the default
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
from lakegate.errors import LakegateError
from lakegate.terraform import TerraformDriver
drv = TerraformDriver(Path(sys.argv[1]), work_dir=Path(sys.argv[2]))
try:
    drv.init()
    drv._run("plan", stage="plan", fix="-")
except LakegateError as err:
    print(err.what, file=sys.stderr)
    sys.exit(2)
"""



@pytest.mark.parametrize("how", ["interrupt", "timeout"])
def test_an_interrupted_or_timed_out_terraform_leaves_no_plugin_running(tmp_path: Path, how: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    from lakegate.localenv import pid_alive

    marks = tmp_path / "marks"
    marks.mkdir()
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text(INTERRUPTIBLE_TF % {"marks": marks})
    fake.chmod(0o755)
    env = dict(os.environ, **{TERRAFORM_ENV: str(fake), "LAKEGATE_TF_STOP_GRACE": "5"})
    if how == "timeout":
        env["LAKEGATE_TF_TIMEOUT"] = "3"
    src = small_config(tmp_path / "tf")
    proc = subprocess.Popen([sys.executable, "-c", _INTERRUPT_DRIVER, str(src), str(tmp_path / "w")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (marks / "plugin.pid").exists() or not (marks / "terraform.started").exists():
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        plugin = int((marks / "plugin.pid").read_text())
        assert pid_alive(plugin)
        if how == "interrupt":
            proc.send_signal(signal.SIGINT)      # to lakegate's process only, as a supervisor would
        out, err = proc.communicate(timeout=60)
        assert proc.returncode != 0
        # terraform was told (SIGINT, its graceful stop), not just killed ...
        assert (marks / "terraform.int").read_text().strip() == "interrupted"
        # ... and the plugin that ignored the interrupt did not outlive it
        deadline = time.monotonic() + 10
        while pid_alive(plugin) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pid_alive(plugin), f"provider plugin {plugin} still runs"
        if how == "timeout":
            assert "did not finish within 3 s" in err and "Traceback" not in err
        else:
            assert "KeyboardInterrupt" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # whatever a failure left: the fake terraform's group (its own session) and the plugin
        for name, kill in (("terraform.started", os.killpg), ("plugin.pid", os.kill)):
            try:
                kill(int((marks / name).read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass

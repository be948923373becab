"""One offline ``init`` / ``plan`` / ``show -json`` of a copy of ``terraform/`` (the
reference pipeline) with plain terraform and a provider override holding fake credentials.

Read by tests/terraform/test_pipeline_config.py (the contract of the configuration) and
tests/gate/test_slow_terraform.py (the gate finds nothing high on it) through the session fixture
``reference_offline_plan`` (tests/conftest.py): both read the same plan, so it is made once per
pytest process instead of once per module (each terraform command here loads the AWS provider's
schema, ~4 CPU-s). The gate's own plan helper (tests/gate/planfix.py) and ``lakegate plan`` are
still run end to end by their own tests (test_pipeline_fixture_regenerates_from_its_tf,
test_reference_pipeline_plans_offline).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from lakegate.tfenv import terraform_env

REPO = Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"

OFFLINE_OVERRIDE = """\
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
}
"""


def run_tf(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def must(proc: subprocess.CompletedProcess[str], what: str) -> str:
    assert proc.returncode == 0, (
        f"terraform {what} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
        f"{proc.stderr[-4000:]}")
    return proc.stdout


def copy_config(dest: Path) -> None:
    """Copy terraform/ without local state, caches or someone's override files."""
    shutil.copytree(TF_DIR, dest, ignore=shutil.ignore_patterns(
        ".terraform", ".lakegate", "*.tfstate", "*.tfstate.*", "*.tfplan", "__pycache__", "*_override.tf",
        "override.tf"))


def plan_diagnostics(stdout: str, returncode: int) -> dict[str, Any]:
    """What ``terraform validate -json`` reports (``valid``, ``error_count``, ``warning_count``,
    ``diagnostics``), read from the machine-readable output of ``terraform plan -json``.

    Why that is the same check: a plan starts with the very validation walk ``terraform validate``
    runs (terraform's local backend validates the configuration before planning, and stops on its
    errors), and reports its diagnostics with the plan's own; so the plan's diagnostics are
    validate's plus whatever planning adds, and "no warnings, no errors" over them is at least as
    strict as over validate's. One terraform command (one AWS provider schema load, ~4 CPU-s)
    less than a separate ``validate``."""
    diagnostics = []
    for line in stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("type") == "diagnostic":
            diagnostics.append(msg["diagnostic"])
    errors = sum(1 for d in diagnostics if d.get("severity") == "error")
    warnings = sum(1 for d in diagnostics if d.get("severity") == "warning")
    return {"valid": returncode == 0 and errors == 0, "error_count": errors,
            "warning_count": warnings, "diagnostics": diagnostics}


def offline_results(work: Path) -> dict[str, Any]:
    """init + plan (its validation diagnostics as ``validate``) + show -json of a copy of
    terraform/ under ``work``: ``{"validate": <see plan_diagnostics>, "plan": <show -json>}``."""
    cfg = work / "tf"
    copy_config(cfg)
    env = terraform_env(work / "cli")
    must(run_tf(["init", "-input=false", "-no-color", "-lockfile=readonly"], cfg, env), "init")
    (cfg / "offline_override.tf").write_text(OFFLINE_OVERRIDE)
    proc = run_tf(["plan", "-input=false", "-no-color", "-json", "-lock=false",
                   "-out=pipeline.tfplan"], cfg, env, timeout=600)
    validate = plan_diagnostics(proc.stdout, proc.returncode)
    must(proc, "plan")
    plan = json.loads(must(run_tf(["show", "-json", "pipeline.tfplan"], cfg, env), "show -json"))
    return {"validate": validate, "plan": plan}

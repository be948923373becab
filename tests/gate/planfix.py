"""Generate a fixture's plan JSON with terraform, offline (used by `regen` and the slow test).

Why: the unit tests read committed plan JSONs so they need no terraform, but those JSONs must be
real ``terraform show -json`` output; this is the one code path that produces them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lakegate.tfenv import terraform_env

FIXTURES = Path(__file__).parent / "fixtures"

OVERRIDE = """provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
}
"""


def generate_plan(tf_dir: Path) -> dict:
    """Copy ``tf_dir`` to a temp dir, add offline provider settings, plan, return show -json."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "tf"
        shutil.copytree(tf_dir, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        (work / "zz_lakegate_offline_override.tf").write_text(OVERRIDE)
        env = terraform_env(Path(tmp) / ".lakegate")
        for cmd in (["terraform", "init", "-input=false", "-no-color"],
                    ["terraform", "plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.bin"]):
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
        out = subprocess.run(["terraform", "show", "-json", "plan.bin"], cwd=work, env=env,
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)


def main(names: list[str]) -> None:
    for name in names or [p.name for p in FIXTURES.iterdir() if (p / "main.tf").exists()]:
        plan = generate_plan(FIXTURES / name)
        (FIXTURES / f"{name}.plan.json").write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n")
        print(f"wrote {name}.plan.json")


if __name__ == "__main__":
    main(sys.argv[1:])

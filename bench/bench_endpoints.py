"""What an ``endpoints`` block in the AWS provider costs: the local target's two ways, one run.

The same one-bucket configuration (with ``data "aws_caller_identity"``, so the provider's own
account-id lookup and a data source both reach the endpoint) is planned by lakegate's driver for
the local target into a plain ``moto_server`` (the moto of this venv), alternately in the two
shapes a user's configuration can have:

- *environment*: a provider block without ``endpoints`` -> the override has none and the driver
  sends every service to the endpoint with ``AWS_ENDPOINT_URL`` (what lakegate does since
  session 7, for every configuration without its own ``endpoints`` block);
- *endpoints block*: the same provider block with a LocalStack-style ``endpoints`` block -> the
  override replaces it with one naming 20 services (what lakegate did for every configuration
  before, like ``tflocal``).

Each round is ``terraform plan -refresh=false -input=false -out=...`` in the driver's working copy
with the driver's environment (``init`` done before and not counted); CPU is terraform's and its
provider processes' (``RUSAGE_CHILDREN``). Prints the medians and their ratio, with ``uptime``.

Usage: ``.venv/bin/python bench/bench_endpoints.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_deploy import plain_moto  # noqa: E402  (this folder is on sys.path: a script's own)
from lakegate.terraform import TerraformDriver  # noqa: E402

CONFIG = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
%s}

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "landing" {
  bucket = "landing-${data.aws_caller_identity.current.account_id}"
}
"""
LOCALSTACK_BLOCK = '  endpoints {\n    s3  = "http://localhost:4566"\n    sts = "http://localhost:4566"\n  }\n'


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _plan(driver: TerraformDriver) -> tuple[float, float]:
    c0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run([str(driver.binary), "plan", "-refresh=false", "-input=false", "-no-color",
                           "-out=bench.tfplan"], cwd=driver.copy_dir, env=driver._env(),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"terraform plan failed in {driver.copy_dir}:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0, _children_cpu() - c0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    up0 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results: dict[str, list[tuple[float, float]]] = {"environment": [], "endpoints block": []}
    with plain_moto() as url:
        with tempfile.TemporaryDirectory(prefix="bench-endpoints-") as t:
            drivers = {}
            for name, block in (("environment", ""), ("endpoints block", LOCALSTACK_BLOCK)):
                src = Path(t) / name.replace(" ", "-")
                src.mkdir()
                (src / "main.tf").write_text(CONFIG % block)
                drivers[name] = TerraformDriver(src, target="local", endpoint=url, work_dir=Path(t) / "w" / src.name)
                drivers[name].init()
                has_block = "endpoints {" in (drivers[name].copy_dir / "lakegate_override.tf").read_text()
                assert has_block == bool(block), f"{name}: unexpected override"
            for _ in range(args.rounds):
                for name, driver in drivers.items():
                    results[name].append(_plan(driver))
    up1 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"uptime before: {up0}\nuptime after:  {up1}")
    med = {}
    for name, runs in results.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        med[name] = (statistics.median(walls), statistics.median(cpus))
        print(f"{name:16s} wall {', '.join(f'{w:.2f}' for w in walls)} s; "
              f"CPU {', '.join(f'{c:.2f}' for c in cpus)} s")
    env_w, env_c = med["environment"]
    blk_w, blk_c = med["endpoints block"]
    print(f"median: environment {env_w:.2f} s / {env_c:.2f} CPU-s; endpoints block {blk_w:.2f} s / "
          f"{blk_c:.2f} CPU-s; ratio environment/block: wall {env_w / blk_w:.2f}x, CPU {env_c / blk_c:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Synthetic but realistic Terraform plan JSONs of N resources, for the gate benchmark.

Why replicate a real plan: a benchmark on invented JSON measures the invention. The template
``bench/template.plan.json`` is the real ``terraform show -json`` of the reference pipeline
(``terraform/``: buckets with their hardening resources, crawlers, jobs, roles, inline policies,
triggers, workflow, log groups, uploaded scripts; 81 resources, for_each everywhere). A plan of N
resources is ``ceil(N / 81)`` copies ("units") of it, each renamed consistently (addresses
``aws_glue_crawler.this`` -> ``aws_glue_crawler.this_u7``, names ``datalake-pipeline-...`` ->
``datalake-pipeline-u7-...``, so S3 paths, ARNs and job arguments stay coherent), the last unit
cut to reach exactly N. So the proportions are the real pipeline's.

Unknowns: in every third unit the crawlers and jobs are written as separate blocks (no
for_each) whose ``role`` / ``role_arn`` is *unknown at plan time* and given in the configuration
as a single reference to the role (``aws_iam_role.crawler_u2["bronze"].arn``), as happens when
the role is created in the same apply; the gate must resolve it through the configuration (the
role's ARN is derived from its planned name) rather than pass or give up.

Usage::

    python bench/gen_plan.py 10000 -o bench/out/plan-10000.json
    python bench/gen_plan.py --refresh-template   # re-plan terraform/ (needs terraform)
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TEMPLATE = BENCH / "template.plan.json"
PROJECT = "datalake-pipeline"
UNKNOWN_EVERY = 3
# Resource types that fill the last, partial unit (they depend on nothing but their bucket).
STANDALONE_PREFIXES = ("aws_s3_bucket", "aws_cloudwatch_log_group")  # every third unit carries unknown roles resolved via configuration references

OFFLINE_PROVIDER = """provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
}
"""


def refresh_template(tf_dir: Path = REPO / "terraform") -> Path:
    """Plan ``tf_dir`` offline (provider mirror via lakegate.tfenv) and store the template."""
    sys.path.insert(0, str(REPO))
    from lakegate.tfenv import terraform_env

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "tf"
        shutil.copytree(tf_dir, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*",
                                                                      "*_override.tf"))
        (work / "zz_bench_offline_override.tf").write_text(OFFLINE_PROVIDER)
        env = terraform_env(Path(tmp) / ".lakegate")
        env["CHECKPOINT_DISABLE"] = "1"
        for cmd in (["terraform", "init", "-input=false", "-no-color"],
                    ["terraform", "plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.bin"]):
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        out = subprocess.run(["terraform", "show", "-json", "plan.bin"], cwd=work, env=env,
                             capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    data.pop("timestamp", None)
    TEMPLATE.write_text(json.dumps(data, sort_keys=True) + "\n")
    return TEMPLATE


def load_template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


def _block_names(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(mode, type, name) of every configuration block (resources and data sources)."""
    out = []
    for c in template["configuration"]["root_module"].get("resources", []):
        out.append((c["mode"], c["type"], c["name"]))
    return out


def _renamer(template: dict[str, Any], unit: int):
    """A function renaming addresses/references and resource names for ``unit`` (0 = as is)."""
    if unit == 0:
        return lambda text: text
    suffix = f"_u{unit}"
    pairs = sorted({(t, n) for _, t, n in _block_names(template)}, key=lambda p: -len(p[0] + p[1]))
    pattern = re.compile(r"\b(" + "|".join(re.escape(f"{t}.{n}") for t, n in pairs) + r")\b(?!_u\d)")
    name_re = re.compile(re.escape(PROJECT) + r"(?=-)")

    def rename(text: str) -> str:
        text = pattern.sub(lambda m: m.group(1) + suffix, text)
        return name_re.sub(f"{PROJECT}-u{unit}", text)

    return rename


def _unit(template: dict[str, Any], parts: dict[str, str], unit: int) -> dict[str, Any]:
    rename = _renamer(template, unit)
    out = {k: json.loads(rename(v)) for k, v in parts.items()}
    for block in out["configuration"]:
        block["name"] = block["address"].rsplit(".", 1)[-1]
    for key in ("planned", "changes", "prior"):
        for r in out[key]:
            addr = r["address"]
            base = addr.split("[", 1)[0]
            r["name"] = base.rsplit(".", 1)[-1]
    if unit % UNKNOWN_EVERY == UNKNOWN_EVERY - 1:
        _make_roles_unknown(out)
    return out


_ROLE_ATTR = {"aws_glue_crawler": "role", "aws_glue_job": "role_arn"}


def _make_roles_unknown(unit: dict[str, Any]) -> None:
    """Crawler/job blocks → one block per instance with an unknown role given by reference."""
    role_by_arn_name: dict[str, str] = {}
    for r in unit["changes"]:
        if r["type"] == "aws_iam_role":
            name = (r["change"].get("after") or {}).get("name")
            if name:
                role_by_arn_name[name] = r["address"]
    new_blocks: list[dict[str, Any]] = []
    for block in unit["configuration"]:
        if block["type"] not in _ROLE_ATTR:
            new_blocks.append(block)
            continue
        attr = _ROLE_ATTR[block["type"]]
        base = block["address"]
        for r in unit["changes"]:
            if r["address"].split("[", 1)[0] != base or "index" not in r:
                continue
            after = r["change"].get("after") or {}
            role_arn = after.get(attr)
            role_addr = role_by_arn_name.get(str(role_arn).rsplit("/", 1)[-1]) if role_arn else None
            if role_addr is None:
                continue
            key = re.sub(r"[^A-Za-z0-9_]", "_", str(r["index"]))
            new_addr = f"{base}_{key}"
            nb = copy.deepcopy(block)
            nb.pop("for_each_expression", None)
            nb["address"] = new_addr
            nb["name"] = new_addr.rsplit(".", 1)[-1]
            # what each.value/each.key stood for is now a constant of this block
            for k, v in list(nb["expressions"].items()):
                if k in after and isinstance(v, dict) and "references" in v and k != attr:
                    nb["expressions"][k] = {"constant_value": after[k]}
            nb["expressions"][attr] = {"references": [f"{role_addr}.arn", role_addr]}
            new_blocks.append(nb)
            _flatten_instance(unit, r["address"], new_addr, attr)
        # keep the original block only if instances still point at it
    unit["configuration"] = new_blocks


def _flatten_instance(unit: dict[str, Any], old: str, new: str, attr: str) -> None:
    for r in unit["changes"]:
        if r["address"] == old:
            r["address"] = new
            r["name"] = new.rsplit(".", 1)[-1]
            r.pop("index", None)
            ch = r["change"]
            (ch.get("after") or {}).pop(attr, None)
            ch.setdefault("after_unknown", {})[attr] = True
    for r in unit["planned"]:
        if r["address"] == old:
            r["address"] = new
            r["name"] = new.rsplit(".", 1)[-1]
            r.pop("index", None)
            r.get("values", {}).pop(attr, None)


def generate(n: int, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plan JSON (dict) with exactly ``n`` managed resources."""
    if n < 1:
        raise ValueError("n must be >= 1")
    template = template or load_template()
    root = template["planned_values"]["root_module"]
    if root.get("child_modules"):
        raise ValueError("the template must be a root-module-only plan")
    parts = {
        "planned": json.dumps(root.get("resources", [])),
        "changes": json.dumps([r for r in template["resource_changes"]]),
        "prior": json.dumps(((template.get("prior_state") or {}).get("values") or {})
                            .get("root_module", {}).get("resources", [])),
        "configuration": json.dumps(template["configuration"]["root_module"].get("resources", [])),
        "relevant": json.dumps(template.get("relevant_attributes", [])),
    }
    managed_t = [r for r in template["resource_changes"] if r.get("mode") == "managed"]
    per_unit = len(managed_t)
    standalone_t = sum(1 for r in managed_t if r["type"].startswith(STANDALONE_PREFIXES))
    if standalone_t == 0:
        raise ValueError("the template has no standalone resources to fill a partial unit with")
    full_units = n // per_unit
    units = full_units + math.ceil((n % per_unit) / standalone_t)
    planned: list[Any] = []
    changes: list[Any] = []
    prior: list[Any] = []
    config: list[Any] = []
    relevant: list[Any] = []
    remaining = n
    for u in range(units):
        unit = _unit(template, parts, u)
        managed = [r for r in unit["changes"] if r.get("mode") == "managed"]
        if u >= full_units:
            # A partial unit only holds resources that reference nothing else of the pipeline
            # (buckets and their settings, log groups): cutting a pipeline mid-way would leave
            # crawlers without roles and triggers without jobs, i.e. findings the bench invented.
            managed = [r for r in managed if r["type"].startswith(STANDALONE_PREFIXES)]
        keep = {r["address"] for r in managed[:remaining]}
        remaining -= len(keep)
        changes += [r for r in unit["changes"] if r.get("mode") != "managed" or r["address"] in keep]
        planned += [r for r in unit["planned"] if r.get("mode") != "managed" or r["address"] in keep]
        prior += unit["prior"]
        config += unit["configuration"]
        relevant += unit["relevant"]
    plan = {k: v for k, v in template.items()
            if k not in ("planned_values", "resource_changes", "prior_state", "configuration",
                         "relevant_attributes", "timestamp")}
    plan["planned_values"] = {**{k: v for k, v in template["planned_values"].items() if k != "root_module"},
                              "root_module": {**{k: v for k, v in root.items() if k != "resources"},
                                              "resources": planned}}
    plan["resource_changes"] = changes
    if template.get("prior_state") is not None:
        ps = copy.deepcopy(template["prior_state"])
        ps.setdefault("values", {}).setdefault("root_module", {})["resources"] = prior
        plan["prior_state"] = ps
    conf = copy.deepcopy(template["configuration"])
    conf["root_module"]["resources"] = config
    plan["configuration"] = conf
    plan["relevant_attributes"] = relevant
    return plan


def write(n: int, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(generate(n)))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, help="number of managed resources")
    ap.add_argument("-o", "--out", type=Path, help="output file (default bench/out/plan-N.json)")
    ap.add_argument("--refresh-template", action="store_true",
                    help="re-plan terraform/ and rewrite bench/template.plan.json")
    args = ap.parse_args(argv)
    if args.refresh_template:
        print(f"wrote {refresh_template()}")
    if args.n is not None:
        out = args.out or BENCH / "out" / f"plan-{args.n}.json"
        write(args.n, out)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    elif not args.refresh_template:
        ap.error("give N or --refresh-template")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

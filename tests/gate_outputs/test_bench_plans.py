"""The benchmark's plan generator makes plans the gate's loader accepts, with exactly N
resources, coherent renaming and roles that are unknown at plan time but resolvable."""

from __future__ import annotations

import json
from pathlib import Path

from bench import gen_plan
from tf_checks.engine import run_rules
from tf_checks.loader import load_data


def test_generated_plan_is_valid_and_exact(tmp_path: Path) -> None:
    n = 3 * 81 + 10  # three full units (one with unknown roles) and a partial one
    data = gen_plan.generate(n)
    managed = [r for r in data["resource_changes"] if r["mode"] == "managed"]
    assert len(managed) == n
    addresses = [r["address"] for r in managed]
    assert len(set(addresses)) == n, "addresses must be unique"
    names = [r["change"]["after"].get("name") for r in managed if r["type"] == "aws_glue_crawler"]
    assert len(names) == len(set(names)) == 12
    unknown = [r for r in managed if r["type"] in ("aws_glue_crawler", "aws_glue_job")
               and (r["change"]["after_unknown"].get("role") or r["change"]["after_unknown"].get("role_arn"))]
    assert len(unknown) == 7  # unit 2: 4 crawlers + 3 jobs
    # the partial unit holds only standalone resources
    assert {r["type"] for r in managed[3 * 81:]} <= {t for t in {r["type"] for r in managed}
                                                     if t.startswith(gen_plan.STANDALONE_PREFIXES)}
    # round-trips through JSON and the gate's loader; the unknown roles are resolved, so the
    # copies are as clean as the reference pipeline (no cannot-verify, no IAM finding)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    plan = load_data(json.loads(path.read_text()), str(path))
    result = run_rules(plan)
    rules = {f.rule_id for f in result.active()}
    assert not any(r.startswith(("LG-RESOLVE", "LG-IAM", "LG-WF")) for r in rules), rules


def test_breaking_a_copy_is_detected() -> None:
    """The copies are really checked: dropping one crawler role's inline policy is found."""
    data = gen_plan.generate(2 * 81)
    victim = next(r for r in data["resource_changes"]
                  if r["type"] == "aws_iam_role_policy" and r["address"].startswith("aws_iam_role_policy.crawler_u1"))
    data["resource_changes"].remove(victim)
    pv = data["planned_values"]["root_module"]["resources"]
    pv[:] = [r for r in pv if r["address"] != victim["address"]]
    result = run_rules(load_data(data, "mutated"))
    assert any(f.rule_id == "LG-IAM-001" and "_u1" in f.address for f in result.active())

"""Inputs (plan, state JSON, tfstate v4, malformed), the CLI contract and the fuzz test."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakegate.cli import main
from lakegate.errors import LakegateError
from tests.gate.conftest import FIXTURES, plan_data
from tests.gate.helpers import check
from tf_checks.loader import load_data, load_input

PLAN = FIXTURES / "pipeline.plan.json"


def test_plan_loads_all_resources_with_unknowns_and_config():
    plan = load_input(PLAN)
    assert plan.kind == "plan" and len(plan.resources) == 21
    pol = plan.get("aws_iam_role_policy.crawler")
    assert pol.unknown("policy") and "aws_s3_bucket.bronze.arn" in pol.refs("policy")
    assert pol.actions == ("create",)
    assert plan.get("data.aws_iam_policy_document.glue_assume").values["json"]


def test_modules_for_each_addresses():
    plan = load_input(FIXTURES / "modules.plan.json")
    res = plan.get('module.zone["silver"].aws_glue_crawler.this')
    assert res.module == 'module.zone["silver"]' and res.config is not None
    assert plan.get("aws_glue_catalog_database.catalog[0]").index == 0


def _state_json() -> dict:
    data = plan_data("pipeline")
    return {"format_version": "1.0", "terraform_version": "1.11.4",
            "values": {"root_module": data["planned_values"]["root_module"]}}


def test_state_json_and_tfstate(tmp_path: Path):
    plan = load_data(_state_json(), "state.json")
    assert plan.kind == "state" and len(plan.resources) == 20
    tfstate = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "x", "outputs": {},
               "resources": [{"mode": "managed", "type": "aws_glue_job", "name": "j", "provider": "p",
                              "instances": [{"index_key": "a", "attributes": {"name": "job-a"}},
                                            {"index_key": "b", "attributes": {"name": "job-b"}}]}]}
    p = tmp_path / "terraform.tfstate"
    p.write_text(json.dumps(tfstate))
    plan = load_input(p)
    assert [r.address for r in plan.resources] == ['aws_glue_job.j["a"]', 'aws_glue_job.j["b"]']


@pytest.mark.parametrize("mutate, where, reason", [
    (lambda d: d.update(format_version="2.0"), "$.format_version", "unsupported format_version"),
    (lambda d: d.pop("format_version"), "$.format_version", "missing"),
    (lambda d: d["planned_values"]["root_module"]["resources"][3].update(values=[1]),
     "$.planned_values.root_module.resources[3].values", "expected a JSON object"),
    (lambda d: d["planned_values"]["root_module"].update(resources="x"),
     "$.planned_values.root_module.resources", "expected a JSON array"),
    (lambda d: d["resource_changes"][0]["change"].update(actions=None),
     "$.resource_changes[0].change.actions", "expected a JSON array"),
    (lambda d: d["planned_values"]["root_module"]["resources"][0].pop("type"),
     "$.planned_values.root_module.resources[0].type", "non-empty string"),
])
def test_malformed_plans_name_the_json_path(mutate, where, reason):
    data = plan_data("pipeline")
    mutate(data)
    with pytest.raises(LakegateError) as err:
        load_data(data, "bad.json")
    assert err.value.where == f"bad.json at {where}"
    assert reason in err.value.what


def test_cli_exit_codes_and_json_contract(tmp_path: Path, capsys):
    assert main(["check", str(PLAN), "--tf-dir", str(FIXTURES / "pipeline"), "--format", "json",
                 "--recovery-plan", str(tmp_path / "rp.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"findings", "summary", "workflows", "recovery_plan"}
    assert set(out["summary"]) >= {"resources", "findings", "by_severity"}
    assert out["workflows"][0]["actions"] == 2
    assert json.loads((tmp_path / "rp.json").read_text()) == out["recovery_plan"]
    assert main(["check", str(PLAN), "--format", "json"]) == 1      # unknown policies: cannot verify
    out = json.loads(capsys.readouterr().out)
    f = next(f for f in out["findings"] if f["rule_id"] == "LG-RESOLVE-001")
    assert {"rule_id", "severity", "address", "message", "fix", "missing"} <= set(f)
    assert main(["check", str(PLAN), "--tf-dir", str(FIXTURES / "pipeline"), "--fail-on", "medium",
                 "--out", str(tmp_path / "r.txt")]) == 1
    assert "LG-CONS-003" in (tmp_path / "r.txt").read_text()


def test_cli_unusable_input_exit_2(tmp_path: Path, capsys):
    bad = tmp_path / "trunc.json"
    bad.write_text(PLAN.read_text()[:5000])
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and str(bad) in err and "fix:" in err
    assert main(["check", str(tmp_path / "missing.json")]) == 2
    (tmp_path / "x.json").write_text('{"hello": 1}')
    assert main(["check", str(tmp_path / "x.json")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_sarif_is_rendered_or_clear_error(capsys):
    rc = main(["check", str(PLAN), "--tf-dir", str(FIXTURES / "pipeline"), "--format", "sarif"])
    assert rc in (0, 2)
    if rc == 2:
        assert "sarif output is not available" in capsys.readouterr().err


# ---------------------------------------------------------------- fuzz

_BASE = PLAN.read_text()
_JUNK = [None, 0, -1, 1.5, True, "", "x", [], {}, [None], {"a": None}]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_ALL_PATHS = [p for p in _paths(json.loads(_BASE)) if p and p[0] != "configuration" or len(p) < 4]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=len(_BASE) - 2))
def test_fuzz_truncation_is_always_exit_2(cut):
    with pytest.raises(LakegateError):
        load_data(_load_text(_BASE[:cut]), "fuzz.json")


def _load_text(text):
    from tf_checks.loader import parse_json_text
    return parse_json_text(text, "fuzz.json")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), n=st.integers(min_value=1, max_value=4))
def test_fuzz_mutations_never_traceback_or_silent_pass(seed, n):
    """Random type changes/removals anywhere: either a clear LakegateError or a result; and as
    long as a crawler or job is left, never a pass (without --tf-dir their policies are unknown,
    so the untouched plan is 'cannot verify'; a mutation must not turn that into a pass)."""
    from tf_checks.engine import run_rules

    rng = random.Random(seed)
    data = json.loads(_BASE)
    for _ in range(n):
        path = rng.choice(_ALL_PATHS)
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            if rng.random() < 0.3:
                if isinstance(parent, dict):
                    parent.pop(path[-1], None)
                else:
                    del parent[path[-1]]
            else:
                parent[path[-1]] = rng.choice(_JUNK)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        plan = load_data(data, "fuzz.json")
        result = run_rules(plan)
    except LakegateError:
        return
    if plan.of("aws_glue_crawler") or plan.of("aws_glue_job"):
        assert result.exit_code("high") == 1, "mutated plan produced a silent pass"

"""Slow: the committed fixture plans are real terraform output; the real pipeline is clean.

(`lakegate check DIR` on the pipeline fixture, planned offline and resolved, is asserted in
tests/gate/test_cli_suppress_checkov.py::test_directory_input_runs_checkov_on_the_drivers_plan_json,
which runs that command anyway.)"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from tests.gate.conftest import FIXTURES
from tests.gate.planfix import generate_plan
from tf_checks.engine import run_rules
from tf_checks.loader import load_data

REPO = Path(__file__).resolve().parents[2]
needs_tf = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")


def _shape(plan: dict) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((rc["address"], tuple(rc["change"]["actions"])) for rc in plan["resource_changes"])


@pytest.mark.slow
@pytest.mark.terraform
@needs_tf
def test_pipeline_fixture_regenerates_from_its_tf():
    fresh = generate_plan(FIXTURES / "pipeline")
    committed = json.loads((FIXTURES / "pipeline.plan.json").read_text())
    assert _shape(fresh) == _shape(committed)
    assert fresh["planned_values"] == committed["planned_values"]


@pytest.mark.slow
@pytest.mark.terraform
@needs_tf
def test_real_pipeline_plan_is_clean(reference_offline_plan):
    tf_dir = REPO / "terraform"
    if not (tf_dir / "workflow.tf").exists():
        pytest.skip("terraform/ not present")
    # the session's one offline plan of terraform/ (tests/conftest.py; the configuration contract
    # tests read it too); the gate's plan helper itself is run by the test above
    plan = load_data(copy.deepcopy(reference_offline_plan["plan"]), "terraform-plan.json")
    result = run_rules(plan, tf_dir)
    high = [f"{f.rule_id} {f.address}: {f.message}" for f in result.findings
            if f.severity in ("high", "critical")]
    assert high == []
    assert [(w.name, w.actions) for w in result.workflows] == [
        ("datalake-pipeline-silver-etl-workflow-dev", 6)]
    assert result.workflows[0].parallel_groups == [[
        "datalake-pipeline-gold-car-current-state-dev", "datalake-pipeline-gold-performance-alerts-dev"]]

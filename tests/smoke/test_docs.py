"""docs/runbook-as-code.md keeps the generated checklist table in sync with lakegate/checklist.py,
and lakegate.toml.example is a valid environment configuration with a protected prod."""

from __future__ import annotations

from pathlib import Path

from lakegate import checklist
from lakegate.envconfig import load_environments
from lakegate.smoke import checklist_markdown

REPO = Path(__file__).resolve().parents[2]


def test_checklist_table_in_the_doc_is_generated_from_checklist_py():
    text = (REPO / "docs" / "runbook-as-code.md").read_text()
    start, end = "<!-- checklist-table:start -->\n", "<!-- checklist-table:end -->"
    assert start in text and end in text
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == checklist_markdown(), "regenerate the table: see the command in the doc"


def test_generated_table_has_one_row_per_item():
    rows = checklist_markdown().splitlines()[2:]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [it.id for it in checklist.ITEMS]


def test_example_configuration_loads_with_a_protected_prod():
    envs = load_environments(REPO / "lakegate.toml.example")
    prod = envs["prod"]
    assert prod.kind == "aws" and prod.protected and prod.profile and prod.region
    assert prod.outputs == REPO / "deploy" / "prod-outputs.json"
    assert envs["local"].is_local and not envs["local"].protected


def test_example_ci_files_and_doc_agree_on_the_outputs_path():
    """The CI examples write the file [environments.prod] reads."""
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        assert "terraform output -json > deploy/prod-outputs.json" in (REPO / "ci-examples" / name).read_text()

"""The background lanes (tests/_background.py) name real tests, each once."""

from __future__ import annotations

import ast
from pathlib import Path

from tests import _background

ROOT = Path(__file__).resolve().parents[2]


def test_every_lane_node_id_names_an_existing_test_function_once() -> None:
    ids = _background.wanted()
    assert len(ids) == len(set(ids)), "a test is listed in two lanes"
    for nodeid in ids:
        path, _, name = nodeid.partition("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert name in names, f"{nodeid}: no such test function (renamed? update LANES)"


def test_scenarios_never_run_in_a_lane() -> None:
    # pytest-bdd's Cucumber output and the session world stay in the main session
    assert not [n for n in _background.wanted() if n.startswith("steps/")]

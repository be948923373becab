"""The gate corpus: configurations written in the styles of public repositories, each healthy
version with zero findings and defect variants with exactly the expected findings.

Layout: ``tests/gate_corpus/<area>/<style>/<case>/`` with the case's ``.tf`` files (and scripts),
the committed ``plan.json`` (``tests/gate_corpus/regen.py`` rewrites it through ``lakegate
plan``) and ``expected.json`` = ``{"findings": [{"rule_id", "address"}], "note": "..."}``.
The test runs ``check_path(plan.json, tf_dir=case)`` and compares the *set* of active
(rule_id, address) pairs exactly. Optional ``"needs": ["module"]`` names code another area
delivers (the case is an expected failure until that module exists).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tf_checks.engine import check_path

HERE = Path(__file__).resolve().parent
CASES = sorted(p.parent for p in HERE.rglob("expected.json") if ".lakegate" not in p.parts)


def _id(case: Path) -> str:
    return case.relative_to(HERE).as_posix()


def test_corpus_is_not_empty():
    assert len(CASES) >= 10
    for case in CASES:
        assert (case / "plan.json").is_file(), f"{_id(case)}: run tests/gate_corpus/regen.py"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_case(case: Path):
    expected = json.loads((case / "expected.json").read_text())
    missing = [m for m in expected.get("needs", []) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.xfail(f"needs {', '.join(missing)} (another area's branch)")
    result = check_path(case / "plan.json", tf_dir=case)
    got = {(f.rule_id, f.address) for f in result.findings if not f.suppressed}
    want = {(f["rule_id"], f["address"]) for f in expected["findings"]}
    detail = "\n".join(f"  {f.rule_id} {f.address}: {f.message[:300]}" for f in result.findings
                       if not f.suppressed)
    assert got == want, f"{_id(case)} ({expected.get('note', '')}):\n{detail}"

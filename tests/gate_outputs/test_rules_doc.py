"""docs/rules.md and the SARIF rule metadata are generated from the rule registry."""

from __future__ import annotations

from tf_checks import docs, registry
from tf_checks.findings import CheckResult
from tf_checks.output.sarif import to_sarif


def test_rules_doc_is_up_to_date():
    assert docs.DOC.read_text(encoding="utf-8") == docs.render(), \
        "docs/rules.md is out of date: run .venv/bin/python -m tf_checks.docs"


def test_every_declared_rule_is_documented():
    text = docs.render()
    docs._load_all()
    assert registry.RULES, "no rule declared"
    for rule in registry.RULES.values():
        assert f"| {rule.id} | {rule.severity} |" in text


def test_a_newly_declared_family_appears_without_editing_the_generator():
    fam = "LG-ZZDOC"
    registry.declare_family(fam, "Doc test family", "declared by a test")
    rule = registry.declare(f"{fam}-001", "A rule nobody wrote docs for", "low", fam, "help text")
    try:
        text = docs.render()
        assert "## Doc test family (LG-ZZDOC)" in text and "| LG-ZZDOC-001 | low | A rule nobody" in text
        sarif = to_sarif(CheckResult(findings=[rule.finding("aws_x.y", "m")], resources=1), None)
        meta = sarif["runs"][0]["tool"]["driver"]["rules"][0]
        assert meta["shortDescription"]["text"] == "A rule nobody wrote docs for"
        assert meta["fullDescription"]["text"] == "help text"
        assert meta["defaultConfiguration"]["level"] == "note"
    finally:
        registry.RULES.pop(f"{fam}-001")
        registry.FAMILIES.pop(fam)


def test_finding_to_json_matches_the_dataclass_fields():
    """to_json is hand-built for speed; it must stay the dataclass's fields (the CLI contract)."""
    from dataclasses import asdict

    from tf_checks.findings import Finding, Missing
    for f in (Finding("LG-X-001", "high", "a.b", "m", fix="f", role_address="r",
                      missing=[Missing("s3:GetObject", "arn:aws:s3:::b/*", "why", "conditional")],
                      file="main.tf", line=3, suppressed="ok"),
              Finding("LG-X-002", "low", "a.c", "m2")):
        expected = asdict(f)
        if f.role_address is None:
            expected.pop("role_address")
        assert f.to_json() == expected and list(f.to_json()) == list(expected)


def test_json_output_is_the_to_json_document():
    import json

    from tf_checks.findings import CheckResult, Finding
    from tf_checks.output.jsonout import render
    r = CheckResult(findings=[Finding("LG-X-001", "high", "a.b", "m\n\"q\"")] * 3, resources=7)
    text = render(r)
    assert json.loads(text) == r.to_json()
    assert text.count("\n") < 40   # findings are one line each

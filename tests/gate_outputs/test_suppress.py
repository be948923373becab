"""Suppressions: inline comments and baseline, reason mandatory, always visible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakegate.errors import LakegateError
from tf_checks.findings import CheckResult, Finding
from tf_checks.suppress import (
    BASELINE_FILENAME, RULE_NO_REASON, RULE_UNUSED, _block_end, apply_suppressions, index_tf_dir,
    inline_suppressions, load_baseline, strip_index,
)


def _by_rule(res: CheckResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in res.findings:
        out.setdefault(f.rule_id, []).append(f)
    return out


def test_block_extent_ignores_braces_in_strings_heredocs_and_comments(tf_dir: Path) -> None:
    idx = index_tf_dir(tf_dir)
    crawler = next(b for b in idx.blocks if b.name == "bronze" and b.type == "aws_glue_crawler")
    lines = (tf_dir / "main.tf").read_text().splitlines()
    assert lines[crawler.end - 1] == "}"
    assert lines[crawler.end] == ""  # the block ends right before the blank line
    role = next(b for b in idx.blocks if b.type == "aws_iam_role")
    assert lines[role.start - 1].startswith('resource "aws_iam_role" "crawler"')


def test_block_end_unterminated_block_runs_to_end_of_file() -> None:
    lines = ['resource "a" "b" {', '  x = "}"', "  y = 1"]
    assert _block_end(lines, 0) == 2


def test_index_locates_root_and_module_resources(tf_dir: Path) -> None:
    idx = index_tf_dir(tf_dir)
    assert idx.locate("aws_glue_crawler.bronze") == ("main.tf", 6)
    assert idx.locate("aws_s3_bucket.bronze[0]") == ("main.tf", 23)
    assert idx.locate('module.etl.aws_glue_job.silver["k"]') == ("modules/etl/job.tf", 1)
    assert idx.locate("aws_glue_job.nope") is None


def test_strip_index() -> None:
    assert strip_index('module.m["a"].aws_x.y[0]') == "module.m.aws_x.y"


def test_inline_suppressions_parse_reason_and_report_bad_ones(tf_dir: Path) -> None:
    sups, problems = inline_suppressions(tf_dir)
    got = {(s.rule_id, s.address, s.kind) for s in sups}
    assert got == {
        ("LG-IAM-001", "aws_glue_crawler.bronze", "inSource"),
        ("CKV_AWS_18", "aws_s3_bucket.bronze", "inSource"),
        ("LG-IAM-002", "module.*.aws_glue_job.silver", "inSource"),
    }
    reasons = {s.rule_id: s.reason for s in sups}
    assert reasons["LG-IAM-001"] == "sample crawler, reads a public demo bucket only"
    by = {p.rule_id: p for p in problems}
    assert by[RULE_NO_REASON].severity == "high"
    assert by[RULE_NO_REASON].address == "aws_iam_role.crawler"
    assert (by[RULE_NO_REASON].file, by[RULE_NO_REASON].line) == ("main.tf", 20)
    assert by[RULE_UNUSED].line == 28  # the floating comment


def test_apply_marks_suppressed_and_keeps_them_visible(tf_dir: Path, result: CheckResult) -> None:
    assert result.exit_code("high") == 1
    out = apply_suppressions(result, tf_dir)
    by = _by_rule(out)
    assert by["LG-IAM-001"][0].suppressed == "sample crawler, reads a public demo bucket only"
    assert by["LG-IAM-002"][0].suppressed == "job role managed by the platform team"
    assert by["CKV_AWS_18"][0].suppressed == "access logs go to the org-wide trail"
    # no reason → not suppressed, and a finding of its own that fails the gate
    assert by["LG-WF-002"][0].suppressed is None
    assert len(by[RULE_NO_REASON]) == 1
    assert out.exit_code("high") == 1
    # suppressed findings are still in the result (and counted as suppressed in JSON)
    assert len(out.findings) == len(result.findings) + 2
    assert out.to_json()["summary"]["suppressed"] == 3
    # the input result is not mutated
    assert all(f.suppressed is None for f in result.findings)
    kinds = {e["rule_id"]: (e["kind"], e["matched"]) for e in out.inputs["suppressions"]}
    assert kinds["LG-IAM-001"] == ("inSource", 1)


def test_without_the_bad_comment_the_gate_passes(tf_dir: Path, result: CheckResult) -> None:
    text = (tf_dir / "main.tf").read_text().replace("  # lakegate:ignore LG-WF-002\n", "")
    (tf_dir / "main.tf").write_text(text)
    result.findings = [f for f in result.findings if f.rule_id != "LG-WF-002"]
    out = apply_suppressions(result, tf_dir)
    assert RULE_NO_REASON not in _by_rule(out)
    assert out.exit_code("high") == 0  # IAM findings suppressed with reasons; unused is low


def test_baseline_file(tmp_path: Path, result: CheckResult) -> None:
    base = tmp_path / "b.json"
    base.write_text(json.dumps([
        {"rule_id": "LG-WF-002", "address": "aws_glue_workflow.main", "reason": "known, ticket DL-12"},
        {"rule_id": "LG-IAM-002", "address": "module.etl.aws_glue_job.silver", "reason": "all instances"},
        {"rule_id": "LG-PIPE-003", "address": "aws_glue_job.unknown", "reason": "   "},
        {"rule_id": "LG-IAM-009", "address": "aws_glue_job.gone", "reason": "stale"},
    ]))
    out = apply_suppressions(result, None, base)
    by = _by_rule(out)
    assert by["LG-WF-002"][0].suppressed == "known, ticket DL-12"
    assert by["LG-IAM-002"][0].suppressed == "all instances"
    assert by["LG-PIPE-003"][0].suppressed is None
    assert [p.address for p in by[RULE_NO_REASON]] == ["aws_glue_job.unknown"]
    assert [p.address for p in by[RULE_UNUSED]] == ["aws_glue_job.gone"]
    assert {e["kind"] for e in out.inputs["suppressions"]} == {"external"}


def test_baseline_in_tf_dir_is_picked_up(tf_dir: Path, result: CheckResult) -> None:
    (tf_dir / BASELINE_FILENAME).write_text(json.dumps(
        [{"rule_id": "LG-PIPE-003", "address": "aws_glue_job.unknown", "reason": "accepted"}]))
    out = apply_suppressions(result, tf_dir)
    assert _by_rule(out)["LG-PIPE-003"][0].suppressed == "accepted"


def test_role_address_matches_iam_findings(tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    base.write_text(json.dumps([{"rule_id": "LG-IAM-001", "address": "aws_iam_role.crawler",
                                 "reason": "role reviewed"}]))
    res = CheckResult([Finding("LG-IAM-001", "high", "aws_glue_crawler.x", "m",
                               role_address="aws_iam_role.crawler")], resources=1)
    assert apply_suppressions(res, None, base).findings[0].suppressed == "role reviewed"


def test_suppression_findings_are_not_suppressible(tmp_path: Path) -> None:
    base = tmp_path / "b.json"
    base.write_text(json.dumps([{"rule_id": RULE_NO_REASON, "address": "x", "reason": "hide it"}]))
    res = CheckResult([Finding(RULE_NO_REASON, "high", "x", "no reason")], resources=1)
    out = apply_suppressions(res, None, base)
    assert out.findings[0].suppressed is None
    assert out.exit_code("high") == 1


@pytest.mark.parametrize("content, needle", [
    ("{not json", "not valid JSON"),
    ('{"rule_id": "x"}', "must be a JSON list"),
    ("[1]", "entry must be an object"),
    ('[{"address": "a", "reason": "r"}]', "'rule_id'"),
    ('[{"rule_id": "LG-X-1", "address": "a", "reason": 3}]', "'reason' must be a string"),
])
def test_malformed_baseline_is_a_clear_error(tmp_path: Path, content: str, needle: str) -> None:
    base = tmp_path / "b.json"
    base.write_text(content)
    with pytest.raises(LakegateError) as exc:
        load_baseline(base)
    assert needle in exc.value.what
    assert str(base) in (exc.value.where or "")
    assert exc.value.fix


def test_missing_baseline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LakegateError, match="not found"):
        load_baseline(tmp_path / "nope.json")


def test_malformed_inline_directive(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text('resource "a" "b" {\n  # lakegate:ignore !!! reason: x\n}\n')
    sups, problems = inline_suppressions(tmp_path)
    assert sups == []
    assert problems[0].rule_id == RULE_NO_REASON and "malformed" in problems[0].message

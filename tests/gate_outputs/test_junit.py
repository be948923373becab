"""JUnit output: well-formed, meaningful counts, failures with fixes, suppressed → skipped."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from tf_checks.findings import CheckResult, Finding
from tf_checks.output import junit
from tf_checks.suppress import apply_suppressions


def _parse(text: str) -> ET.Element:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["lakegate-check"]
    return suites[0]


def test_failures_skips_and_passing_families(tf_dir: Path, result: CheckResult) -> None:
    res = apply_suppressions(result, tf_dir)
    suite = _parse(junit.render(res, rules=["LG-IAM-001", "LG-WF-001", "LG-PIPE-001", "LG-GRAPH-001"]))
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    passing = [c for c in cases if len(c) == 0]
    assert int(suite.get("tests")) == len(cases) == len(res.findings) + 1
    assert int(suite.get("failures")) == len(failures) == len(res.active())
    assert int(suite.get("skipped")) == len(skipped) == 3
    assert suite.get("errors") == "0"
    # the only family that ran without findings gets a passing testcase
    assert [c.get("classname") for c in passing] == ["lakegate-check.LG-GRAPH"]
    wf = next(c for c in failures if c.get("name") == "LG-WF-002 aws_glue_workflow.main")
    fail = wf.find("failure")
    assert fail.get("type") == "medium"
    assert "crawl_state" in fail.text and "fix:" in fail.text
    iam = next(c for c in skipped if c.get("name").startswith("LG-IAM-001"))
    assert iam.find("skipped").get("message") == "suppressed: sample crawler, reads a public demo bucket only"
    checkov = next(c for c in cases if c.get("name").startswith("CKV_AWS_18"))
    assert checkov.get("classname") == "lakegate-check.checkov"


def test_clean_result_still_counts_tests() -> None:
    suite = _parse(junit.render(CheckResult(findings=[], resources=7)))
    cases = suite.findall("testcase")
    assert len(cases) == len(junit.DEFAULT_FAMILIES) == int(suite.get("tests"))
    assert suite.get("failures") == "0"
    assert all("7 resources" in c.get("name") for c in cases)


def test_rules_from_engine_inputs() -> None:
    res = CheckResult(findings=[], resources=1, inputs={"rules": ["LG-X-001", "LG-X-002", "LG-Y-001"]})
    names = [c.get("classname") for c in _parse(junit.render(res)).findall("testcase")]
    assert names == ["lakegate-check.LG-X", "lakegate-check.LG-Y"]


def test_iam_details_and_hostile_text_stay_well_formed(result: CheckResult) -> None:
    result.findings.append(Finding("LG-CHECKOV-001", "high", "plan.json",
                                   "checkov crashed: \x1b[31mTraceback\x00 <boom> & \"q\"", fix="rerun"))
    suite = _parse(junit.render(result))
    texts = [c.find("failure").text for c in suite.findall("testcase") if c.find("failure") is not None]
    assert any("missing: glue:BatchGetPartition on arn:aws:glue:us-east-1:1:table/db/*" in t for t in texts)
    assert any("<boom> & \"q\"" in t for t in texts)

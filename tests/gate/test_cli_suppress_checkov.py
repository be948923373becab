"""``lakegate check --baseline`` / inline suppressions / ``--checkov`` through the real CLI.

The pipeline fixture plan with a copy of its source where the crawler policy lost
``glue:BatchGetPartition`` gives LG-IAM-001 on both crawlers (role ``aws_iam_role.crawler``);
the tests accept that finding with a reason and check that it stays visible in every format.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from lakegate.cli import main
from tests.gate.conftest import FIXTURES
from tf_checks.checkov_runner import ENV_BINARY

PLAN = FIXTURES / "pipeline.plan.json"
REASON = "the crawler reads partitions one by one in this sandbox"


def _drop_batchgetpartition(tf_dir: Path) -> None:
    main_tf = tf_dir / "main.tf"
    text = main_tf.read_text()
    assert '"glue:BatchGetPartition", ' in text
    main_tf.write_text(text.replace('"glue:BatchGetPartition", ', "", 1))


def _comment_above(tf_dir: Path, block: str, comment: str) -> None:
    main_tf = tf_dir / "main.tf"
    text = main_tf.read_text()
    assert block in text
    main_tf.write_text(text.replace(block, f"{comment}\n{block}", 1))


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def _check(tf_dir: Path, *extra: str) -> int:
    return main(["check", str(PLAN), "--tf-dir", str(tf_dir), *extra])


def test_missing_permission_fails_without_suppression(pipeline_dir: Path, capsys):
    _drop_batchgetpartition(pipeline_dir)
    assert _check(pipeline_dir, "--format", "json") == 1
    out = _json(capsys)
    iam = [f for f in out["findings"] if f["rule_id"] == "LG-IAM-001"]
    assert len(iam) == 2 and all(f["suppressed"] is None for f in iam)


def test_inline_suppression_with_reason_passes_and_stays_visible(pipeline_dir: Path, capsys):
    _drop_batchgetpartition(pipeline_dir)
    _comment_above(pipeline_dir, 'resource "aws_iam_role" "crawler" {',
                   f"# lakegate:ignore LG-IAM-001 reason: {REASON}")
    assert _check(pipeline_dir, "--format", "json") == 0
    out = _json(capsys)
    iam = [f for f in out["findings"] if f["rule_id"] == "LG-IAM-001"]
    assert {f["address"] for f in iam} == {"aws_glue_crawler.bronze", "aws_glue_crawler.silver"}
    assert all(f["suppressed"] == REASON for f in iam)
    assert out["summary"]["suppressed"] == 2
    assert not any(f["rule_id"].startswith("LG-SUPPRESS") for f in out["findings"])

    # text: a "suppressed" section with the reason and where it was written
    assert _check(pipeline_dir) == 0
    text = capsys.readouterr().out
    section = text[text.index("suppressed (2;"):]
    assert "LG-IAM-001  aws_glue_crawler.bronze" in section
    assert f"reason: {REASON}  [main.tf:" in section
    assert "2 suppressed" in text

    # SARIF: suppressions with kind inSource; JUnit: skipped
    assert _check(pipeline_dir, "--format", "sarif") == 0
    sarif = _json(capsys)
    sups = [r["suppressions"] for r in sarif["runs"][0]["results"] if r["ruleId"] == "LG-IAM-001"]
    assert len(sups) == 2 and all(s == [{"kind": "inSource", "status": "accepted",
                                         "justification": REASON}] for s in sups)
    assert _check(pipeline_dir, "--format", "junit") == 0
    root = ET.fromstring(capsys.readouterr().out)
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert {c.get("name") for c in skipped} == {"LG-IAM-001 aws_glue_crawler.bronze",
                                                 "LG-IAM-001 aws_glue_crawler.silver"}


def test_inline_suppression_without_reason_is_a_finding(pipeline_dir: Path, capsys):
    _drop_batchgetpartition(pipeline_dir)
    _comment_above(pipeline_dir, 'resource "aws_iam_role" "crawler" {', "# lakegate:ignore LG-IAM-001")
    assert _check(pipeline_dir, "--format", "json") == 1
    out = _json(capsys)
    assert all(f["suppressed"] is None for f in out["findings"] if f["rule_id"] == "LG-IAM-001")
    sup = [f for f in out["findings"] if f["rule_id"] == "LG-SUPPRESS-001"]
    assert len(sup) == 1 and sup[0]["severity"] == "high" and "no reason" in sup[0]["message"]


def test_baseline_file_suppresses_and_default_location_is_found(pipeline_dir: Path, tmp_path: Path,
                                                                  capsys):
    _drop_batchgetpartition(pipeline_dir)
    entries = [{"rule_id": "LG-IAM-001", "address": "aws_glue_crawler.bronze", "reason": REASON},
               {"rule_id": "LG-IAM-001", "address": "aws_glue_crawler.silver", "reason": REASON}]
    baseline = tmp_path / "accepted.json"
    baseline.write_text(json.dumps(entries))
    assert _check(pipeline_dir, "--format", "json", "--baseline", str(baseline)) == 0
    out = _json(capsys)
    assert [f["suppressed"] for f in out["findings"] if f["rule_id"] == "LG-IAM-001"] == [REASON] * 2
    assert out["inputs"]["baseline"] == str(baseline)

    # only one entry: the other crawler still fails
    baseline.write_text(json.dumps(entries[:1]))
    assert _check(pipeline_dir, "--format", "json", "--baseline", str(baseline)) == 1
    capsys.readouterr()

    # default <tf-dir>/.lakegate-baseline.json
    (pipeline_dir / ".lakegate-baseline.json").write_text(json.dumps(entries))
    assert _check(pipeline_dir, "--format", "json") == 0
    assert _json(capsys)["summary"]["suppressed"] == 2


def test_baseline_entry_without_reason_is_lg_suppress_001(pipeline_dir: Path, tmp_path: Path, capsys):
    _drop_batchgetpartition(pipeline_dir)
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps([{"rule_id": "LG-IAM-001", "address": "aws_iam_role.crawler"}]))
    assert _check(pipeline_dir, "--format", "json", "--baseline", str(baseline)) == 1
    out = _json(capsys)
    assert [f["rule_id"] for f in out["findings"] if f["rule_id"].startswith("LG-SUPPRESS")] == ["LG-SUPPRESS-001"]
    assert out["summary"]["suppressed"] == 0


def test_bad_baseline_is_exit_2(pipeline_dir: Path, tmp_path: Path, capsys):
    assert _check(pipeline_dir, "--baseline", str(tmp_path / "nope.json")) == 2
    (tmp_path / "b.json").write_text('{"rule_id": "x"}')
    assert _check(pipeline_dir, "--baseline", str(tmp_path / "b.json")) == 2
    err = capsys.readouterr().err
    assert "baseline must be a JSON list" in err and "Traceback" not in err


# ---------------------------------------------------------------- --checkov

def _fake_checkov(tmp_path: Path, body: str, monkeypatch) -> Path:
    exe = tmp_path / "fake-checkov"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv(ENV_BINARY, str(exe))
    return exe


CRASH_SILENT = """cat <<'LOG' >&2
2025-01-01 12:00:00,000 [MainThread  ] [ERROR]  Failed to run check CKV2_LAKE_1 on plan.json:aws_glue_crawler.bronze
Traceback (most recent call last):
  File "checkov/common/checks/base_check.py", line 75, in run
KeyError: 'role'
LOG
echo '{"check_type": "terraform_plan", "results": {"failed_checks": [], "passed_checks": []}, "summary": {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 21}}'
exit 0"""


@pytest.mark.parametrize("body, why", [
    (CRASH_SILENT, "a check that failed to run"),
    ("echo 'Segmentation fault' >&2\nexit 139", "exit code 139"),
])
def test_checkov_crash_fails_closed(pipeline_dir: Path, tmp_path: Path, monkeypatch, capsys, body, why):
    _fake_checkov(tmp_path, body, monkeypatch)
    assert _check(pipeline_dir, "--format", "json") == 0        # clean without checkov
    capsys.readouterr()
    assert _check(pipeline_dir, "--format", "json", "--checkov") == 1
    out = _json(capsys)
    fails = [f for f in out["findings"] if f["rule_id"] == "LG-CHECKOV-001"]
    assert len(fails) >= 1 and any(why in f["message"] for f in fails)
    assert fails[0]["source"] == "checkov" and fails[0]["address"] == str(PLAN)
    assert out["inputs"]["checkov"]["plan"] == str(PLAN)


FAILED_CHECK = """echo '{"check_type": "terraform_plan", "results": {"failed_checks": [{"check_id": "CKV_AWS_18", "check_name": "Ensure the S3 bucket has access logging enabled", "resource": "aws_s3_bucket.bronze", "resource_address": "aws_s3_bucket.bronze", "check_result": {"result": "FAILED", "evaluated_keys": ["logging"]}, "severity": null, "guideline": null}], "passed_checks": []}, "summary": {"passed": 0, "failed": 1, "skipped": 0, "parsing_errors": 0, "resource_count": 21}}'
exit 1"""


def test_checkov_findings_are_merged_before_suppressions(pipeline_dir: Path, tmp_path: Path,
                                                         monkeypatch, capsys):
    _fake_checkov(tmp_path, FAILED_CHECK, monkeypatch)
    # the fixture's only own finding is a medium LG-CONS-003; accept it so --fail-on low
    # measures the checkov finding alone
    _comment_above(pipeline_dir, 'resource "aws_glue_crawler" "silver" {',
                   "# lakegate:ignore LG-CONS-003 reason: the silver schema never changes")
    assert _check(pipeline_dir, "--format", "json", "--fail-on", "low") == 0
    capsys.readouterr()
    assert _check(pipeline_dir, "--format", "json", "--checkov", "--fail-on", "low") == 1
    out = _json(capsys)
    ckv = [f for f in out["findings"] if f["rule_id"] == "CKV_AWS_18"]
    assert len(ckv) == 1 and ckv[0]["severity"] == "low" and ckv[0]["suppressed"] is None
    _comment_above(pipeline_dir, 'resource "aws_s3_bucket" "bronze" {',
                   "# lakegate:ignore CKV_AWS_18 reason: access logs go to the account trail")
    assert _check(pipeline_dir, "--format", "json", "--checkov", "--fail-on", "low") == 0
    out = _json(capsys)
    ckv = [f for f in out["findings"] if f["rule_id"] == "CKV_AWS_18"]
    assert ckv[0]["suppressed"] == "access logs go to the account trail"
    assert out["summary"]["findings"] == 0 and out["summary"]["suppressed"] == 2


def test_checkov_on_a_state_input_is_exit_2(tmp_path: Path, monkeypatch, capsys):
    _fake_checkov(tmp_path, FAILED_CHECK, monkeypatch)
    data = json.loads(PLAN.read_text())
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"format_version": "1.0", "terraform_version": "1.11.4",
                                 "values": {"root_module": data["planned_values"]["root_module"]}}))
    assert main(["check", str(state), "--checkov"]) == 2
    assert "--checkov needs a plan" in capsys.readouterr().err


def test_checkov_not_executable_is_exit_2(pipeline_dir: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv(ENV_BINARY, str(tmp_path / "missing-checkov"))
    assert _check(pipeline_dir, "--checkov") == 2
    assert ENV_BINARY in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")
def test_directory_input_runs_checkov_on_the_drivers_plan_json(pipeline_dir: Path, tmp_path: Path,
                                                                monkeypatch, capsys):
    argv_file = tmp_path / "argv.txt"
    _fake_checkov(tmp_path, f'printf "%s\\n" "$@" > {argv_file}\n' + FAILED_CHECK, monkeypatch)
    _comment_above(pipeline_dir, 'resource "aws_s3_bucket" "bronze" {',
                   "# lakegate:ignore CKV_AWS_18 reason: access logs go to the account trail")
    assert main(["check", str(pipeline_dir), "--checkov", "--format", "json"]) == 0
    out = _json(capsys)
    # the directory was planned offline and every reference resolved (these two lines were
    # tests/gate/test_slow_terraform.py::test_directory_input_plans_offline_and_resolves, which
    # made another offline plan of the same fixture through the same `lakegate check DIR`)
    assert out["summary"]["resources"] == 21 and out["inputs"]["tf_dir"] == str(pipeline_dir)
    assert not [f for f in out["findings"] if f["rule_id"] == "LG-RESOLVE-001"]
    from lakegate.terraform import TerraformDriver

    plan_json = TerraformDriver(pipeline_dir, target="offline").work_root / "plan.offline.json"
    args = argv_file.read_text().split("\n")
    assert args[args.index("-f") + 1] == str(plan_json) and plan_json.is_file()
    assert not (pipeline_dir / ".lakegate").exists(), "the user's Terraform directory must stay untouched"
    assert out["inputs"]["checkov"]["plan"] == str(plan_json)
    ckv = [f for f in out["findings"] if f["rule_id"] == "CKV_AWS_18"]
    assert ckv and ckv[0]["suppressed"] == "access logs go to the account trail"

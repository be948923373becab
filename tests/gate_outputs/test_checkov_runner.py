"""checkov runner: recorded real checkov output → findings; every untrustworthy run fails closed."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from lakegate.errors import LakegateError
from tf_checks import checkov_runner as cr
from tf_checks.checkov_runner import RULE_CHECKOV_FAILED, parse_checkov_output, run_checkov

FIX = Path(__file__).parent / "fixtures" / "checkov"
PLAN = FIX / "plan.json"
CRASH_CHECK_DIR = FIX / "crash_check"


def _parse(stdout: str, stderr: str = "", rc: int = 1, has_resources: bool | None = True):
    return parse_checkov_output(stdout, stderr, rc, PLAN, plan_has_resources=has_resources)


def _ids(findings) -> list[str]:
    return [f.rule_id for f in findings]


def test_clean_recorded_run_maps_failed_checks() -> None:
    findings = _parse((FIX / "clean_stdout.json").read_text())
    assert RULE_CHECKOV_FAILED not in _ids(findings)
    assert len(findings) == 8
    assert all(f.source == "checkov" for f in findings)
    by = {f.rule_id: f for f in findings}
    assert by["CKV2_AWS_6"].severity == "high"      # public access block: mapped
    assert by["CKV_AWS_18"].severity == "low"       # access logging: mapped
    assert by["CKV_AWS_195"].address == "aws_glue_crawler.bronze"
    assert "security configuration" in by["CKV_AWS_195"].message


def test_unmapped_check_gets_default_and_reported_severity_wins() -> None:
    data = json.loads((FIX / "clean_stdout.json").read_text())
    data["results"]["failed_checks"][0]["check_id"] = "CKV_AWS_999"
    data["results"]["failed_checks"][1]["severity"] = "CRITICAL"
    findings = parse_checkov_output(json.dumps(data), "", 1, PLAN, default_severity="low")
    assert findings[0].severity == "low"
    assert findings[1].severity == "critical"


def test_recorded_crash_of_custom_check_fails_closed() -> None:
    """checkov logs 'Failed to run check' and carries on; the report alone looks fine."""
    stderr = (FIX / "crash_stderr.txt").read_text()
    findings = _parse((FIX / "crash_stdout.json").read_text(), stderr, rc=0)
    problems = [f for f in findings if f.rule_id == RULE_CHECKOV_FAILED]
    assert len(problems) == 1
    assert problems[0].severity == "high"
    assert "Failed to run check CKV_LG_CRASH" in problems[0].message
    assert "KeyError" in problems[0].message
    # the checks that did run are still reported
    assert "CKV2_AWS_6" in _ids(findings)


def test_recorded_unreadable_plan_is_not_a_pass() -> None:
    """checkov exits 0 with an all-zero summary when it cannot read the plan."""
    findings = _parse((FIX / "broken_plan_stdout.json").read_text(), rc=0)
    assert _ids(findings) == [RULE_CHECKOV_FAILED]
    assert "scanned 0 resources" in findings[0].message


def test_empty_report_for_empty_plan_is_fine() -> None:
    assert _parse((FIX / "broken_plan_stdout.json").read_text(), rc=0, has_resources=False) == []


@pytest.mark.parametrize("stdout, stderr, rc, needle", [
    ("", "", 0, "printed nothing"),
    ("Segmentation fault", "", 0, "not JSON"),
    ('{"results": {"failed_checks": []}, "summary": {"resource_count": 3}}', "", 2, "exit code 2"),
    ('{"results": {"failed_checks": []}, "summary": {"resource_count": 3}}', "", -9, "exit code -9"),
    ('{"check_type": "terraform_plan", "results": {"failed_checks": []}, '
     '"summary": {"resource_count": 3}}', "", 1, "exit code 1 without any failed check"),
    ('{"results": {"failed_checks": [], "parsing_errors": ["/plan.json"]}, '
     '"summary": {"parsing_errors": 1, "resource_count": 0}}', "", 0, "could not parse"),
    ('[1, 2]', "", 0, "non-objects"),
    ('"hello"', "", 0, "is a str"),
    ('{"foo": 1}', "", 0, "not a checkov report"),
    ('{"results": {"failed_checks": [{"check_name": "x"}]}, "summary": {"resource_count": 1}}', "", 1,
     "no check_id"),
    ('{"results": {"failed_checks": []}, "summary": {"resource_count": 3}}',
     "2026 [ERROR]  Failed to run check CKV_X on /plan.json", 0, "failed to run"),
    ('{"results": {"failed_checks": []}, "summary": {"resource_count": 3}}',
     "Traceback (most recent call last):\n  File x\nValueError: bad", 0, "crash"),
    ("oops\nTraceback (most recent call last):\nRuntimeError", "", 0, "crash"),
])
def test_fail_closed_cases(stdout: str, stderr: str, rc: int, needle: str) -> None:
    findings = _parse(stdout, stderr, rc)
    problems = [f for f in findings if f.rule_id == RULE_CHECKOV_FAILED]
    assert problems, findings
    assert any(needle in p.message for p in problems), [p.message for p in problems]
    assert all(p.severity == "high" for p in problems)


def test_plan_strings_inside_json_report_do_not_trigger_crash_detection() -> None:
    data = json.loads((FIX / "clean_stdout.json").read_text())
    data["results"]["failed_checks"][0]["code_block"] = [[1, "Traceback (most recent call last) [ERROR]"]]
    assert RULE_CHECKOV_FAILED not in _ids(_parse(json.dumps(data)))


def test_multi_framework_list_report() -> None:
    one = json.loads((FIX / "clean_stdout.json").read_text())
    findings = _parse(json.dumps([one, one]))
    assert len(findings) == 16 and RULE_CHECKOV_FAILED not in _ids(findings)


def test_ansi_escapes_are_stripped_from_excerpts() -> None:
    findings = _parse("\x1b[31mnot json\x1b[0m", "", 0)
    assert "\x1b" not in findings[0].message and "not json" in findings[0].message


def _fake_checkov(tmp_path: Path, stdout_file: Path, stderr: str, rc: int) -> Path:
    script = tmp_path / "checkov"
    (tmp_path / "err.txt").write_text(stderr)
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/args\ncat {stdout_file}\n"
                      f"cat {tmp_path}/err.txt >&2\nexit {rc}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_run_checkov_with_env_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_checkov(tmp_path, FIX / "crash_stdout.json", (FIX / "crash_stderr.txt").read_text(), 0)
    monkeypatch.setenv(cr.ENV_BINARY, str(fake))
    findings = run_checkov(PLAN, external_checks_dir=tmp_path, checks=["CKV_LG_CRASH"])
    assert findings[0].rule_id == RULE_CHECKOV_FAILED
    args = (tmp_path / "args").read_text().split()
    assert args[:6] == ["-f", str(PLAN), "--framework", "terraform_plan", "-o", "json"]
    assert "--external-checks-dir" in args and "CKV_LG_CRASH" in args


def test_run_checkov_timeout_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "checkov"
    script.write_text("#!/bin/sh\nexec sleep 5\n")
    script.chmod(0o755)
    monkeypatch.setenv(cr.ENV_BINARY, str(script))
    findings = run_checkov(PLAN, timeout=0.5)
    assert _ids(findings) == [RULE_CHECKOV_FAILED] and "did not finish" in findings[0].message


def test_bad_env_binary_and_missing_plan_are_clear_errors(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(cr.ENV_BINARY, str(tmp_path / "nope"))
    with pytest.raises(LakegateError, match="LAKEGATE_CHECKOV"):
        run_checkov(PLAN)
    with pytest.raises(LakegateError, match="plan file"):
        run_checkov(tmp_path / "missing.json")


def test_checkov_env_is_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setenv("VIRTUAL_ENV", "/work/main/.venv")
    env = cr.checkov_env()
    assert "PYTHONPATH" not in env and "VIRTUAL_ENV" not in env
    assert env["BC_SKIP_MAPPING"] == "TRUE"


def _fake_uv(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for uv that records its arguments and makes what the real one would make."""
    log = tmp_path / "uv-calls.jsonl"
    uv = tmp_path / "uv"
    uv.write_text(f"""#!{sys.executable}
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open({str(log)!r}, "a") as fh:
    fh.write(json.dumps(args) + "\\n")
if args[0] == "venv":
    bin_dir = Path(args[-1]) / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(sys.executable, bin_dir / "python")
elif args[:2] == ["pip", "install"]:
    exe = Path(args[args.index("--python") + 1]).parent / "checkov"
    exe.write_text("#!/bin/sh\\necho 3.3.30\\n")
    exe.chmod(0o755)
""")
    uv.chmod(uv.stat().st_mode | stat.S_IXUSR)
    return uv, log


def test_checkov_venv_is_made_with_uv_when_it_is_there(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(cr.ENV_BINARY, raising=False)
    uv, log = _fake_uv(tmp_path)
    monkeypatch.setattr(cr, "find_uv", lambda: str(uv))
    venv = tmp_path / "venv-checkov"
    binary = cr.ensure_checkov(venv)
    assert binary == venv / "bin" / "checkov" and binary.is_file()
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c[:2] for c in calls] == [["venv", "-q"], ["pip", "install"]]
    assert calls[0][-1] == str(venv) and "--python" in calls[0]
    assert calls[1][-1] == cr.CHECKOV_SPEC and str(venv / "bin" / "python") in calls[1]
    assert (venv / ".lakegate-checkov-ok").read_text().strip() == cr.CHECKOV_SPEC
    # complete: the next gate run installs nothing
    assert cr.ensure_checkov(venv) == binary
    assert len(log.read_text().splitlines()) == 2


def test_checkov_install_steps_without_uv_are_venv_and_pip(tmp_path: Path) -> None:
    steps = cr.install_steps(tmp_path / "v", "/usr/bin/python3", None)
    assert steps[0] == ["/usr/bin/python3", "-m", "venv", str(tmp_path / "v")]
    assert steps[1][:4] == [str(tmp_path / "v" / "bin" / "python"), "-m", "pip", "install"]
    assert steps[1][-1] == cr.CHECKOV_SPEC


def test_a_failing_uv_install_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(cr.ENV_BINARY, raising=False)
    uv = tmp_path / "uv"
    uv.write_text("#!/bin/sh\necho 'error: Failed to fetch: checkov' >&2\nexit 2\n")
    uv.chmod(0o755)
    monkeypatch.setattr(cr, "find_uv", lambda: str(uv))
    with pytest.raises(LakegateError) as err:
        cr.ensure_checkov(tmp_path / "v")
    assert "exit 2" in err.value.what and "Failed to fetch" in err.value.what
    assert not (tmp_path / "v" / ".lakegate-checkov-ok").exists()


@pytest.mark.slow
def test_real_checkov_run_and_crashing_custom_check() -> None:
    """One real run in the isolated venv (installed on demand); skipped when it cannot be had."""
    if os.environ.get(cr.ENV_BINARY) is None:
        try:
            cr.ensure_checkov()
        except LakegateError as err:
            pytest.skip(f"checkov cannot be installed here: {err.what}")
        # an isolated venv: no system site-packages (checkov pins its own boto3)
        cfg = (cr.default_venv() / "pyvenv.cfg").read_text()
        assert "include-system-site-packages = false" in cfg, cfg
    clean = run_checkov(PLAN, timeout=300)
    assert RULE_CHECKOV_FAILED not in _ids(clean), [f.message for f in clean]
    assert {"CKV2_AWS_6", "CKV_AWS_18"} <= set(_ids(clean))
    crashed = run_checkov(PLAN, external_checks_dir=CRASH_CHECK_DIR, timeout=300)
    assert RULE_CHECKOV_FAILED in _ids(crashed)
    assert "CKV_LG_CRASH" in next(f for f in crashed if f.rule_id == RULE_CHECKOV_FAILED).message


def test_merge_checkov_then_suppress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tf_checks.findings import CheckResult, Finding
    from tf_checks.output import junit
    from tf_checks.suppress import apply_suppressions

    fake = _fake_checkov(tmp_path, FIX / "clean_stdout.json", "", 1)
    monkeypatch.setenv(cr.ENV_BINARY, str(fake))
    base = CheckResult([Finding("LG-IAM-001", "high", "aws_glue_crawler.bronze", "m")], resources=5)
    merged = cr.merge_checkov(base, PLAN)
    assert len(merged.findings) == 9 and merged.inputs["checkov"]["findings"] == 8
    assert len(base.findings) == 1  # not mutated
    bl = tmp_path / "baseline.json"
    bl.write_text(json.dumps([{"rule_id": "CKV2_AWS_6", "address": "aws_s3_bucket.bronze",
                               "reason": "public access blocked at the account level"}]))
    final = apply_suppressions(merged, None, bl)
    ckv6 = next(f for f in final.findings if f.rule_id == "CKV2_AWS_6")
    assert ckv6.suppressed == "public access blocked at the account level"
    assert "lakegate-check.checkov" in junit.render(final)

"""Nothing secret leaves: a planted credential, session token and account id reach neither the
report directory, nor the console (the scenario output streamed to the CI log, the smoke summary,
recover and diagnose), and the plan given with --plan is never copied next to the reports."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from lakegate import evidence, smoke
from lakegate.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "lakegate" / "scenarios"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"      # 40 chars, the shape of a secret key
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEtokenVALUE0123456789abcdefXYZ"
ACCOUNT = "210987654321"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/bronze-crawler-role"
PLAN_SECRET = "db-password-Sup3rS3cret!"


@pytest.fixture
def planted(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LAKEGATE_CONFIG", raising=False)
    monkeypatch.setenv("LAKEGATE_LOCAL_STATE", str(tmp_path / "user-state" / "state.json"))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    return tmp_path


def _assert_clean(text: str, where: str) -> None:
    for needle in (SECRET_KEY, SESSION_TOKEN, ACCOUNT, PLAN_SECRET):
        assert needle not in text, f"{needle[:12]}… leaked into {where}"


def _leaky_scenarios(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    """A real child process standing in for the scenarios: it prints the secrets (as a boto3 debug
    line or a failing assertion would) and records evidence holding them; the real streaming
    runner carries its output to our console."""
    report_dir = cmd[cmd.index("--lakegate-report-dir") + 1]
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from lakegate import evidence, checklist\n"
        f"print('assuming {ROLE_ARN} with secret {SECRET_KEY} token {SESSION_TOKEN}')\n"
        f"print('account {ACCOUNT} password={PLAN_SECRET}')\n"
        "for it in checklist.ITEMS:\n"
        f"    evidence.append(Path({report_dir!r}), evidence.Record(item_id=it.id, scenario=it.id, status='PASS',\n"
        f"        evidence={{'role': {ROLE_ARN!r}, 'account_id': {ACCOUNT!r}, 'note': 'key {SECRET_KEY}'}},\n"
        f"        failure='aws_secret_access_key={SECRET_KEY}'))\n"
    )
    return smoke.subprocess_runner([sys.executable, "-c", code], env)


def test_no_secret_reaches_the_reports_or_the_console(planted, capsys):
    plan = planted / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "resource_changes": [], "variables": {
        "db_password": {"value": PLAN_SECRET}}}))
    opts = smoke.SmokeOptions(report_dir=planted / "reports", plan=plan)
    res = smoke.run_smoke(opts, runner=_leaky_scenarios, repo=SCENARIOS, git=lambda r: None)
    print(smoke.render_summary(res))
    out = capsys.readouterr()
    assert "assuming arn:aws:iam::************:role/bronze-crawler-role" in out.out   # it did stream, masked
    _assert_clean(out.out + out.err, "the console")
    files = [p for p in res.report_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= set(smoke.REPORT_FILES)
    for path in files:
        _assert_clean(path.read_text(errors="replace"), str(path))
        assert path.name != "plan.json"
    rec = evidence.load(res.report_dir)[0]
    assert rec.evidence["account_id"] == "************" and "************" in rec.evidence["role"]


def test_the_smoke_command_masks_its_summary(planted, monkeypatch, capsys):
    real = smoke.run_smoke
    monkeypatch.setattr(smoke, "run_smoke", lambda opts: real(opts, runner=_leaky_scenarios, repo=SCENARIOS,
                                                              git=lambda r: None))
    (planted / "reports").mkdir()
    main(["smoke", "--report-dir", str(planted / "reports")])
    out = capsys.readouterr()
    _assert_clean(out.out + out.err, "lakegate smoke's console")


def _fake_context(monkeypatch):
    from lakegate import context, diagnosis
    from lakegate.envconfig import Environment

    names = type("Names", (), {"all_jobs": ["silver"], "workflow": "wf"})()
    monkeypatch.setattr(context, "resolve", lambda name: context.Context(
        env=Environment(name="prod", kind="aws"), clients=object(), names=names))
    error = (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/bronze-crawler-role/AWS-Crawler is not authorized to "
             f"perform: glue:BatchGetPartition on resource: arn:aws:glue:us-east-1:{ACCOUNT}:catalog")
    facts = diagnosis.Facts(workflow="wf", run={"run_id": "wr_1", "status": "COMPLETED",
                                                "statistics": {"TotalActions": 6, "FailedActions": 1}},
                            runs=[diagnosis.RunFact("CRAWLER", "bronze-crawler", "FAILED", error)],
                            role_names={"bronze-crawler": "bronze-crawler-role"})
    monkeypatch.setattr(diagnosis, "gather", lambda clients, names, stuck_after_s=0: facts)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_diagnose_prints_no_account_id(planted, monkeypatch, capsys, fmt):
    _fake_context(monkeypatch)
    assert main(["diagnose", "--env", "prod", "--format", fmt]) == 1
    out = capsys.readouterr().out
    assert "P2" in out and "glue:BatchGetPartition" in out
    _assert_clean(out, f"lakegate diagnose --format {fmt}")


def test_recover_prints_no_account_id(planted, monkeypatch, capsys):
    from lakegate import recovery

    _fake_context(monkeypatch)

    def fake_recover(clients, names, env, opts, progress=print):
        progress(f"IAM: still denied for {ROLE_ARN}")
        rep = recovery.RecoveryReport(env="prod")
        rep.add("PASSO 2 crawler bronze-crawler", "failed", f"FAILED: not authorized ({ROLE_ARN})")
        return rep

    monkeypatch.setattr(recovery, "recover", fake_recover)
    for fmt in ("text", "json"):
        assert main(["recover", "--env", "prod", "--format", fmt]) == 1
        out = capsys.readouterr()
        assert "bronze-crawler-role" in out.out
        _assert_clean(out.out + out.err, f"lakegate recover --format {fmt}")


def test_the_masking_would_catch_a_leak(planted):
    """The checks above can fail: unmasked text does contain the planted values."""
    with pytest.raises(AssertionError):
        _assert_clean(f"role {ROLE_ARN}", "a test string")
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == SECRET_KEY


def test_an_id_that_merely_contains_twelve_digits_is_not_an_account_id():
    from lakegate.masking import mask_text

    run_id = "wr_de369ccbb5ef48e29edc35bad58c45e759f123456789012b98025a9c0ff09895"
    assert mask_text(run_id) == run_id
    assert mask_text(f"bucket logs_{ACCOUNT} and account {ACCOUNT}") == "bucket logs_************ and account ************"

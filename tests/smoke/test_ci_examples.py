"""The example CI files parse, wire the gate and post-deploy stages as documented, and call only
lakegate commands and flags that exist (each call is parsed by the real CLI parser)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from lakegate.cli import build_parser

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (it normally comes with moto)")

CI = Path(__file__).resolve().parents[2] / "ci-examples"
SHELL_OPS = {"||", "&&", "|", ">", ">>", ";"}


def _load(name: str) -> dict:
    doc = yaml.safe_load((CI / name).read_text())
    assert isinstance(doc, dict)
    return doc


def _lakegate_calls(lines: list[str]) -> list[list[str]]:
    calls = []
    for line in lines:
        for raw in line.splitlines():
            text = raw.strip()
            if not text.startswith("lakegate "):
                continue
            tokens = shlex.split(text, comments=True)
            for i, tok in enumerate(tokens):
                if tok in SHELL_OPS:
                    tokens = tokens[:i]
                    break
            calls.append(tokens)
    return calls


def _github_runs(doc: dict, job: str) -> list[str]:
    return [step["run"] for step in doc["jobs"][job]["steps"] if "run" in step]


def _gitlab_script(doc: dict, job: str) -> list[str]:
    return list(doc[job]["script"])


def _assert_parses(call: list[str]) -> None:
    parser = build_parser()
    try:
        args = parser.parse_args(call[1:])
    except SystemExit as exc:  # argparse rejected it
        pytest.fail(f"not a valid lakegate command line: {' '.join(call)} (exit {exc.code})")
    assert getattr(args, "func", None) is not None, call


def test_github_actions_jobs():
    doc = _load("github-actions.yml")
    triggers = doc.get("on", doc.get(True))       # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert set(doc["jobs"]) == {"gate", "post-deploy"}
    gate, post = doc["jobs"]["gate"], doc["jobs"]["post-deploy"]
    assert "pull_request" in gate["if"] and "refs/heads/main" in post["if"]
    assert gate["permissions"]["security-events"] == "write"

    gate_calls = _lakegate_calls(_github_runs(doc, "gate"))
    assert ["lakegate", "plan", "terraform", "--target", "aws", "--out", "plan.json"] in gate_calls
    check = next(c for c in gate_calls if c[:2] == ["lakegate", "check"] and "sarif" in c)
    assert check[check.index("--out") + 1] == "lakegate.sarif"
    assert check[check.index("--recovery-plan") + 1] == "recovery-plan.json"
    assert check[check.index("--tf-dir") + 1] == "terraform"
    sarif = next(s for s in gate["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert sarif["with"]["sarif_file"] == "lakegate.sarif" and "always()" in sarif["if"]
    artifact = next(s for s in gate["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    uploaded = artifact["with"]["path"].split()
    assert "recovery-plan.json" in uploaded and "plan.json" not in uploaded   # a plan can hold secrets

    post_calls = _lakegate_calls(_github_runs(doc, "post-deploy"))
    assert ["lakegate", "smoke", "--env", "prod", "--report-dir", "reports", "--gate-result", "gate.json"] in post_calls
    gate_again = next(c for c in post_calls if c[:2] == ["lakegate", "check"])
    assert gate_again[gate_again.index("--out") + 1] == "gate.json" and "json" in gate_again
    summary = next(s for s in post["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert "reports/signoff.md" in summary["run"] and summary["if"] == "always()"
    upload = next(s for s in post["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "reports/" and upload["if"] == "always()"
    junit = next(s for s in post["steps"] if "junit" in s.get("uses", ""))
    assert junit["with"]["report_paths"] == "reports/junit.xml"
    # the smoke step comes after the apply and before the always() reporting steps
    names = [s.get("name", "") for s in post["steps"]]
    assert names.index("Terraform apply") < names.index("lakegate smoke (exit 0 only on GO)")


def test_gitlab_ci_stages():
    doc = _load("gitlab-ci.yml")
    assert doc["stages"] == ["gate", "deploy", "smoke"]
    assert doc["gate"]["stage"] == "gate" and doc["deploy"]["stage"] == "deploy" and doc["smoke"]["stage"] == "smoke"
    assert "lakegate.sarif" in doc["gate"]["artifacts"]["paths"]
    assert "recovery-plan.json" in doc["gate"]["artifacts"]["paths"]
    assert doc["gate"]["artifacts"]["reports"]["junit"] == "gate-junit.xml"
    assert doc["gate"]["script"][-1] == "exit $status"      # the gate's exit code decides
    assert doc["smoke"]["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert doc["smoke"]["artifacts"]["paths"] == ["reports/"] and doc["smoke"]["artifacts"]["when"] == "always"
    assert ["lakegate", "smoke", "--env", "prod", "--report-dir", "reports", "--gate-result", "gate.json"] in \
        _lakegate_calls(_gitlab_script(doc, "smoke"))
    assert "gate.json" in doc["gate"]["artifacts"]["paths"]
    assert "deploy" in doc["smoke"]["needs"]


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_lakegate_call_is_a_valid_command_line(name):
    doc = _load(name)
    if name.startswith("github"):
        lines = [run for job in doc["jobs"] for run in _github_runs(doc, job)]
    else:
        lines = [line for key, job in doc.items() if isinstance(job, dict) and "script" in job
                 for line in job["script"]]
    calls = _lakegate_calls(lines)
    assert len(calls) >= 4
    for call in calls:
        _assert_parses(call)


def test_the_call_extractor_would_catch_a_bad_flag():
    calls = _lakegate_calls(["lakegate smoke --environment prod || true"])
    assert calls == [["lakegate", "smoke", "--environment", "prod"]]
    with pytest.raises(pytest.fail.Exception):
        _assert_parses(calls[0])

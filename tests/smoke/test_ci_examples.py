"""The example CI files are valid GitHub workflow / GitLab CI documents (check-jsonschema with the
schemas it vendors), deploy exactly the plan they gated, install the package (not the checkout),
keep plans out of artifacts, and call only lakegate commands and flags that exist (each call is
parsed by the real CLI parser)."""

from __future__ import annotations

import shlex
import subprocess
import sys
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
    assert ["lakegate", "smoke", "--env", "prod", "--plan", "plan.json", "--report-dir", "reports",
            "--gate-result", "gate.json"] in post_calls
    gate_again = next(c for c in post_calls if c[:2] == ["lakegate", "check"])
    assert gate_again[gate_again.index("--out") + 1] == "gate.json" and "json" in gate_again
    assert gate_again[2] == "plan.json"
    _assert_deploys_what_was_gated(_github_runs(doc, "post-deploy"))
    summary = next(s for s in post["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert "reports/signoff.md" in summary["run"] and summary["if"] == "always()"
    upload = next(s for s in post["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "reports/" and upload["if"] == "always()"
    junit = next(s for s in post["steps"] if "junit" in s.get("uses", ""))
    assert junit["with"]["report_paths"] == "reports/junit.xml"
    # the smoke step comes after the apply and before the always() reporting steps
    names = [s.get("name", "") for s in post["steps"]]
    assert names.index("Terraform apply (exactly the gated plan file)") < names.index("lakegate smoke (exit 0 only on GO)")
    for job in doc["jobs"].values():
        for step in job["steps"]:
            paths = str(step.get("with", {}).get("path", "")).split()
            assert not {"plan.json", "tfplan", "terraform/tfplan"} & set(paths), step   # never an artifact


def test_gitlab_ci_stages():
    doc = _load("gitlab-ci.yml")
    assert doc["stages"] == ["gate", "release"]
    assert doc["gate"]["stage"] == "gate" and doc["release"]["stage"] == "release"
    assert "lakegate.sarif" in doc["gate"]["artifacts"]["paths"]
    assert "recovery-plan.json" in doc["gate"]["artifacts"]["paths"]
    assert doc["gate"]["artifacts"]["reports"]["junit"] == "gate-junit.xml"
    assert doc["gate"]["script"][-1] == "exit $status"      # the gate's exit code decides
    release = doc["release"]
    assert release["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert release["artifacts"]["paths"] == ["reports/"] and release["artifacts"]["when"] == "always"
    assert ["lakegate", "smoke", "--env", "prod", "--plan", "plan.json", "--report-dir", "reports",
            "--gate-result", "gate.json"] in _lakegate_calls(_gitlab_script(doc, "release"))
    _assert_deploys_what_was_gated(_gitlab_script(doc, "release"))
    for job in doc.values():
        if isinstance(job, dict) and "artifacts" in job:
            assert not {"plan.json", "tfplan", "terraform/tfplan"} & set(job["artifacts"].get("paths", [])), job


def _assert_deploys_what_was_gated(lines: list[str]) -> None:
    """plan -out FILE, then show -json FILE > plan.json, lakegate check plan.json, apply FILE (no
    auto-approve re-plan), then smoke --plan plan.json — in this order."""
    cmds = [c.strip() for line in lines for c in line.splitlines() if c.strip() and not c.strip().startswith("#")]

    def first(pred) -> int:
        return next(i for i, c in enumerate(cmds) if pred(c))

    plan = first(lambda c: " plan " in c and "-out=tfplan" in c)
    show = first(lambda c: "show -json tfplan > plan.json" in c)
    check = first(lambda c: c.startswith("lakegate check plan.json"))
    apply = first(lambda c: " apply " in c)
    smoke = first(lambda c: c.startswith("lakegate smoke") and "--plan plan.json" in c)
    assert plan < show < check < apply < smoke, cmds
    assert cmds[apply].endswith(" tfplan") and "-auto-approve" not in cmds[apply], cmds[apply]


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_lakegate_is_installed_as_a_package_not_from_the_checkout(name):
    text = (CI / name).read_text()
    assert "pip install -e" not in text and "pip install ." not in text
    assert 'pip install "$LAKEGATE_PACKAGE"' in text


@pytest.mark.parametrize("name, schema", [("github-actions.yml", "vendor.github-workflows"),
                                          ("gitlab-ci.yml", "vendor.gitlab-ci")])
def test_the_examples_are_valid_against_the_ci_schemas(name, schema):
    out = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(CI / name)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_schema_check_catches_an_invalid_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 1\n        uses: a/b@v1\n"
                   "    timeout-minutes: soon\n")
    out = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                          str(bad)], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0


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

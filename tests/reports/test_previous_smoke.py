"""`lakegate smoke --previous DIR`: the earlier report is read before the run clears the directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakegate import evidence, smoke
from lakegate.errors import LakegateError
from lakegate.reports.glance import PREVIOUS_FILE

REPO = Path(__file__).resolve().parents[2]


def _runner(statuses: dict[str, str]):
    def run(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
        report_dir = Path(cmd[cmd.index("--lakegate-report-dir") + 1])
        for item_id, status in statuses.items():
            evidence.append(report_dir, evidence.Record(
                item_id=item_id, scenario=f"scenario {item_id}", status=status, started=1.0, finished=2.0,
                failure="AssertionError: run COMPLETED with 1 failed action(s)" if status == "FAIL" else ""))
        return (1 if "FAIL" in statuses.values() else 0), ""
    return run


def _smoke(report_dir: Path, statuses: dict[str, str], previous: Path | None = None) -> smoke.SmokeResult:
    opts = smoke.SmokeOptions(report_dir=report_dir, previous=previous)
    return smoke.run_smoke(opts, runner=_runner(statuses), repo=REPO, git=lambda repo: "abc123")


def test_previous_may_be_the_report_directory_itself(tmp_path):
    reports = tmp_path / "reports"
    first = _smoke(reports, {"FV1": "FAIL", "FV8": "PASS"})
    assert first.decision == "NO-GO"
    second = _smoke(reports, {"FV1": "PASS", "FV8": "FAIL"}, previous=reports)
    md = (reports / "signoff.md").read_text()
    assert second.decision == "NO-GO"
    assert "- **now passing**: FV1 FAIL → PASS" in md and "- **now failing**: FV8 PASS → FAIL" in md
    assert "FV1 PASS → FAIL" not in md
    # a later run without --previous compares with nothing (no stale earlier report is kept)
    _smoke(reports, {"FV1": "PASS"})
    assert not (reports / PREVIOUS_FILE).exists()
    assert "Changes since" not in (reports / "signoff.md").read_text()


def test_previous_without_an_earlier_report_is_unusable_input_before_anything_runs(tmp_path):
    calls = []
    with pytest.raises(LakegateError) as err:
        smoke.run_smoke(smoke.SmokeOptions(report_dir=tmp_path / "r", previous=tmp_path / "nothing"),
                        runner=lambda cmd, env: calls.append(cmd) or (0, ""), repo=REPO, git=lambda repo: None)
    assert err.value.where == "--previous" and not calls

"""One end-to-end run of ``lakegate smoke`` against the embedded local AWS (slow: deploys terraform/)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lakegate import checklist, localenv, smoke

REPO = Path(__file__).resolve().parents[2]


class _Table(HTMLParser):
    """Collects the cells of every table row of signoff.html (and the tags seen)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: set[str] = set()
        self._row: list[str] | None = None
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._row.append("")
            self._in_cell = True

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_cell = False
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_cell and self._row:
            self._row[-1] += data


@pytest.mark.slow
def test_smoke_against_the_local_aws(tmp_path):
    user_state = tmp_path / "user-local" / "state.json"
    env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(user_state), CHECKPOINT_DISABLE="1")
    env.pop("LAKEGATE_CONFIG", None)
    env.pop("PYTEST_ADDOPTS", None)
    out = subprocess.run([sys.executable, "-m", "lakegate", "smoke", "-m", "BA4 or FV5", "--report-dir", "tmp"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    report_dir = tmp_path / "tmp"
    detail = f"exit {out.returncode}\nstdout tail:\n{out.stdout[-4000:]}\nstderr tail:\n{out.stderr[-4000:]}"

    # no local AWS server of this run is left running, whatever the outcome
    meta = json.loads((report_dir / "meta.json").read_text()) if (report_dir / "meta.json").exists() else {}
    endpoint = meta.get("endpoint")
    assert endpoint, f"the run recorded no local AWS endpoint\n{detail}"
    assert localenv.health(endpoint, timeout=1.0) is None, f"a local AWS still answers at {endpoint}"
    log = report_dir / "local-aws.log"
    pids = [int(p) for p in re.findall(r"\(pid (\d+)", log.read_text())] if log.exists() else []
    for pid in pids:
        assert not (localenv.pid_alive(pid) and localenv.pid_is_localaws(pid)), f"local AWS pid {pid} still runs"
    assert not user_state.exists(), "smoke touched the user's local AWS state file"

    # Two items ran and passed; the other 25 did not run and nothing waives them: a partial run is
    # never a sign-off (GO needs every applicable item PASSED).
    assert out.returncode == 1, detail
    assert "lakegate smoke: NO-GO" in out.stdout and "blocking: FV1 did not run" in out.stdout
    for name in smoke.REPORT_FILES:
        assert (report_dir / name).is_file() and (report_dir / name).stat().st_size > 0, name
        assert str(report_dir / name) in out.stdout

    page = _Table()
    page.feed((report_dir / "signoff.html").read_text())
    page.close()
    assert "script" not in page.tags
    by_id = {row[0]: row for row in page.rows if row and row[0] in checklist.BY_ID}
    item_rows = [row for row in page.rows if row and row[0] in checklist.BY_ID]
    assert len(item_rows) == len(checklist.ITEMS) and set(by_id) == set(checklist.BY_ID)
    assert by_id["BA4"][2] == "PASS" and by_id["FV5"][2] == "PASS"
    assert {row[2] for row in item_rows if row[0] not in ("BA4", "FV5")} == {"NOT RUN"}

    assert meta["env"] == "local" and meta["tags"] == "BA4 or FV5" and meta["pytest_exit"] == 0
    assert meta["fault_capable"] is True and meta["waivers"] == {}
    junit = (report_dir / "junit.xml").read_text()
    assert "<testsuite" in junit
    cucumber = json.loads((report_dir / "cucumber.json").read_text())
    assert isinstance(cucumber, list)
    # Each record carries its Gherkin scenario's name, its feature and what its steps recorded.
    consolidated = json.loads((report_dir / "evidence.json").read_text())
    assert consolidated["decision"] == "NO-GO" and len(consolidated["reasons"]) == len(checklist.ITEMS) - 2
    assert all(it["applies"] and not it["rehearsal"] for it in consolidated["items"])   # local: faults can run
    records = {it["id"]: it["records"] for it in consolidated["items"] if it["records"]}
    assert set(records) == {"BA4", "FV5"}
    ba4 = records["BA4"][0]
    assert ba4["scenario"] == "Test data is ready" and ba4["feature"] == "Before apply"
    # BA4 reads the bronze data itself (no lakegate manifest): the layout and rows in a sample file
    assert ba4["evidence"]["partition_keys"] == ["ingest_year", "ingest_month", "ingest_day"]
    assert ba4["evidence"]["sample_rows"] > 0 and not ba4["evidence"]["outside_layout"]
    assert [s["text"] for s in ba4["steps"]][0] == "the deployed pipeline"
    fv5 = records["FV5"][0]
    assert "performance_alerts_log" in fv5["evidence"]
    scenarios = [el["name"] for feat in cucumber for el in feat["elements"]]
    assert sorted(scenarios) == ["Test data is ready", "performance_alerts_log is present"]

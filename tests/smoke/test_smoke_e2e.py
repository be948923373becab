"""One end-to-end run of ``lakegate smoke`` against the embedded local AWS (slow: deploys terraform/)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lakegate import checklist, localenv, smoke
from tests import _background

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
    out = _run_like_a_terminal([sys.executable, "-m", "lakegate", "smoke", "-m", "BA4 or FV5", "--report-dir", "tmp"],
                               cwd=tmp_path, env=env, timeout=1200)
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


def _processes_with(needle: str) -> list[str]:
    """Processes (pid and command line) whose environment or command line contains ``needle``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:   # gone meanwhile, or not ours
            continue
        if needle.encode() in environ or needle.encode() in cmdline:
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")[:200]
            found.append(f"{entry.name}: {command}")
    return found


def _run_like_a_terminal(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run`` in a process group of its own; when this test is interrupted (the lane's
    SIGINT, a timeout) the group gets SIGINT, as from a terminal's Ctrl-C (smoke then stops both
    worlds), instead of ``subprocess.run``'s SIGKILL of smoke alone, which would leave its worlds'
    pytest children and local AWS servers running."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


@pytest.mark.slow
def test_full_smoke_in_two_worlds_is_go(tmp_path):
    """The rehearsal as a user runs it: ``lakegate smoke --env local``, no ``-m``, so two worlds
    (P1, P2, P4 in a second local AWS restored from the verified deploy-cache entry, the rest in the
    first), real servers, real terraform. In a background lane (tests/_background.py
    ``SCENARIO_RUN``) this run's verdict per scenario is also what the main session's 27 runbook
    scenario items report (recorded before any assertion here, so a failure below still leaves
    them the run's own verdicts)."""
    mark = f"lakegate-e2e-{os.getpid()}-{time.time_ns()}"
    user_state = tmp_path / "user-local" / "state.json"
    scratch = tmp_path / "tmpdir"   # the run's temporary files (its state files, handoff) go here
    scratch.mkdir()
    env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(user_state), CHECKPOINT_DISABLE="1",
               TMPDIR=str(scratch), LAKEGATE_E2E_MARK=mark)
    for key in ("LAKEGATE_CONFIG", "PYTEST_ADDOPTS", _background.CHILD_ENV):
        env.pop(key, None)
    env["LAKEGATE_SMOKE_WORLDS"] = "2"     # the two-world path on any machine (one CPU: split anyway)
    out = _run_like_a_terminal([sys.executable, "-m", "lakegate", "smoke", "--env", "local", "--report-dir", "reports"],
                               cwd=tmp_path, env=env, timeout=1800)
    report_dir = tmp_path / "reports"
    detail = f"exit {out.returncode}\nstdout tail:\n{out.stdout[-6000:]}\nstderr tail:\n{out.stderr[-4000:]}"
    if (report_dir / "evidence.json").is_file():
        _background.record_scenarios(report_dir, out.stdout)

    # nothing of the run is left: no local AWS of either world, no terraform provider, no child
    log = (report_dir / "local-aws.log").read_text() if (report_dir / "local-aws.log").exists() else ""
    servers = re.findall(r"localaws listening on (\S+) \(pid (\d+)", log)
    assert len(servers) == 2, f"expected the two worlds' servers in local-aws.log: {servers}\n{detail}"
    header = smoke.SECOND_LOG_HEADER.format(items=", ".join(smoke.SECOND_WORLD_ITEMS))
    assert log.count(header) == 1 and "run again" not in log, detail
    assert log.index(f"(pid {servers[0][1]}") < log.index(header) < log.index(f"(pid {servers[1][1]}")
    for endpoint, pid in servers:
        assert localenv.health(endpoint, timeout=1.0) is None, f"a local AWS still answers at {endpoint}"
        assert not (localenv.pid_alive(int(pid)) and localenv.pid_is_localaws(int(pid))), f"local AWS pid {pid} still runs"
    assert not _processes_with(mark), f"processes of the run still running: {_processes_with(mark)}"
    assert not _processes_with(str(scratch)), f"processes of the run still running: {_processes_with(str(scratch))}"
    assert not user_state.exists(), "smoke touched the user's local AWS state file"
    assert not list(scratch.glob("lakegate-smoke-*")), "the run left its scratch folder"

    # GO, every item PASS, nothing NOT RUN
    assert out.returncode == 0, detail
    first = out.stdout[out.stdout.index("lakegate smoke: "):].splitlines()[0]
    assert first.startswith("lakegate smoke: GO (") and f"PASS {len(checklist.ITEMS)}," in first, detail
    assert "NOT RUN 0" in first and "FAIL 0" in first, first
    for name in smoke.REPORT_FILES:
        assert (report_dir / name).is_file() and (report_dir / name).stat().st_size > 0, name
        assert str(report_dir / name) in out.stdout
    meta = json.loads((report_dir / "meta.json").read_text())
    assert meta["env"] == "local" and meta["tags"] == "(all)" and meta["pytest_exit"] == 0
    assert meta["endpoint"] == servers[0][0]   # the first world's, as the run recorded it
    consolidated = json.loads((report_dir / "evidence.json").read_text())
    assert consolidated["decision"] == "GO" and consolidated["reasons"] == []
    assert {it["id"]: it["status"] for it in consolidated["items"]} == {i.id: "PASS" for i in checklist.ITEMS}
    records = {it["id"]: it["records"] for it in consolidated["items"]}
    assert all(len(r) == 1 and r[0]["status"] == "PASS" for r in records.values()), records
    page = _Table()
    page.feed((report_dir / "signoff.html").read_text())
    page.close()
    rows = [row for row in page.rows if row and row[0] in checklist.BY_ID]
    assert len(rows) == len(checklist.ITEMS) and {row[2] for row in rows} == {"PASS"}
    cucumber = json.loads((report_dir / "cucumber.json").read_text())
    assert sorted(el["name"] for feat in cucumber for el in feat["elements"]) == \
        sorted(r[0]["scenario"] for r in records.values())

    # SECOND_WORLD_ITEMS (P1, P2, P4) ran in the second world and its evidence was merged (confirmed: not run again)
    assert "ran again in a world of their own" not in out.stdout, detail
    before, marker, after = out.stdout.partition(f"----- the second world ({', '.join(smoke.SECOND_WORLD_ITEMS)}) -----")
    assert marker, detail
    n_second = len(smoke.SECOND_WORLD_ITEMS)
    assert re.search(rf"\b{len(checklist.ITEMS) - n_second} passed, {n_second} deselected\b", before), detail
    assert re.search(rf"\b{n_second} passed, {len(checklist.ITEMS) - n_second} deselected\b", after), detail
    for item_id in smoke.SECOND_WORLD_ITEMS:
        assert records[item_id][0]["status"] == "PASS"

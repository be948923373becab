"""Reports: parseable, self-contained, one row per checklist item, secrets never leak."""

from __future__ import annotations

import json
import re
import threading
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest

from lakegate import checklist, evidence
from lakegate.reports import summarize, write_all

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "987654321098"


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.tags: list[str] = []
        self.attrs_seen: list[tuple[str, str | None]] = []
        self._cell = 0
        self._row: list[str] = []
        self._in_td = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs_seen.extend(attrs)
        if tag == "tr":
            self._row = []
        if tag == "td":
            self._in_td = True
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_td = False
        if tag == "tr" and self._row:
            self.rows.append(self._row[0])

    def handle_data(self, data):
        if self._in_td and self._row:
            self._row[-1] += data


def _record(item_id: str, status: str, **kw) -> evidence.Record:
    return evidence.Record(item_id=item_id, scenario=f"scenario {item_id}", status=status,
                           feature="After apply", started=1.0, finished=2.5, **kw)


@pytest.fixture
def report_dir(tmp_path):
    evidence.write_meta(tmp_path, {"env": "local", "commit": "abc123", "endpoint": "http://127.0.0.1:5000",
                                   "aws_secret_access_key": SECRET})
    evidence.append(tmp_path, _record("FV1", "PASS", evidence={"run_id": "wr_1", "succeeded": 6,
                                                                "role": f"arn:aws:iam::{ACCOUNT}:role/x"}))
    evidence.append(tmp_path, _record("AA1", "FAIL", failure=f"crawler FAILED\nsecret={SECRET}",
                                      evidence={"session_token": SECRET, "state": "READY"}))
    evidence.append(tmp_path, _record("P1", "SKIP", failure="faults can only be injected in the local AWS"))
    return tmp_path


def test_html_has_one_row_per_item_no_script_no_external_links(report_dir):
    summary = write_all(report_dir)
    page = (report_dir / "signoff.html").read_text()
    parser = _Rows()
    parser.feed(page)
    assert parser.rows == [it.id for it in checklist.ITEMS]
    assert "script" not in parser.tags
    assert not re.search(r"https?://(?!127\.0\.0\.1)", page), "no external URL may appear"
    assert not any(k in ("src", "href") for k, _ in parser.attrs_seen)
    assert summary.decision == "NO-GO"
    assert "crawler FAILED" in page


def test_planted_secret_and_account_id_never_appear(report_dir):
    write_all(report_dir)
    for name in ("signoff.html", "signoff.md", "junit.xml", "cucumber.json", "evidence.json", "evidence.jsonl",
                 "meta.json"):
        text = (report_dir / name).read_text()
        assert SECRET not in text, name
        assert ACCOUNT not in text, name


def test_statuses_and_decision(tmp_path):
    evidence.append(tmp_path, _record("FV1", "PASS"))
    evidence.append(tmp_path, _record("FV8", "PASS"))
    summary = summarize(tmp_path)
    status = {it.item.id: it.status for it in summary.items}
    assert status["FV1"] == "PASS" and status["FV2"] == "NOT RUN"
    assert summary.partial
    for it in checklist.ITEMS:          # every item passed: GO (the rule is lakegate.checklist's)
        evidence.append(tmp_path, _record(it.id, "PASS"))
    summary = summarize(tmp_path)
    assert summary.decision == "GO" and not summary.partial
    evidence.append(tmp_path, _record("FV8", "FAIL", failure="gold jobs ran one after the other"))
    assert summarize(tmp_path).decision == "NO-GO"


def test_empty_evidence_is_no_go(tmp_path):
    assert summarize(tmp_path).decision == "NO-GO"


def test_junit_and_cucumber_parse(report_dir):
    write_all(report_dir)
    root = ET.parse(report_dir / "junit.xml").getroot()
    assert root.get("failures") == "1"
    assert int(root.get("tests")) >= len(checklist.ITEMS)
    features = json.loads((report_dir / "cucumber.json").read_text())
    scenarios = [el for f in features for el in f["elements"]]
    assert len(scenarios) == 3
    failed = [s for s in scenarios if s["steps"][-1]["result"]["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["tags"][0]["name"] == "@AA1"


def test_markdown_names_decision_and_failure(report_dir):
    write_all(report_dir)
    md = (report_dir / "signoff.md").read_text()
    assert "NO-GO" in md and "crawler FAILED" in md


def test_parallel_appends_lose_nothing(tmp_path):
    def work(n):
        for i in range(50):
            evidence.append(tmp_path, evidence.Record(item_id="FV1", scenario=f"s{n}-{i}", status="PASS"))
    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(evidence.load(tmp_path)) == 300


def test_corrupt_evidence_is_a_clear_error(tmp_path):
    from lakegate.errors import LakegateError
    (tmp_path / "evidence.jsonl").write_text('{"item_id": "FV1"\n')
    with pytest.raises(LakegateError) as err:
        evidence.load(tmp_path)
    assert "evidence.jsonl:1" in err.value.where

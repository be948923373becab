"""The sentence builders, on the evidence of a real passing run and of a failing one."""

from __future__ import annotations

import re

import pytest

from lakegate import checklist, evidence
from lakegate.reports import ItemResult, summarize
from lakegate.reports.facts import dur, humanize, iso
from lakegate.reports.sentences import Context, item_sentences, record_sentences
from lakegate.reports.view import build

EPOCH = re.compile(r"(?<![\w.])1\d{9}(?:\.\d+)?(?![\w])")
ISO = re.compile(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\b")


def _sentences(report_dir):
    view = build(summarize(report_dir))
    return {v.id: v.sentences for v in view.items}


def test_every_item_of_a_passing_run_reads_in_one_to_three_sentences(passing_dir):
    out = _sentences(passing_dir)
    assert set(out) == {it.id for it in checklist.ITEMS}
    for item_id, sentences in out.items():
        assert 1 <= len(sentences) <= 3, (item_id, sentences)
        for s in sentences:
            assert not EPOCH.search(s), (item_id, s)
            assert s.endswith("."), (item_id, s)
    # the facts that decide each item, in a person's words
    assert re.search(r"Crawler `datalake-pipeline-bronze-car-data-crawler-dev` ran 1\.0 s from " + ISO.pattern
                     + r": READY / SUCCEEDED", out["AA1"][0])
    assert "table `bronze_car_data`, 16 columns, 3 partitions, 2,000 rows" in out["AA1"][1].lower()
    assert "6/6 actions succeeded, 0 failed" in out["FV1"][0] and "COMPLETED after 1.4 s" in out["FV1"][0]
    assert "they overlapped for 0.25 s" in out["FV8"][0]
    assert "OVERHEAT_OIL (10), OVERHEAT_ENGINE (3), SPEEDING_ALERT (14)" in out["FV6"][0]
    assert "(the runbook sleeps a fixed 60 s)" in out["AA3"][0]
    assert "named P2" in out["P2"][0] and out["P2"][2].startswith("Recovered:")


def test_a_failing_item_leads_with_what_failed_then_the_runbook_problem_and_fix(failing_dir):
    out = _sentences(failing_dir)
    fv1 = out["FV1"]
    assert fv1[0].startswith("Failed: AssertionError: run wr_") and "COMPLETED with 1 failed action(s)" in fv1[0]
    assert fv1[1].startswith("Runbook: Sintoma 1") and "Fix: " in fv1[1]
    assert fv1[2] == ("Failed action: `datalake-pipeline-gold-performance-alerts-dev` FAILED: IllegalArgumentException: "
                      "param 'engine_temp_limit' must be a number, got 'very-hot'.")
    assert out["FV5"][0].startswith("Failed: AssertionError: performance_alerts_log is not in the catalog")
    assert out["AA5"][1].startswith("Runbook: PASSO 7")
    # passing items of the same run are unaffected
    assert out["FV8"][0].startswith("Gold jobs ran")


def test_a_failing_record_prefers_the_diagnosis_it_carries():
    rec = evidence.Record(item_id="AA1", scenario="crawler", status="FAIL", started=1_796_251_894.1,
                          finished=1_796_251_895.1, failure="crawler X: READY/FAILED: AccessDenied\nmore",
                          evidence={"problems": [{"id": "P2", "cause": "The role lacks glue:BatchGetPartition",
                                                  "fix": "add glue:BatchGetPartition to the crawler role"}]})
    s = record_sentences("AA1", rec)
    assert s[0] == "Failed: crawler X: READY/FAILED: AccessDenied."
    assert s[1] == "Runbook P2: The role lacks glue:BatchGetPartition. Fix: add glue:BatchGetPartition to the crawler role."


def test_skip_not_run_and_waiver_say_so():
    item = checklist.item("FV8")
    skipped = ItemResult(item, "SKIP", [evidence.Record(item_id="FV8", scenario="gold", status="SKIP",
                                                         failure="protected environment")])
    assert item_sentences(skipped)[0] == "Skipped: protected environment."
    not_run = ItemResult(item, "NOT RUN", [])
    s = item_sentences(not_run, waiver="parallelism checked by the gate only")
    assert s[0].startswith("Not run") and s[-1] == "Waived in lakegate.toml: parallelism checked by the gate only."


def test_unexpected_evidence_shapes_never_break_a_sentence():
    rec = evidence.Record(item_id="FV8", scenario="gold", status="PASS", started=1.0, finished=2.0,
                          evidence={"gold_runs": "not a list", "workflow_run": 7})
    s = record_sentences("FV8", rec, Context())
    assert s and all(isinstance(x, str) for x in s)
    rec = evidence.Record(item_id="AA4", scenario="run", status="PASS", evidence={"workflow_run": {"status": None}})
    assert record_sentences("AA4", rec)


def test_sentences_are_masked():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    rec = evidence.Record(item_id="AA6", scenario="q", status="FAIL", failure=f"denied for arn:aws:iam::123456789012:role/x "
                          f"secret={secret}", evidence={"athena": {"sql": "SELECT 1", "state": "FAILED",
                                                                     "error": "arn:aws:iam::123456789012:role/x"}})
    text = " ".join(record_sentences("AA6", rec))
    assert "123456789012" not in text and secret not in text


@pytest.mark.parametrize("seconds,text", [(0.25, "0.25 s"), (1.02, "1.0 s"), (214.6, "3 min 35 s"),
                                          (3725, "1 h 02 min"), (None, "?")])
def test_durations(seconds, text):
    assert dur(seconds) == text


def test_times_are_iso_utc_and_the_full_evidence_has_no_epoch_numbers():
    assert iso(1_796_251_894.112) == "2026-12-02T22:51:34Z"
    doc = humanize({"started": 1_796_251_894.112, "bytes": 2_000_000_000, "created": 1_796_251_894,
                    "rows": [["x", "1796251894"]]})
    assert doc["started"] == "2026-12-02T22:51:34.112Z" and doc["created"].startswith("2026-12-02T22:51:34")
    assert doc["bytes"] == 2_000_000_000       # a large count is not a time

"""The sign-off page and summary built from real evidence: timeline, data at a glance, gate's part,
changes since an earlier report, rehearsals and waivers, masking, size."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from lakegate import evidence
from lakegate.cli import main
from lakegate.reports import glance, summarize, write_all
from lakegate.reports.view import build

ACTIONS = 6


class _Page(HTMLParser):
    """Counts timeline bars (``<g class="bar action ...">``) and collects tags and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.bars: list[dict[str, str]] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        a = dict(attrs)
        if tag == "g" and "bar" in (a.get("class") or "").split():
            self.bars.append(a)


def _page(report_dir) -> tuple[str, _Page]:
    html = (report_dir / "signoff.html").read_text()
    p = _Page()
    p.feed(html)
    return html, p


def test_reference_page_has_one_bar_per_action_and_recovery_step(passing_dir):
    write_all(passing_dir)
    html, p = _page(passing_dir)
    actions = [b for b in p.bars if "action" in b["class"].split()]
    recovery = [b for b in p.bars if "recovery" in b["class"].split()]
    assert len(actions) == ACTIONS and all(b["data-state"] == "SUCCEEDED" for b in actions)
    assert len(recovery) == 3           # bronze crawl, bookmark resets, IAM wait
    assert "script" not in p.tags and not any(k in ("src", "href") for k, _ in p.attrs)
    assert not re.search(r"https?://(?!127\.0\.0\.1)", html)
    assert len(html.encode()) < 1_000_000
    assert html.count("<details>") == 27   # every item's full evidence, collapsed
    # the runbook's waits beside the timeline, cited
    assert "PASSO 2: Start-Sleep -Seconds 90" in html and "PASSO 4: Start-Sleep -Seconds 60" in html
    # data at a glance
    assert re.search(r"<code>bronze_car_data</code></td><td class=\"num\">16</td><td class=\"num\">3</td>"
                     r"<td class=\"num\">3</td><td class=\"num\">192\.8 KiB</td><td class=\"num\">2,000</td>", html)
    assert 'class="alerts"' in html and "SPEEDING_ALERT: 14" in html


def test_failed_action_is_marked_with_its_error(failing_dir):
    write_all(failing_dir)
    html, p = _page(failing_dir)
    actions = [b for b in p.bars if "action" in b["class"].split()]
    assert len(actions) == 5
    failed = [b for b in actions if b["data-state"] == "FAILED"]
    assert len(failed) == 1 and "failed" in failed[0]["class"].split()
    assert "✖ error: IllegalArgumentException: param &#x27;engine_temp_limit&#x27;" in html
    assert html.index('id="h-failing"') < html.index('id="h-checklist"')      # what failed comes first
    assert "✖ NO-GO" in html


def test_markdown_carries_the_sentences_and_a_mermaid_gantt(passing_dir, failing_dir):
    write_all(passing_dir)
    md = (passing_dir / "signoff.md").read_text()
    block = re.search(r"```mermaid\ngantt\n(.*?)```", md, re.S)
    assert block, md
    tasks = [ln for ln in block.group(1).splitlines() if re.search(r":(done|crit|active), t\d+,", ln)]
    assert len(tasks) == ACTIONS + 3
    assert "they overlapped for 0.25 s" in md
    write_all(failing_dir)
    md = (failing_dir / "signoff.md").read_text()
    assert "## What failed" in md and ":crit, " in md


def test_gate_findings_by_severity_and_recovery_plan_status(passing_dir):
    view = build(summarize(passing_dir))
    assert view.by_severity == {"info": 0, "low": 0, "medium": 0, "high": 0, "critical": 0}
    steps = {s.step: s.status for s in view.plan}
    assert steps["run crawler `datalake-pipeline-bronze-car-data-crawler-dev`"] == "DONE"
    assert steps["wait for IAM propagation"] == "DONE"
    assert steps["run workflow `datalake-pipeline-silver-etl-workflow-dev`"] == "DONE"


def test_findings_with_fix_and_failed_plan_steps(failing_dir):
    recs = [json.loads(x) for x in (failing_dir / "evidence.jsonl").read_text().splitlines()]
    for r in recs:
        if r["item_id"] == "BA2":
            r["evidence"]["findings"] = [
                {"rule_id": "LG-IAM-001", "severity": "high", "address": "aws_iam_role_policy.crawler",
                 "message": "role lacks glue:BatchGetPartition", "fix": "add `glue:BatchGetPartition`"},
                {"rule_id": "LG-WF-002", "severity": "low", "address": "aws_glue_trigger.gold", "message": "m", "fix": ""}]
    (failing_dir / "evidence.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    write_all(failing_dir)
    html = (failing_dir / "signoff.html").read_text()
    assert html.index("LG-IAM-001") < html.index("LG-WF-002")          # by severity
    assert "add <code>glue:BatchGetPartition</code>" in html
    view = build(summarize(failing_dir))
    assert {s.step: s.status for s in view.plan}["run workflow `datalake-pipeline-silver-etl-workflow-dev`"] == "FAILED"


def test_changes_since_a_previous_report(passing_dir, failing_dir, tmp_path):
    write_all(passing_dir)
    assert main(["report", str(failing_dir), "--previous", str(passing_dir)]) == 1
    html = (failing_dir / "signoff.html").read_text()
    assert "tables removed</b>: <code>performance_alerts_log</code>" in html
    assert "FV1 PASS → FAIL" in html
    # and back: failing → passing, a column and a count changed
    write_all(failing_dir)
    recs = [json.loads(x) for x in (passing_dir / "evidence.jsonl").read_text().splitlines()]
    for r in recs:
        if r["item_id"] == "AA5":
            t = r["evidence"]["tables"]["silver_car_telemetry"]
            t["columns"] = t["columns"][1:] + ["new_col"]
            t["partitions"] += 1
    (passing_dir / "evidence.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert main(["report", str(passing_dir), "--previous", str(failing_dir)]) == 0
    ch = build(summarize(passing_dir), glance.read_previous(passing_dir)).changes
    assert ch.tables_added == ["performance_alerts_log"]
    assert "FV1 FAIL → PASS" in ch.fixed and not ch.broken
    assert ch.columns == ["`silver_car_telemetry`: +new_col, −carchassis"]
    assert "`silver_car_telemetry` partitions 3 → 4 (up 1)" in ch.counts


def test_previous_must_be_an_earlier_report(passing_dir, tmp_path, capsys):
    assert main(["report", str(passing_dir), "--previous", str(tmp_path / "nope")]) == 2
    assert "--previous" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "evidence.json").write_text("{not json")
    assert main(["report", str(passing_dir), "--previous", str(tmp_path / "bad")]) == 2
    assert main(["report", str(tmp_path / "bad")]) == 2       # no evidence.jsonl


def test_rehearsals_get_their_own_section_and_waivers_are_shown(tmp_path):
    rec = evidence.Record(item_id="P1", scenario="stale schema", status="SKIP", started=1.0, finished=2.0,
                          failure="faults can only be injected in the local AWS")
    evidence.append(tmp_path, evidence.Record(item_id="FV1", scenario="run", status="PASS"))
    evidence.append(tmp_path, rec)
    # a live environment with a waiver in lakegate.toml, as lakegate smoke records it for the checklist ...
    evidence.write_meta(tmp_path, {"env": "prod", "env_kind": "aws", "fault_capable": False,
                                   "waivers": {"P1": "no fault injection in prod"}})
    summary = summarize(tmp_path)
    for it in summary.items:           # ... and the fields the checklist puts on the records (DESIGN)
        for r in it.records:
            r.rehearsal = it.item.id == "P1"
            r.waiver = "no fault injection in prod" if it.item.id == "P1" else None
    from lakegate.reports import html as html_renderer
    from lakegate.reports import markdown

    page = html_renderer.render(summary)
    assert page.index('id="h-rehearsals"') > page.index('id="h-checklist"')
    section = page[page.index('id="h-rehearsals"'):]
    assert 'id="item-P1"' in section and page.count('id="item-P1"') == 1
    assert "⚑ Waived: no fault injection in prod" in section and '<span class="st SKIP">SKIP</span>' in section
    md = markdown.render(summary)
    assert "## Local rehearsals (not part of this sign-off)" in md and "(waived)" in md


def test_planted_secrets_are_masked_in_every_new_section(passing_dir):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    account = "987654321098"
    recs = [json.loads(x) for x in (passing_dir / "evidence.jsonl").read_text().splitlines()]
    for r in recs:
        if r["item_id"] == "AA5":
            r["evidence"]["tables"]["bronze_car_data"]["location"] = f"s3://b-{account}/x?secret={secret}"
        if r["item_id"] == "AA4":
            r["evidence"]["actions"][0]["error"] = f"arn:aws:iam::{account}:role/r token={secret}"
            r["evidence"]["actions"][0]["state"] = "FAILED"
        if r["item_id"] == "FV6":
            r["evidence"]["athena"]["rows"][0][0] = f"ALERT_{account}"
    (passing_dir / "evidence.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    write_all(passing_dir)
    for name in ("signoff.html", "signoff.md"):
        text = (passing_dir / name).read_text()
        assert secret not in text and account not in text, name


def test_timeline_tolerates_open_actions_and_older_evidence(tmp_path):
    from lakegate.reports import timeline

    t0 = 1_796_251_902.0
    run = {"run_id": "wr_1", "status": "RUNNING", "started": t0, "statistics": {"TotalActions": 2}}
    evidence.append(tmp_path, evidence.Record(item_id="AA4", scenario="run", status="FAIL", started=t0,
                                              finished=t0 + 60, failure="stuck", evidence={
        "workflow_run": run, "actions": [
            {"name": "silver", "type": "JOB", "state": "SUCCEEDED", "started": t0, "finished": t0 + 5},
            {"name": "hang", "type": "JOB", "state": "RUNNING", "started": t0 + 5, "finished": None}]}))
    tl = timeline.build(summarize(tmp_path))
    assert [b.label for b in tl.actions] == ["silver", "hang"] and tl.actions[1].end is None
    chart = timeline.svg(tl)
    assert chart.count('class="bar action') == 2 and "RUNNING open" in chart
    gantt = timeline.mermaid(tl)
    assert "silver SUCCEEDED :done, t0" in gantt and "hang" not in gantt   # Mermaid needs an end: open bars are SVG-only

    older = tmp_path / "older"            # evidence written before AA4 recorded its actions
    evidence.append(older, evidence.Record(item_id="FV8", scenario="gold", status="PASS", evidence={"gold_runs": [
        {"name": "gold_a", "type": "JOB", "state": "SUCCEEDED", "started": t0, "finished": t0 + 2},
        {"name": "gold_b", "type": "JOB", "state": "SUCCEEDED", "started": t0, "finished": t0 + 3}]}))
    tl = timeline.build(summarize(older))
    assert len(tl.actions) == 2 and "only the gold job runs" in tl.partial
    assert timeline.svg(timeline.Timeline(run_id=None, run_state=None)) == ""


def test_the_checklist_decision_is_rendered_not_remade(failing_dir):
    """applies / rehearsal / waiver / reasons come from the checklist's verdict when it offers one."""
    from types import SimpleNamespace

    from lakegate.reports import Summary
    from lakegate.reports import html as html_renderer

    class Verdict:
        reasons = ("FV1 failed", "BA5 did not run (no waiver in lakegate.toml)")

        def outcome(self, item_id):
            return SimpleNamespace(applies=item_id != "S1", rehearsal=item_id == "S1",
                                   waiver="checked by hand" if item_id == "BA1" else None)

    class WithVerdict(Summary):
        verdict = property(lambda self: Verdict())

    base = summarize(failing_dir)
    summary = WithVerdict(meta=base.meta, items=base.items)
    view = build(summary)
    assert view.reasons == list(Verdict.reasons)
    assert [v.id for v in view.rehearsals] == ["S1"]
    page = html_renderer.render(summary)
    assert "NO-GO also because:</p><ul><li>BA5 did not run (no waiver in lakegate.toml)</li></ul>" in page
    assert "<li>FV1 failed</li>" not in page           # FV1 already leads under "What failed"
    assert "⚑ Waived: checked by hand" in page

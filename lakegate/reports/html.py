"""``signoff.html``: one self-contained, printable page a release manager reads in a minute.

No JavaScript, no external resource or link (the SVG charts are inline), semantic headings and
tables, status by text and icon (never colour alone), a print stylesheet (A4 landscape, columns
wrap instead of being cut off). Everything shown is masked (:mod:`lakegate.masking`).
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

from lakegate import checklist
from lakegate.masking import mask, mask_text
from lakegate.reports import Summary, glance
from lakegate.reports.facts import count, dur, humanize, size
from lakegate.reports.timeline import svg as timeline_svg
from lakegate.reports.view import ItemView, View, build

ICON = {"PASS": "✔", "FAIL": "✖", "SKIP": "⊘", "NOT RUN": "–", "WAIVED": "⚑"}
PLAN_ICON = {"DONE": "☑", "NOT NEEDED": "☑", "FAILED": "☒", "NOT RUN": "☐", "SKIPPED": "☐"}

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;
 max-width:1240px;padding:1.2em 1.5em;color:#111;line-height:1.4}
h1{margin:0 0 .3em;font-size:1.6em}h2{margin:1.4em 0 .4em;font-size:1.25em;border-bottom:2px solid #ddd}
h3{font-size:1.05em;margin:1em 0 .3em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em;table-layout:fixed}
th,td{border:1px solid #bbb;padding:.35em .5em;vertical-align:top;text-align:left;font-size:.92em;
 overflow-wrap:anywhere;word-break:break-word}
th{background:#eee}td.num,th.num{text-align:right}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;background:#f2f2f2;padding:0 .2em;
 overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0;font-size:.8em;background:#fafafa;padding:.4em}
.st{font-weight:bold;white-space:nowrap}.st.PASS::before{content:"✔ "}.st.FAIL::before{content:"✖ "}
.st.SKIP::before{content:"⊘ "}.st.NOTRUN::before{content:"– "}
.PASS .st{color:#1b5e20}.FAIL .st{color:#b71c1c}.SKIP .st,.NOTRUN .st{color:#5d4037}
tr.FAIL{background:#fdecec}tr.PASS{background:#f1f9f1}tr.SKIP,tr.NOTRUN{background:#f6f6ee}
.decision{font-size:1.5em;font-weight:bold;padding:.2em .6em;display:inline-block;border-radius:4px;
 border:2px solid #000}
.decision.GO{background:#2e7d32;color:#fff}.decision.NO-GO{background:#c62828;color:#fff}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15em 1em;margin:.6em 0}
dl.facts dt{font-weight:bold}dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.sent{margin:0;padding-left:1.1em}ul.sent li{margin:.1em 0}
details summary{cursor:pointer;color:#333;font-size:.85em}
.waiver{font-weight:bold;color:#5d4037}
.failing{border:2px solid #c62828;padding:.4em 1em;background:#fff6f6}
.tl-wrap{display:block}
figure{margin:0}figcaption{font-size:.85em;color:#444}
svg{max-width:100%;height:auto}
svg text.grp{font-weight:bold}svg tspan.kind{fill:#666;font-size:10px}
ul.plan{list-style:none;padding-left:.2em}ul.plan li{margin:.25em 0}
.sev-critical,.sev-high{color:#b71c1c;font-weight:bold}
small{color:#444}
@page{size:A4 landscape;margin:10mm}
@media print{
 body{max-width:none;padding:0;font-size:9pt}
 h2{break-after:avoid}tr,figure,li{break-inside:avoid}
 details{display:none}
 tr.FAIL,tr.PASS,tr.SKIP,tr.NOTRUN{background:none}
 .decision{background:none!important;color:#000!important}
}
"""


def _e(text: object) -> str:
    return html.escape(mask_text(str(text)), quote=True)


def _rich(text: str) -> str:
    """Escaped sentence with `names` as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _status_cell(v: ItemView) -> str:
    """The status as text (the cell's text is exactly PASS / FAIL / SKIP / NOT RUN, for tools reading
    the page) with its icon drawn by CSS before it; a waiver is shown on the evidence side."""
    return f'<td><span class="st {v.status.replace(" ", "")}">{_e(v.status)}</span></td>'


def _full_evidence(v: ItemView) -> str:
    parts = []
    for rec in v.result.records:
        doc: dict[str, Any] = {"scenario": rec.scenario, "status": rec.status, "feature": rec.feature,
                               "started": rec.started, "finished": rec.finished}
        if rec.steps:
            doc["steps"] = [{"step": f"{s.get('keyword', '').strip()} {s.get('text', '')}".strip(),
                             "status": s.get("status"), "duration": dur(s.get("duration"))} for s in rec.steps]
        doc["evidence"] = rec.evidence
        if rec.failure:
            doc["failure"] = rec.failure
        text = json.dumps(humanize(mask(doc)), indent=1, sort_keys=False, default=str, ensure_ascii=False)
        parts.append(f"<pre>{_e(text)}</pre>")
    if not parts:
        return ""
    return f"<details><summary>Full evidence ({len(parts)} record{'s' if len(parts) != 1 else ''})</summary>" \
           + "".join(parts) + "</details>"


def _item_row(v: ItemView) -> str:
    cls = v.status.replace(" ", "")
    sentences = "".join(f"<li>{_rich(s)}</li>" for s in v.sentences)
    waiver = f'<p class="waiver">{ICON["WAIVED"]} Waived: {_e(v.waiver)}</p>' if v.waiver else ""
    return (f'<tr class="{cls}" id="item-{_e(v.id)}"><td>{_e(v.id)}</td>'
            f"<td>{_e(v.result.item.title)}<br><small><i>{_e(v.result.item.runbook)}</i></small></td>"
            f"{_status_cell(v)}<td><ul class=\"sent\">{sentences}</ul>{waiver}{_full_evidence(v)}</td></tr>")


def _checklist_table(rows: list[ItemView]) -> str:
    return ('<table class="checklist"><colgroup><col style="width:5em"><col style="width:26%">'
            '<col style="width:8.5em"><col></colgroup><thead><tr><th scope="col">Item</th><th scope="col">Check</th>'
            '<th scope="col">Status</th><th scope="col">Evidence</th></tr></thead><tbody>'
            + "".join(_item_row(v) for v in rows) + "</tbody></table>")


def _header(view: View, summary: Summary) -> list[str]:
    meta = summary.meta
    c = summary.counts
    icon = "✔" if summary.decision == "GO" else "✖"
    out = ["<header>", "<h1>lakegate release sign-off</h1>",
           f'<p><span class="decision {summary.decision}" role="status">{icon} {summary.decision}</span>'
           + (f" — partial run: {len(summary.items) - c['NOT RUN']} of {len(summary.items)} items run"
              if summary.partial else "") + "</p>"]
    failing = {v.id for v in view.failing}     # those lead the page under "What failed"
    others = [r for r in view.reasons if r.split(" ", 1)[0] not in failing]
    if others:
        out.append(f"<p>NO-GO {'also ' if failing else ''}because:</p><ul>"
                   + "".join(f"<li>{_rich(r)}</li>" for r in others) + "</ul>")
    facts = [
        ("Environment", f"{meta.get('env', '')}" + (f" ({meta['env_kind']})" if meta.get("env_kind") else "")),
        ("Endpoint", meta.get("endpoint", "")),
        ("Commit", meta.get("commit", "")),
        ("Plan summary", meta.get("plan_summary", "")),
        ("Run", " → ".join(str(x) for x in (meta.get("started"), meta.get("finished")) if x)),
        ("Generated", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())),
        ("Counts", ", ".join(f"{ICON[k]} {k}: {v}" for k, v in c.items())),
    ]
    out.append('<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v) + "</dl>")
    out.append("</header>")
    return out


def _failing(view: View) -> list[str]:
    if not view.failing:
        return []
    out = ['<section class="failing" aria-labelledby="h-failing"><h2 id="h-failing">What failed</h2><ul>']
    for v in view.failing:
        out.append(f"<li><b>{_e(v.id)}</b> {_e(v.result.item.title)}: {_rich(' '.join(v.sentences[:3]))}</li>")
    out.append("</ul></section>")
    return out


def _timeline(view: View) -> list[str]:
    tl = view.timeline
    out = ['<section aria-labelledby="h-timeline"><h2 id="h-timeline">Run timeline</h2>']
    chart = timeline_svg(tl)
    if not chart:
        out.append("<p>No step of this run recorded start and end times.</p></section>")
        return out
    n_par = _parallel_note(view)
    out.append('<div class="tl-wrap"><figure>' + chart + "<figcaption>"
               + _e(f"One bar per recovery step and per action of the workflow run, placed by its start and end "
                    f"(ISO times on hover; relative seconds on the axis). {n_par}{tl.partial}") + "</figcaption></figure>")
    rows = []
    total_run = total_book = 0.0
    for w in tl.waits:
        took = dur(w.took) if w.took is not None else "not run"
        book = f"{w.runbook_s} s" if w.runbook_s is not None else "—"
        if w.took is not None and w.runbook_s is not None:
            total_run += w.took
            total_book += w.runbook_s
        rows.append(f"<tr><td>{_e(w.step)}</td><td class=\"num\">{_e(took)}</td><td class=\"num\">{_e(book)}</td>"
                    f"<td><small>{_e(w.source)}</small></td></tr>")
    rows.append(f"<tr><th scope=\"row\">total (steps with a wait)</th><td class=\"num\"><b>{_e(dur(total_run))}</b>"
                f"</td><td class=\"num\"><b>{_e(dur(total_book))}</b></td><td></td></tr>")
    out.append('<div><h3>Beside it: this run vs. the runbook\'s fixed waits</h3><table class="waits"><colgroup>'
               '<col style="width:28%"><col style="width:8em"><col style="width:8em"><col></colgroup><thead><tr>'
               '<th scope="col">step</th><th scope="col" class="num">this run</th><th scope="col" class="num">runbook</th>'
               '<th scope="col">source</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div></div>")
    out.append("</section>")
    return out


def _parallel_note(view: View) -> str:
    acts = [b for b in view.timeline.actions if b.start is not None and b.end is not None]
    acts = [b for b in acts if b.kind == "job"]

    def overlap(a: Any, b: Any) -> float:
        return min(a.end, b.end) - max(a.start, b.start)

    pairs = [(a, b) for i, a in enumerate(acts) for b in acts[i + 1:]
             if overlap(a, b) > 0.1 * min(a.end - a.start, b.end - b.start)]
    if not pairs:
        return ""
    return "Side by side: " + "; ".join(f"{a.label} + {b.label}" for a, b in pairs[:3]) + ". "


def _data(view: View) -> list[str]:
    out = ['<section aria-labelledby="h-data"><h2 id="h-data">The data at a glance</h2>']
    if view.tables:
        out.append('<table class="tables"><colgroup><col style="width:22%"><col style="width:7em"><col style="width:7em">'
                   '<col style="width:6em"><col style="width:7em"><col style="width:7em"><col></colgroup><thead><tr>'
                   '<th scope="col">table</th><th scope="col" class="num">columns</th>'
                   '<th scope="col" class="num">partitions</th><th scope="col" class="num">objects</th>'
                   '<th scope="col" class="num">bytes</th><th scope="col" class="num">rows</th>'
                   '<th scope="col">location</th></tr></thead><tbody>')
        for name, info in sorted(view.tables.items()):
            cols = glance.ncols(info)
            parts = info.get("partitions")
            keys = info.get("partition_keys") or []
            part_txt = count(parts) if isinstance(parts, int) else ("by " + "/".join(keys) if keys else "—")
            rows = count(info["rows"]) if isinstance(info.get("rows"), int) else "—"
            objs = count(info["objects"]) + ("+" if info.get("objects_truncated") else "") \
                if isinstance(info.get("objects"), int) else "—"
            out.append(f"<tr><td><code>{_e(name)}</code></td><td class=\"num\">{_e(cols if cols is not None else '—')}</td>"
                       f"<td class=\"num\">{_e(part_txt)}</td><td class=\"num\">{_e(objs)}</td>"
                       f"<td class=\"num\">{_e(size(info['bytes']) if isinstance(info.get('bytes'), int) else '—')}</td>"
                       f"<td class=\"num\">{_e(rows)}</td><td><small>{_e(info.get('location') or '')}</small></td></tr>")
        out.append("</tbody></table>")
        out.append("<p><small>Rows are counted by Athena only where that is cheap (columnar files, bounded size); "
                   "— means not counted.</small></p>")
    else:
        out.append("<p>No catalog table facts were recorded in this run (AA5 did not run).</p>")
    out.append('<h3 id="h-alerts">Alerts by type</h3>')
    if view.alerts:
        out.append(glance.alerts_svg(view.alerts))
        out.append("<p><small>From FV6's Athena query (<code>alert_type, COUNT(*)</code> over "
                   "<code>performance_alerts_log</code>): " + _e(", ".join(f"{k} {count(v)}" for k, v in view.alerts))
                   + ".</small></p>")
    else:
        out.append("<p>No alert counts in this run's evidence (FV6 did not return them).</p>")
    out.append('<h3 id="h-changes">What changed since the previous sign-off</h3>')
    ch = view.changes
    if ch is None:
        out.append("<p>No earlier report was given (<code>--previous DIR</code>).</p>")
    elif ch.empty:
        out.append(f"<p>Nothing changed since {_e(ch.previous)}.</p>")
    else:
        out.append(f"<p>Compared with {_e(ch.previous)}:</p><ul>")
        for label, lines in (("tables added", [f"`{t}`" for t in ch.tables_added]),
                             ("tables removed", [f"`{t}`" for t in ch.tables_removed]),
                             ("columns", ch.columns), ("counts", ch.counts),
                             ("✔ now passing (was failing)", ch.fixed), ("✖ now failing (was passing)", ch.broken),
                             ("other status changes", ch.other_status)):
            if lines:
                out.append(f"<li><b>{_e(label)}</b>: {_rich('; '.join(lines))}</li>")
        out.append("</ul>")
    out.append("</section>")
    return out


def _gate(view: View) -> list[str]:
    out = ['<section aria-labelledby="h-gate"><h2 id="h-gate">The gate\'s part</h2>', "<h3>Findings by severity</h3>"]
    if view.by_severity or view.findings:
        sev = ", ".join(f"{k}: {v}" for k, v in view.by_severity.items()) or "not recorded"
        out.append(f"<p>{_e(sev)}.</p>")
    if view.findings:
        out.append('<table class="findings"><colgroup><col style="width:6em"><col style="width:8em"><col style="width:22%">'
                   '<col><col></colgroup><thead><tr><th scope="col">severity</th><th scope="col">rule</th>'
                   '<th scope="col">resource</th><th scope="col">finding</th><th scope="col">fix</th></tr></thead><tbody>')
        for f in view.findings:
            s = str(f.get("severity", ""))
            sup = f" (suppressed: {f['suppressed']})" if f.get("suppressed") else ""
            out.append(f'<tr><td class="sev-{_e(s)}">{_e(s.upper())}</td><td>{_e(f.get("rule_id") or "")}</td>'
                       f'<td><code>{_e(f.get("address") or "")}</code></td><td>{_e(str(f.get("message", "")) + sup)}</td>'
                       f'<td>{_rich(str(f.get("fix") or "—"))}</td></tr>')
        out.append("</tbody></table>")
    elif view.by_severity:
        out.append("<p>✔ No finding.</p>")
    else:
        out.append("<p>The gate's findings were not recorded in this run (BA2 did not run).</p>")
    out.append("<h3>Recovery plan, step by step in this run</h3>")
    if view.plan:
        out.append('<ul class="plan">')
        for st in view.plan:
            why = f" <small>— because {_e(st.why)}</small>" if st.why else ""
            out.append(f"<li>{PLAN_ICON.get(st.status, '☐')} <b>{_e(st.status)}</b> {_rich(st.step)}: "
                       f"{_rich(st.detail)}{why}</li>")
        out.append("</ul>")
    else:
        out.append("<p>No recovery plan in this run's evidence (BA3 did not run).</p>")
    out.append("</section>")
    return out


def render(summary: Summary, previous: dict[str, Any] | None = None) -> str:
    view = build(summary, previous)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>lakegate sign-off: " + _e(summary.decision) + "</title>",
             f"<style>{_CSS}</style></head><body>"]
    parts += _header(view, summary)
    parts.append("<main>")
    parts += _failing(view)
    parts.append('<section aria-labelledby="h-checklist"><h2 id="h-checklist">Checklist</h2>')
    for section, title in checklist.SECTIONS.items():
        rows = [v for v in view.signoff_items if v.result.item.section == section]
        if rows:
            parts.append(f"<h3>{_e(title)}</h3>")
            parts.append(_checklist_table(rows))
    parts.append("</section>")
    parts += _timeline(view)
    parts += _data(view)
    parts += _gate(view)
    if view.rehearsals:
        parts.append('<section aria-labelledby="h-rehearsals"><h2 id="h-rehearsals">Local rehearsals '
                     "(not part of this sign-off)</h2><p>The runbook's problems P1–P5 and Sintoma 1 need injected "
                     "faults, which only the embedded local AWS takes; in this environment they are rehearsed "
                     "locally and shown here for reference.</p>")
        parts.append(_checklist_table(view.rehearsals))
        parts.append("</section>")
    parts.append("</main><footer><p><small>Generated by lakegate from evidence.jsonl; the full evidence of each item "
                 "is under \"Full evidence\" and in evidence.json. Times are UTC. Secrets and account ids are masked."
                 "</small></p></footer></body></html>")
    return "\n".join(parts) + "\n"

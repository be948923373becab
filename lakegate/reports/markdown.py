"""``signoff.md``: the CI job summary (GitHub ``$GITHUB_STEP_SUMMARY`` / GitLab artifacts).

The same sentences as the HTML page, the run timeline as a Mermaid ``gantt`` block (GitHub renders
Mermaid in Markdown), the data at a glance and the gate's part. Everything is masked.
"""

from __future__ import annotations

from typing import Any

from lakegate import checklist
from lakegate.masking import mask_text
from lakegate.reports import Summary
from lakegate.reports.facts import count, dur, size
from lakegate.reports.glance import ncols
from lakegate.reports.timeline import mermaid
from lakegate.reports.view import build

_ICON = {"PASS": "✅", "FAIL": "❌", "SKIP": "⚪", "NOT RUN": "➖"}


def _cell(text: str) -> str:
    return mask_text(text).replace("|", "\\|").replace("\n", " ")


def render(summary: Summary, previous: dict[str, Any] | None = None) -> str:
    view = build(summary, previous)
    c = summary.counts
    lines = [f"# lakegate sign-off: **{summary.decision}**", ""]
    if summary.partial:
        lines += [f"Partial run: {len(summary.items) - c['NOT RUN']} of {len(summary.items)} items run.", ""]
    for reason in view.reasons:
        lines.append(f"- NO-GO because {_cell(reason)}")
    meta = summary.meta
    for key in ("env", "endpoint", "commit", "plan_summary"):
        if meta.get(key):
            lines.append(f"- **{key}**: {_cell(str(meta[key]))}")
    lines.append("- **counts**: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    lines.append("")
    if view.failing:
        lines += ["## What failed", ""]
        for v in view.failing:
            lines.append(f"- ❌ **{v.id}** {_cell(v.result.item.title)}: {_cell(' '.join(v.sentences[:3]))}")
        lines.append("")
    for section, title in checklist.SECTIONS.items():
        rows = [v for v in view.signoff_items if v.result.item.section == section]
        if not rows:
            continue
        lines += [f"## {title}", "", "| item | check | status | evidence |", "|---|---|---|---|"]
        for v in rows:
            status = f"{_ICON[v.status]} {v.status}" + (" (waived)" if v.waiver else "")
            lines.append(f"| {v.id} | {_cell(v.result.item.title)} | {status} | {_cell(' '.join(v.sentences))} |")
        lines.append("")
    chart = mermaid(view.timeline)
    if chart:
        lines += ["## Run timeline", "", chart, ""]
        lines += ["| step | this run | runbook's fixed wait |", "|---|---|---|"]
        for w in view.timeline.waits:
            lines.append(f"| {w.step} | {dur(w.took) if w.took is not None else 'not run'} | "
                         f"{f'{w.runbook_s} s' if w.runbook_s is not None else '—'} |")
        lines.append("")
    if view.tables:
        lines += ["## The data at a glance", "", "| table | columns | partitions | objects | bytes | rows |",
                  "|---|---|---|---|---|---|"]
        for name, info in sorted(view.tables.items()):
            def n(key: str) -> str:
                return count(info[key]) if isinstance(info.get(key), int) else "—"
            lines.append(f"| `{_cell(name)}` | {ncols(info) if ncols(info) is not None else '—'} | {n('partitions')} | "
                         f"{n('objects')} | {size(info['bytes']) if isinstance(info.get('bytes'), int) else '—'} | "
                         f"{n('rows')} |")
        lines.append("")
    if view.alerts:
        lines.append("**Alerts by type**: " + ", ".join(f"{_cell(k)} {count(v)}" for k, v in view.alerts))
        lines.append("")
    if view.changes is not None:
        ch = view.changes
        lines += [f"### Changes since {_cell(ch.previous)}", ""]
        if ch.empty:
            lines.append("Nothing changed.")
        for label, items in (("tables added", [f"`{t}`" for t in ch.tables_added]),
                             ("tables removed", [f"`{t}`" for t in ch.tables_removed]),
                             ("columns", ch.columns), ("counts", ch.counts), ("now passing", ch.fixed),
                             ("now failing", ch.broken), ("other status changes", ch.other_status)):
            if items:
                lines.append(f"- **{label}**: {_cell('; '.join(items))}")
        lines.append("")
    if view.findings or view.plan:
        lines += ["## The gate's part", ""]
        for f in view.findings:
            lines.append(f"- **{_cell(str(f.get('severity', '')).upper())}** {_cell(str(f.get('rule_id') or ''))} "
                         f"`{_cell(str(f.get('address') or ''))}`: {_cell(str(f.get('message', '')))} "
                         f"Fix: {_cell(str(f.get('fix') or '—'))}")
        if view.by_severity and not view.findings:
            lines.append("- No finding.")
        for st in view.plan:
            box = "x" if st.done else " "
            lines.append(f"- [{box}] **{st.status}** {_cell(st.step)}: {_cell(st.detail)}")
        lines.append("")
    if view.rehearsals:
        lines += ["## Local rehearsals (not part of this sign-off)", "", "| item | check | status | evidence |",
                  "|---|---|---|---|"]
        for v in view.rehearsals:
            status = f"{_ICON[v.status]} {v.status}" + (" (waived)" if v.waiver else "")
            lines.append(f"| {v.id} | {_cell(v.result.item.title)} | {status} | {_cell(' '.join(v.sentences))} |")
        lines.append("")
    return "\n".join(lines)

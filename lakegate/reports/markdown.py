"""``signoff.md``: the CI job summary (GitHub ``$GITHUB_STEP_SUMMARY`` / GitLab artifacts)."""

from __future__ import annotations

from lakegate import checklist
from lakegate.masking import mask_text
from lakegate.reports import Summary

_ICON = {"PASS": "✅", "FAIL": "❌", "SKIP": "⚪", "NOT RUN": "➖"}


def _cell(text: str) -> str:
    return mask_text(text).replace("|", "\\|").replace("\n", " ")


def render(summary: Summary) -> str:
    c = summary.counts
    lines = [f"# lakegate sign-off: **{summary.decision}**", ""]
    meta = summary.meta
    for key in ("env", "endpoint", "commit", "plan_summary"):
        if meta.get(key):
            lines.append(f"- **{key}**: {_cell(str(meta[key]))}")
    lines.append(f"- **counts**: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    lines.append("")
    for section, title in checklist.SECTIONS.items():
        rows = [it for it in summary.items if it.item.section == section]
        lines += [f"## {title}", "", "| item | check | status | first failure |", "|---|---|---|---|"]
        for it in rows:
            lines.append(f"| {it.item.id} | {_cell(it.item.title)} | {_ICON[it.status]} {it.status} | "
                         f"{_cell(it.first_failure)} |")
        lines.append("")
    return "\n".join(lines)

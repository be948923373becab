"""Sign-off reports, all rendered from one evidence directory (``evidence.jsonl`` + ``meta.json``).

``write_all(report_dir)`` writes ``signoff.html`` (self-contained, no JavaScript, no external
links, printable), ``signoff.md`` (CI job summary), ``junit.xml``, ``cucumber.json`` and
``evidence.json`` (the consolidated evidence). Every renderer takes the same :class:`Summary`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakegate import checklist, evidence
from lakegate.masking import mask, secrets_read_once


@dataclass
class ItemResult:
    item: checklist.Item
    status: str                     # PASS | FAIL | SKIP | NOT RUN
    records: list[evidence.Record] = field(default_factory=list)

    @property
    def first_failure(self) -> str:
        for rec in self.records:
            if rec.status == "FAIL" and rec.first_failure_line():
                return rec.first_failure_line()
        return ""


@dataclass
class Summary:
    meta: dict[str, Any]
    items: list[ItemResult]

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in evidence.STATUSES}
        for it in self.items:
            out[it.status] += 1
        return out

    @property
    def verdict(self) -> checklist.Decision:
        """The decision of :func:`lakegate.checklist.decide` (the reports never decide themselves)."""
        fault_capable = self.meta.get("fault_capable")
        if not isinstance(fault_capable, bool):
            fault_capable = checklist.fault_capable_kind(self.meta.get("env_kind"))
        return checklist.decide({it.item.id: [r.status for r in it.records] for it in self.items},
                                fault_capable=fault_capable, waivers=self.meta.get("waivers") or {})

    @property
    def decision(self) -> str:
        """GO only when every item that applies to the environment PASSED (or is waived)."""
        return self.verdict.decision

    @property
    def partial(self) -> bool:
        return self.counts["NOT RUN"] > 0


def _item_status(records: list[evidence.Record]) -> str:
    return checklist.item_status([r.status for r in records])


def summarize(report_dir: Path) -> Summary:
    records = evidence.load(report_dir)
    by_item: dict[str, list[evidence.Record]] = {}
    for rec in records:
        by_item.setdefault(rec.item_id, []).append(rec)
    items = [ItemResult(it, _item_status(by_item.get(it.id, [])), by_item.get(it.id, []))
             for it in checklist.ITEMS]
    return Summary(meta=evidence.read_meta(report_dir), items=items)


def write_all(report_dir: Path) -> Summary:
    """Render every report of ``report_dir`` (the credentials to mask are read once for all)."""
    with secrets_read_once():
        return _write_all(report_dir)


def _write_all(report_dir: Path) -> Summary:
    from lakegate.reports import cucumber, glance, html, junit, markdown

    summary = summarize(report_dir)
    verdict = summary.verdict
    consolidated = {
        "meta": summary.meta,
        "decision": verdict.decision,
        "reasons": list(verdict.reasons),
        "counts": summary.counts,
        "items": [{"id": it.item.id, "section": it.item.section, "title": it.item.title,
                   "status": it.status, "applies": verdict.outcome(it.item.id).applies,
                   "rehearsal": verdict.outcome(it.item.id).rehearsal,
                   "waiver": verdict.outcome(it.item.id).waiver,
                   "records": [asdict(r) for r in it.records]} for it in summary.items],
    }
    previous = glance.read_previous(report_dir)   # an earlier report (--previous DIR), for "what changed"
    outputs = {
        "evidence.json": json.dumps(mask(consolidated), indent=2, default=str),
        "signoff.html": html.render(summary, previous),
        "signoff.md": markdown.render(summary, previous),
        "junit.xml": junit.render(summary),
        "cucumber.json": cucumber.render(summary),
    }
    for name, text in outputs.items():
        tmp = report_dir / (name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(report_dir / name)
    return summary


def evidence_lines(rec: evidence.Record, limit: int = 12) -> list[str]:
    """Human-readable ``key: value`` lines of a record's evidence (masked, truncated)."""
    lines = []
    for key, val in mask(rec.evidence).items():
        text = val if isinstance(val, str) else json.dumps(val, default=str, sort_keys=True)
        if len(text) > 300:
            text = text[:297] + "..."
        lines.append(f"{key}: {text}")
        if len(lines) >= limit:
            lines.append("…")
            break
    return lines

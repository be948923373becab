"""Everything the HTML and Markdown pages show, computed once from a :class:`~lakegate.reports.Summary`.

The decision and each item's ``applies`` / ``rehearsal`` / ``waiver`` come from
:mod:`lakegate.checklist` (``Summary.verdict`` when the checklist provides it, else the fields the
records carry); this module only arranges them for reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakegate.reports import glance, timeline
from lakegate.reports.sentences import Context, item_sentences


@dataclass
class ItemView:
    result: Any                   # ItemResult
    sentences: list[str]
    applies: bool = True
    rehearsal: bool = False
    waiver: str | None = None

    @property
    def id(self) -> str:
        return self.result.item.id

    @property
    def status(self) -> str:
        return self.result.status


@dataclass
class View:
    summary: Any
    items: list[ItemView]
    reasons: list[str]
    timeline: timeline.Timeline
    tables: dict[str, dict[str, Any]]
    alerts: list[tuple[str, int]]
    by_severity: dict[str, int]
    findings: list[dict[str, Any]]
    plan: list[glance.PlanStep]
    changes: glance.Changes | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def signoff_items(self) -> list[ItemView]:
        return [v for v in self.items if not v.rehearsal]

    @property
    def rehearsals(self) -> list[ItemView]:
        return [v for v in self.items if v.rehearsal]

    @property
    def failing(self) -> list[ItemView]:
        return [v for v in self.items if v.status == "FAIL" and v.applies]


def _outcomes(summary: Any) -> tuple[dict[str, tuple[bool, bool, str | None]], list[str]]:
    """(applies, rehearsal, waiver) per item and the NO-GO reasons, from the checklist's decision."""
    try:
        verdict = summary.verdict          # lakegate.checklist.decide(), when the checklist offers it
    except AttributeError:
        verdict = None
    out: dict[str, tuple[bool, bool, str | None]] = {}
    if verdict is not None:
        for it in summary.items:
            o = verdict.outcome(it.item.id)
            out[it.item.id] = (bool(o.applies), bool(o.rehearsal), o.waiver)
        return out, list(getattr(verdict, "reasons", ()) or ())
    for it in summary.items:            # records that carry the fields (or none: older evidence)
        recs = it.records
        applies = all(getattr(r, "applies", True) is not False for r in recs)
        rehearsal = any(getattr(r, "rehearsal", False) is True for r in recs)
        waiver = next((getattr(r, "waiver", None) for r in recs if getattr(r, "waiver", None)), None)
        out[it.item.id] = (applies, rehearsal, waiver)
    return out, []


def build(summary: Any, previous: dict[str, Any] | None = None) -> View:
    outcomes, reasons = _outcomes(summary)
    tables = glance.tables(summary)
    tl = timeline.build(summary)
    ctx = Context(tables=tables, failed_actions=[(b.label, b.state, str(b.error or "")) for b in tl.actions
                                                 if b.tone == "failed"])
    items = []
    for it in summary.items:
        applies, rehearsal, waiver = outcomes.get(it.item.id, (True, False, None))
        items.append(ItemView(it, item_sentences(it, ctx, waiver=waiver), applies, rehearsal, waiver))
    by_sev, findings = glance.findings(summary)
    return View(summary=summary, items=items, reasons=reasons, timeline=tl, tables=tables,
                alerts=glance.alerts(summary), by_severity=by_sev, findings=findings,
                plan=glance.recovery_plan(summary, tl),
                changes=glance.changes(summary, previous) if previous else None)

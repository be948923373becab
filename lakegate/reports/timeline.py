"""The run timeline: recovery steps and every action of the workflow run as Gantt bars.

Built at render time from what the evidence already holds: the bronze crawl (AA1, its own start and
end), the bookmark resets (AA2) and the IAM wait (AA3) from their records' start and end, and the
workflow run's actions (AA4 ``actions``: every job run and crawl of the run's graph, from
``get_workflow_run(IncludeGraph=True)``; older evidence without it falls back to FV8's gold runs).

Rendered as an inline SVG (no script; each bar coloured AND labelled by state, with a ``<title>``)
and as a Mermaid ``gantt`` block for the Markdown summary. Beside it, the runbook's fixed waits for
the same steps (WORKFLOW_RECOVERY_GUIDE.md, cited by line).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lakegate.masking import mask_text
from lakegate.reports.facts import dur, iso, iso_ms, num

OK_STATES = ("SUCCEEDED", "DONE")
FAILED_STATES = ("FAILED", "ERROR", "TIMEOUT", "STOPPED", "CANCELLED")
ICON = {"ok": "✔", "failed": "✖", "other": "●"}
COLOUR = {"ok": "#2e7d32", "failed": "#c62828", "other": "#8a6d00"}


@dataclass
class Bar:
    label: str
    group: str                  # recovery | action
    kind: str                   # crawler | job | step
    start: float | None
    end: float | None
    state: str
    error: str | None = None

    @property
    def tone(self) -> str:
        s = (self.state or "").upper()
        if s in OK_STATES:
            return "ok"
        if s in FAILED_STATES:
            return "failed"
        return "other"

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max(0.0, self.end - self.start)


@dataclass
class Wait:
    step: str
    took: float | None
    runbook_s: int | None
    source: str


@dataclass
class Timeline:
    run_id: str | None
    run_state: str | None
    bars: list[Bar] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    partial: str = ""           # why some actions are missing

    @property
    def actions(self) -> list[Bar]:
        return [b for b in self.bars if b.group == "action"]

    @property
    def span(self) -> tuple[float, float] | None:
        pts = [t for b in self.bars for t in (b.start, b.end) if t is not None]
        return (min(pts), max(pts)) if pts else None


RUNBOOK = "WORKFLOW_RECOVERY_GUIDE.md"
RUNBOOK_CRAWLER_S = 90   # PASSO 2: Start-Sleep -Seconds 90 ("90 segundos é tempo médio")
RUNBOOK_IAM_S = 60       # PASSO 4: Start-Sleep -Seconds 60 (propagação IAM)
RUNBOOK_POLL_S = 30      # PASSO 6: for 1..10 { Start-Sleep -Seconds 30; get-workflow-run }
RUNBOOK_POLLS = 10
RUNBOOK_ATHENA_S = 8     # PASSO 8: Start-Sleep -Seconds 8 before get-query-results


def _rec_state(rec: Any) -> str:
    return {"PASS": "SUCCEEDED", "FAIL": "FAILED", "SKIP": "SKIPPED"}.get(rec.status, rec.status)


def _first(item: Any) -> Any:
    return item.records[0] if item is not None and item.records else None


def build(summary: Any) -> Timeline:
    by_id = {it.item.id: it for it in summary.items}
    tl = Timeline(run_id=None, run_state=None)

    aa1 = _first(by_id.get("AA1"))
    crawl = (aa1.evidence.get("bronze_crawl") if aa1 else None) or {}
    if crawl and num(crawl.get("started")) is not None:
        tl.bars.append(Bar("bronze crawl (PASSO 2)", "recovery", "crawler",
                           num(crawl.get("started")), num(crawl.get("finished")),
                           str(crawl.get("last_status") or crawl.get("state") or "?"), crawl.get("error")))
    for iid, label in (("AA2", "bookmark resets (PASSO 3)"), ("AA3", "IAM propagation wait (PASSO 4)")):
        rec = _first(by_id.get(iid))
        if rec is not None and num(rec.started) and num(rec.finished) and rec.status in ("PASS", "FAIL"):
            if iid == "AA2" and isinstance(rec.evidence.get("results"), dict):
                label = f"bookmark resets, {len(rec.evidence['results'])} jobs (PASSO 3)"
            tl.bars.append(Bar(label, "recovery", "step", rec.started, rec.finished, _rec_state(rec),
                               rec.first_failure_line() or None))

    run: dict[str, Any] = {}
    actions: list[dict[str, Any]] = []
    for iid in ("AA4", "FV1"):
        rec = _first(by_id.get(iid))
        if rec is None:
            continue
        run = run or rec.evidence.get("workflow_run") or rec.evidence.get("run") or {}
        actions = actions or [a for a in rec.evidence.get("actions") or [] if isinstance(a, dict)]
    if not actions:
        fv8 = _first(by_id.get("FV8"))
        actions = [a for a in (fv8.evidence.get("gold_runs") or []) if isinstance(a, dict)] if fv8 else []
        if actions:
            tl.partial = "only the gold job runs were recorded (evidence without AA4's actions)"
    tl.run_id = run.get("run_id")
    tl.run_state = run.get("status")
    run_end = num(run.get("completed"))
    for a in sorted(actions, key=lambda a: (num(a.get("started")) or math.inf, str(a.get("name")))):
        start = num(a.get("started"))
        end = num(a.get("finished")) or (run_end if start is not None else None)
        tl.bars.append(Bar(str(a.get("name") or "?"), "action", str(a.get("type") or "").lower() or "job",
                           start, end, str(a.get("state") or "?"), a.get("error")))

    crawl_s = next((b.seconds for b in tl.bars if b.group == "recovery" and b.kind == "crawler"), None)
    iam_s = next((b.seconds for b in tl.bars if b.label.startswith("IAM")), None)
    reset_s = next((b.seconds for b in tl.bars if b.label.startswith("bookmark")), None)
    run_s = (run_end - num(run.get("started"))) if run_end and num(run.get("started")) else None
    tl.waits = [
        Wait("bronze crawl (PASSO 2)", crawl_s, RUNBOOK_CRAWLER_S, f"{RUNBOOK} PASSO 2: Start-Sleep -Seconds 90"),
        Wait("bookmark resets (PASSO 3)", reset_s, None, f"{RUNBOOK} PASSO 3: no wait"),
        Wait("IAM propagation (PASSO 4)", iam_s, RUNBOOK_IAM_S, f"{RUNBOOK} PASSO 4: Start-Sleep -Seconds 60"),
        Wait("workflow run (PASSO 5-6)", run_s,
             None if run_s is None else min(RUNBOOK_POLLS, max(1, math.ceil(run_s / RUNBOOK_POLL_S))) * RUNBOOK_POLL_S,
             f"{RUNBOOK} PASSO 6: a poll every 30 s (Start-Sleep -Seconds 30, at most 10)"),
    ]
    aa6 = _first(by_id.get("AA6"))
    q = (aa6.evidence.get("athena") if aa6 else None) or {}
    if num(q.get("duration_s")) is not None:
        tl.waits.append(Wait("Athena query (PASSO 8)", num(q.get("duration_s")), RUNBOOK_ATHENA_S,
                             f"{RUNBOOK} PASSO 8: Start-Sleep -Seconds 8"))
    return tl


# --- SVG --------------------------------------------------------------------------------------------

def _e(text: object) -> str:
    return html.escape(mask_text(str(text)), quote=True)


def _short(text: str, n: int = 52) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _ticks(total: float) -> list[float]:
    if total <= 0:
        return [0.0]
    raw = total / 6
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(total / step) + 1)]


def svg(tl: Timeline) -> str:
    """The Gantt chart; empty string when nothing has a start time."""
    span = tl.span
    if span is None:
        return ""
    t0, t1 = span
    total = max(t1 - t0, 1e-3)
    label_w, chart_w, right_pad = 380, 570, 160
    width = label_w + chart_w + right_pad
    row_h, top = 30, 34
    rows: list[str] = []
    y = top
    prev_group = None
    for bar in tl.bars:
        if bar.group != prev_group:
            title = "Recovery steps before the run" if bar.group == "recovery" else (
                f"Workflow run {tl.run_id or ''} ({tl.run_state or '?'})")
            rows.append(f'<text class="grp" x="4" y="{y + 14}" font-weight="bold">{_e(_short(title, 110))}</text>')
            y += 22
            prev_group = bar.group
        start = bar.start if bar.start is not None else t0
        end = bar.end if bar.end is not None else t1
        x = label_w + (start - t0) / total * chart_w
        w = max(3.0, (end - start) / total * chart_w)
        colour = COLOUR[bar.tone]
        took = dur(bar.seconds) if bar.seconds is not None else "open"
        text = f"{ICON[bar.tone]} {bar.state} {took}"
        tip = f"{bar.label}: {bar.state}, from {iso(bar.start)} for {took}" + (f"; error: {bar.error}" if bar.error else "")
        after = x + w + 6
        anchor, tx = ("start", after) if after < label_w + chart_w + right_pad - 150 else ("end", x - 6)
        cls = f"bar {bar.group} {bar.tone}"
        dash = ' stroke-dasharray="4 2"' if bar.tone == "failed" else ""
        rows.append(
            f'<g class="{cls}" data-state="{_e(bar.state)}"><title>{_e(tip)}</title>'
            f'<text x="4" y="{y + 17}">{_e(_short(bar.label))} <tspan class="kind">{_e(bar.kind)}</tspan></text>'
            f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" rx="3" fill="{colour}" '
            f'stroke="#000" stroke-width="{1.5 if bar.tone == "failed" else 0.5}"{dash}/>'
            f'<text x="{tx:.1f}" y="{y + 17}" text-anchor="{anchor}" fill="{colour}" font-weight="bold">{_e(text)}</text>'
            "</g>")
        y += row_h
        if bar.tone == "failed" and bar.error:
            rows.append(f'<text class="err" x="{label_w}" y="{y + 4}" fill="#c62828">✖ error: '
                        f'{_e(_short(str(bar.error), 120))}</text>')
            y += 18
    axis = [f'<line x1="{label_w}" y1="{top - 8}" x2="{label_w + chart_w}" y2="{top - 8}" stroke="#555"/>']
    for t in _ticks(total):
        x = label_w + t / total * chart_w
        axis.append(f'<line x1="{x:.1f}" y1="{top - 12}" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>'
                    f'<text x="{x:.1f}" y="{top - 14}" text-anchor="middle" font-size="11">+{_e(dur(t))}</text>')
    height = y + 8
    desc = (f"Timeline from {iso(t0)} to {iso(t1)} ({dur(total)}): {len(tl.bars) - len(tl.actions)} recovery steps "
            f"and {len(tl.actions)} workflow actions.")
    return (f'<svg class="timeline" role="img" aria-labelledby="tl-title tl-desc" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" '
            f'font-family="system-ui,sans-serif" font-size="12">'
            f'<title id="tl-title">Run timeline</title><desc id="tl-desc">{_e(desc)}</desc>'
            + "".join(axis) + "".join(rows) + "</svg>")


# --- Mermaid ------------------------------------------------------------------------------------------

def _mermaid_text(text: str) -> str:
    return re.sub(r"[:#;,]", " ", mask_text(text)).strip()


def mermaid(tl: Timeline) -> str:
    """A Mermaid ``gantt`` block (GitHub renders it in Markdown); empty when nothing has times."""
    bars = [b for b in tl.bars if b.start is not None and b.end is not None]
    if not bars:
        return ""

    def stamp(t: float) -> str:
        return iso_ms(t).replace("T", " ").rstrip("Z")

    lines = ["```mermaid", "gantt", f"    title {_mermaid_text('Run timeline ' + (tl.run_id or ''))}",
             "    dateFormat YYYY-MM-DD HH:mm:ss.SSS", "    axisFormat %H:%M:%S"]
    prev = None
    for n, b in enumerate(bars):
        if b.group != prev:
            lines.append("    section " + ("Recovery" if b.group == "recovery" else "Workflow run"))
            prev = b.group
        tag = {"ok": "done, ", "failed": "crit, ", "other": "active, "}[b.tone]
        end = b.end if b.end > b.start else b.start + 0.001  # type: ignore[operator]
        lines.append(f"    {_mermaid_text(b.label)} {b.state} :{tag}t{n}, {stamp(b.start)}, {stamp(end)}")
    lines.append("```")
    return "\n".join(lines)

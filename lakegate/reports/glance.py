"""The data at a glance, the gate's part and what changed since an earlier report.

All derived at render time from the evidence records (and, for changes, from an earlier report
directory's ``evidence.json``); nothing here decides GO / NO-GO.

- tables: per catalog table columns, partitions, objects, bytes and rows (AA5 ``tables``, recorded
  by :mod:`lakegate.tablestats`; older evidence falls back to the column counts and partition keys
  the table items record);
- alerts by type (FV6's Athena ``alert_type, COUNT(*)`` rows), with a small inline SVG bar chart;
- findings by severity with their fix (BA2), and the recovery plan (BA3) as a checklist with each
  step's status in this run;
- changes: tables and columns added or removed, partition and row counts up or down, items that
  went from failing to passing and the reverse.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from lakegate.masking import mask, mask_text
from lakegate.reports.facts import count, num

PREVIOUS_FILE = "previous-evidence.json"
SEVERITIES = ("critical", "high", "medium", "low", "info")


def _first(summary: Any, item_id: str) -> Any:
    for it in summary.items:
        if it.item.id == item_id and it.records:
            return it.records[0]
    return None


# --- tables ----------------------------------------------------------------------------------------

def tables(summary: Any) -> dict[str, dict[str, Any]]:
    """Per table: ``columns`` (names or a count), ``partition_keys``, ``partitions``, ``objects``, ``bytes``,
    ``rows`` — whatever the evidence holds."""
    aa5 = _first(summary, "AA5")
    recorded = (aa5.evidence.get("tables") if aa5 else None) or {}
    out: dict[str, dict[str, Any]] = {k: dict(v) for k, v in recorded.items() if isinstance(v, dict)}
    if out:
        return out
    for it in summary.items:
        for rec in it.records:
            for key, val in rec.evidence.items():
                cands = val.items() if key == "bronze_table" and isinstance(val, dict) else [(key, val)]
                for name, info in cands:
                    if isinstance(info, dict) and "columns" in info and "location" in info and name not in out:
                        out[name] = {"columns": info.get("columns"), "partition_keys": info.get("partition_keys") or [],
                                     "location": info.get("location")}
    return out


def ncols(info: dict[str, Any]) -> int | None:
    cols = info.get("columns")
    if isinstance(cols, list):
        return len(cols)
    return cols if isinstance(cols, int) else None


# --- alerts ----------------------------------------------------------------------------------------

def alerts(summary: Any) -> list[tuple[str, int]]:
    fv6 = _first(summary, "FV6")
    q = (fv6.evidence.get("athena") if fv6 else None) or {}
    cols = [str(c).lower() for c in q.get("columns") or []]
    out = []
    for row in q.get("rows") or []:
        if isinstance(row, list) and len(row) >= 2 and str(row[1]).isdigit():
            out.append((str(row[0]), int(row[1])))
    if cols and "alert_type" not in cols[0]:
        return []
    return sorted(out, key=lambda kv: (-kv[1], kv[0]))


def alerts_svg(data: list[tuple[str, int]]) -> str:
    if not data:
        return ""
    top = max(n for _, n in data) or 1
    label_w, bar_w, row_h = 190, 300, 24
    height = row_h * len(data) + 8
    rows = []
    for i, (name, n) in enumerate(data):
        y = 4 + i * row_h
        w = max(2.0, n / top * bar_w)
        e = html.escape(mask_text(name), quote=True)
        rows.append(f'<g class="alertbar"><title>{e}: {n}</title><text x="{label_w - 6}" y="{y + 15}" '
                    f'text-anchor="end">{e}</text><rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="#1565c0"/><text x="{label_w + w + 6:.1f}" y="{y + 15}">{count(n)}</text></g>')
    total = sum(n for _, n in data)
    return (f'<svg class="alerts" role="img" aria-label="Alerts by type: '
            + html.escape(mask_text(", ".join(f"{k} {v}" for k, v in data)), quote=True)
            + f' (total {total})" viewBox="0 0 {label_w + bar_w + 70} {height}" width="100%" '
            f'style="max-width:{label_w + bar_w + 70}px" '
            f'font-family="system-ui,sans-serif" font-size="12">' + "".join(rows) + "</svg>")


# --- the gate's part ---------------------------------------------------------------------------------

def findings(summary: Any) -> tuple[dict[str, int], list[dict[str, Any]]]:
    ba2 = _first(summary, "BA2")
    if ba2 is None:
        return {}, []
    by_sev = dict((ba2.evidence.get("summary") or {}).get("by_severity") or {})
    items = [f for f in ba2.evidence.get("findings") or [] if isinstance(f, dict)]
    if not items:   # older evidence: the blocking lines only
        items = [{"severity": "high", "message": line, "fix": ""} for line in ba2.evidence.get("blocking") or []]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    items.sort(key=lambda f: (order.get(str(f.get("severity")), 9), str(f.get("rule_id"))))
    return by_sev, items


@dataclass
class PlanStep:
    step: str            # what the plan asks
    status: str          # DONE | FAILED | NOT RUN | SKIPPED | NOT NEEDED
    detail: str
    why: str = ""

    @property
    def done(self) -> bool:
        return self.status in ("DONE", "NOT NEEDED")


def recovery_plan(summary: Any, timeline: Any) -> list[PlanStep]:
    """The recovery plan the gate wrote (BA3), each step with its status in this run."""
    ba3 = _first(summary, "BA3")
    plan = (ba3.evidence.get("recovery_plan") if ba3 else None) or {}
    if not plan:
        return []
    reasons: dict[tuple[str, str], str] = {}
    for r in plan.get("reasons") or []:
        if isinstance(r, dict):
            reasons.setdefault((str(r.get("step")), str(r.get("target"))), str(r.get("because", "")))
    steps: list[PlanStep] = []
    aa1 = _first(summary, "AA1")
    crawl = (aa1.evidence.get("bronze_crawl") if aa1 else None) or {}
    actions = {b.label: b for b in timeline.actions}
    for crawler in plan.get("crawlers_to_run") or []:
        why = reasons.get(("run_crawler", crawler), "")
        if crawl.get("crawler") == crawler:
            ok = crawl.get("state") == "READY" and crawl.get("last_status") == "SUCCEEDED"
            steps.append(PlanStep(f"run crawler `{crawler}`", "DONE" if ok else "FAILED",
                                  f"{crawl.get('state')} / {crawl.get('last_status')} (AA1)", why))
        elif crawler in actions:
            b = actions[crawler]
            steps.append(PlanStep(f"run crawler `{crawler}`", "DONE" if b.tone == "ok" else "FAILED",
                                  f"{b.state} in the workflow run", why))
        else:
            steps.append(PlanStep(f"run crawler `{crawler}`", "NOT RUN", "no crawl of it in this run's evidence", why))
    aa2 = _first(summary, "AA2")
    results = (aa2.evidence.get("results") if aa2 else None) or {}
    wanted = plan.get("bookmarks_to_reset") or []
    for job in wanted:
        res = results.get(job)
        status = "NOT RUN" if res is None else ("DONE" if str(res).startswith(("reset", "never-run")) else "FAILED")
        steps.append(PlanStep(f"reset bookmark of `{job}`", status, str(res or "AA2 did not reset it"),
                              reasons.get(("reset_bookmark", job), "")))
    if not wanted:
        steps.append(PlanStep("reset bookmarks", "NOT NEEDED", "the plan names no job" + (
            f"; AA2 still handled {len(results)} (runbook PASSO 3 list)" if results else "")))
    aa3 = _first(summary, "AA3")
    if plan.get("iam_propagation_wait"):
        st = {"PASS": "DONE", "FAIL": "FAILED", "SKIP": "SKIPPED"}.get(aa3.status, "NOT RUN") if aa3 else "NOT RUN"
        detail = (f"{aa3.evidence.get('stable_polls', '?')} stable polls (AA3)" if aa3 and aa3.status == "PASS"
                  else (aa3.first_failure_line() if aa3 else "AA3 did not run"))
        steps.append(PlanStep("wait for IAM propagation", st, detail))
    else:
        steps.append(PlanStep("wait for IAM propagation", "NOT NEEDED", "no IAM change in the plan"))
    for wf in plan.get("run_workflow") or []:
        if timeline.run_id:
            ok = timeline.run_state == "COMPLETED" and all(b.tone == "ok" for b in timeline.actions)
            failed = sum(1 for b in timeline.actions if b.tone == "failed")
            steps.append(PlanStep(f"run workflow `{wf}`", "DONE" if ok else "FAILED",
                                  f"{timeline.run_state}, {len(timeline.actions) - failed}/{len(timeline.actions)} "
                                  "actions succeeded"))
        else:
            steps.append(PlanStep(f"run workflow `{wf}`", "NOT RUN", "no workflow run in this run's evidence"))
    return steps


# --- changes since an earlier report -----------------------------------------------------------------

@dataclass
class Changes:
    previous: str                                   # when / which commit the earlier report is from
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)        # "t: +a, -b"
    counts: list[str] = field(default_factory=list)         # "t partitions 3 → 4 (up 1)"
    fixed: list[str] = field(default_factory=list)          # "FV1 FAIL → PASS"
    broken: list[str] = field(default_factory=list)         # "FV1 PASS → FAIL"
    other_status: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.tables_added, self.tables_removed, self.columns, self.counts, self.fixed,
                        self.broken, self.other_status))


def load_previous(prev_dir: Path) -> dict[str, Any]:
    """An earlier report directory's consolidated ``evidence.json`` (what ``--previous DIR`` names)."""
    fix = "pass a directory an earlier `lakegate smoke --report-dir DIR` wrote (it holds evidence.json)"
    if not prev_dir.is_dir():
        raise LakegateError(f"{prev_dir} is not a directory", where="--previous", fix=fix)
    path = prev_dir / "evidence.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LakegateError(f"{path} does not exist", where="--previous", fix=fix) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LakegateError(f"cannot read the earlier report: {err}", where=str(path), fix=fix) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise LakegateError("the earlier report has no items", where=str(path), fix=fix)
    return doc


def set_previous(report_dir: Path, previous: dict[str, Any] | None) -> None:
    """Keep (or, with None, drop) the earlier report's evidence next to this run's, for every render."""
    path = report_dir / PREVIOUS_FILE
    if previous is None:
        path.unlink(missing_ok=True)
        return
    tmp = report_dir / (PREVIOUS_FILE + ".tmp")
    tmp.write_text(json.dumps(mask(previous), default=str), encoding="utf-8")
    tmp.replace(path)


def read_previous(report_dir: Path) -> dict[str, Any] | None:
    path = report_dir / PREVIOUS_FILE
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise LakegateError(f"cannot read the earlier report's evidence: {err}", where=str(path),
                            fix="rerun with --previous DIR, or delete the file") from None
    return doc if isinstance(doc, dict) else None


class _Rec:
    def __init__(self, d: dict[str, Any]) -> None:
        self.evidence = d.get("evidence") or {}
        self.status = d.get("status", "")


class _Item:
    def __init__(self, d: dict[str, Any]) -> None:
        from types import SimpleNamespace
        self.item = SimpleNamespace(id=d.get("id"))
        self.status = d.get("status")
        self.records = [_Rec(r) for r in d.get("records") or [] if isinstance(r, dict)]


def changes(summary: Any, previous: dict[str, Any]) -> Changes:
    from types import SimpleNamespace

    meta = previous.get("meta") or {}
    when = " ".join(str(x) for x in (meta.get("started") or meta.get("finished") or "", (
        f"commit {str(meta['commit'])[:12]}" if meta.get("commit") else ""), f"decision {previous.get('decision', '?')}")
        if x)
    ch = Changes(previous=when)
    old_summary = SimpleNamespace(items=[_Item(d) for d in previous["items"] if isinstance(d, dict)])
    old, new = tables(old_summary), tables(summary)
    ch.tables_added = sorted(set(new) - set(old))
    ch.tables_removed = sorted(set(old) - set(new))
    for name in sorted(set(old) & set(new)):
        a, b = old[name], new[name]
        if isinstance(a.get("columns"), list) and isinstance(b.get("columns"), list):
            plus = [c for c in b["columns"] if c not in a["columns"]]
            minus = [c for c in a["columns"] if c not in b["columns"]]
            if plus or minus:
                ch.columns.append(f"`{name}`: " + ", ".join([f"+{c}" for c in plus] + [f"−{c}" for c in minus]))
        elif ncols(a) != ncols(b) and ncols(a) is not None and ncols(b) is not None:
            ch.columns.append(f"`{name}`: {ncols(a)} → {ncols(b)} columns")
        for key in ("partitions", "rows", "objects"):
            x, y = num(a.get(key)), num(b.get(key))
            if x is not None and y is not None and x != y:
                word = "up" if y > x else "down"
                ch.counts.append(f"`{name}` {key} {count(int(x))} → {count(int(y))} ({word} {count(int(abs(y - x)))})")
    old_status = {d.get("id"): d.get("status") for d in previous["items"] if isinstance(d, dict)}
    for it in summary.items:
        before = old_status.get(it.item.id)
        if before is None or before == it.status:
            continue
        line = f"{it.item.id} {before} → {it.status}"
        if before == "FAIL" and it.status == "PASS":
            ch.fixed.append(line)
        elif before == "PASS" and it.status == "FAIL":
            ch.broken.append(line)
        else:
            ch.other_status.append(line)
    return ch

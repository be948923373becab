"""One to three sentences per checklist item, with the facts that decide it.

Built from the same evidence records the checklist decides on (never deciding anything
themselves). Times are ISO 8601 UTC plus durations, never epoch numbers. A failing item leads with
what failed, then the runbook problem it matches and the fix: from ``lakegate diagnose``'s answer
when the record carries one, otherwise from the runbook section the item comes from. Names are in
backticks (rendered as code in HTML and Markdown). Every sentence is masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from lakegate.masking import mask_text
from lakegate.reports.facts import count, dur, iso, names, num, plural

# The runbook problem and fix for an item that fails, when no diagnosis came with the record.
# (WORKFLOW_RECOVERY_GUIDE.md: checklists, PASSO 1-8, Problemas 1-5, Sintoma 1)
RUNBOOK_HINTS: dict[str, tuple[str, str]] = {
    "BA1": ("Checklist Antes: Fazer backup das configurações atuais",
            "give the credentials read access to the Glue catalog, job bookmarks and state, and rerun BA1 "
            "before applying"),
    "BA2": ("Checklist Antes: Executar `terraform plan` e revisar mudanças",
            "fix the blocking findings listed under \"The gate's part\" (each names its fix) and plan again"),
    "BA3": ("Checklist Antes: Verificar se há mudanças em schemas ou políticas IAM",
            "run `lakegate check PLAN --recovery-plan FILE` and review the steps it lists and why"),
    "BA4": ("Problema 4: Crawler falha silenciosamente (no data in the bronze layout)",
            "write Parquet under the bronze path as ingest_year=YYYY/ingest_month=MM/ingest_day=DD/, then rerun"),
    "BA5": ("Checklist Antes: Documentar Run IDs antes da atualização",
            "give the credentials glue:GetWorkflowRuns, glue:GetJobRuns and glue:GetCrawler, and rerun BA5"),
    "STEP1": ("PASSO 1: Verificar Status do Workflow",
              "give the credentials glue:GetWorkflowRuns on the workflow and rerun"),
    "AA1": ("PASSO 2 / Problema 2 (AccessDeniedException) or Problema 4 (crawler finds nothing)",
            "read the crawler's CloudWatch log (/aws-glue/crawlers); `lakegate diagnose --env ENV` names the cause "
            "and fix; then run the crawler again"),
    "AA2": ("PASSO 3: Resetar Job Bookmarks",
            "check glue:ResetJobBookmark for the credentials; the saved bookmarks can be restored from the backup"),
    "AA3": ("PASSO 4 / Problema 2: permissões IAM",
            "add the permissions the gate's LG-IAM findings list, apply, and rerun (`lakegate recover` waits by "
            "polling)"),
    "AA4": ("Sintoma 1 (Workflow com Falhas) or Problema 5 (Workflow trava em RUNNING)",
            "read the failed action's error on the timeline, run `lakegate diagnose --env ENV`, fix the cause, "
            "then `lakegate recover --env ENV`"),
    "AA5": ("PASSO 7 / Problema 1: schema do catálogo desatualizado",
            "run the crawler of the missing table (or the workflow, whose crawlers create the gold tables)"),
    "AA6": ("PASSO 8: Testar queries no Athena",
            "check the workgroup, its output location and the table's crawler; run the query by hand"),
    "AA7": ("Verificar logs CloudWatch", "read the critical events listed in the evidence and fix their job"),
    "FV1": ("Sintoma 1: Workflow com Falhas (COMPLETED is not success)",
            "read the failed action's error on the timeline, fix it, and rerun the workflow"),
    "FV2": ("Problema 1: schema do catálogo desatualizado", "run the bronze crawler (PASSO 2) and check its log"),
    "FV3": ("Problema 3: Job não processa dados novos",
            "reset the silver job's bookmark (PASSO 3) and rerun the workflow"),
    "FV4": ("Problema 3: Job não processa dados novos",
            "reset the gold job's bookmark and rerun the workflow; check its crawler ran"),
    "FV5": ("Tabelas Gold: `performance_alerts_log` criada",
            "check the gold alerts job and its crawler on the timeline; rerun the workflow"),
    "FV6": ("PASSO 8: Athena Queries retornam dados corretos",
            "compare the alert thresholds of the gold alerts job with the data; rerun the workflow"),
    "FV7": ("Logs CloudWatch: Sem erros críticos", "read the critical events listed in the evidence and fix their job"),
    "FV8": ("Execução Paralela: Ambos Gold Jobs executaram simultaneamente",
            "start both gold jobs from one trigger (the gate's workflow graph shows which trigger starts them)"),
}
_DIAG_HINT = ("the runbook problem was not named", "a lakegate diagnosis regression: compare `lakegate diagnose` "
              "with the injected fault and report it")


@dataclass
class Context:
    """Run-level facts some sentences need (table statistics recorded by AA5)."""
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_actions: list[tuple[str, str, str]] = field(default_factory=list)   # (name, state, error)


def _table_facts(name: str, info: dict[str, Any] | None, ctx: Context) -> str:
    stats = ctx.tables.get(name) or {}
    info = info or {}
    cols = stats.get("columns", info.get("columns"))
    ncols = len(cols) if isinstance(cols, list) else cols
    parts = [f"table `{name}`"]
    if isinstance(ncols, int):
        parts.append(plural(ncols, "column"))
    keys = stats.get("partition_keys", info.get("partition_keys")) or []
    if isinstance(stats.get("partitions"), int) and keys:
        parts.append(plural(stats["partitions"], "partition"))
    elif keys:
        parts.append("partitioned by " + "/".join(keys))
    if isinstance(stats.get("rows"), int):
        parts.append(f"{count(stats['rows'])} rows")
    return ", ".join(parts)


# --- builders: (evidence, record, context) -> sentences --------------------------------------------

def _ba1(ev: dict, rec: Any, ctx: Context) -> list[str]:
    files = ev.get("files") or {}
    kinds = [k.replace("_", " ") for k in files]
    when = iso(rec.finished) if num(rec.finished) else ""
    return [f"Backup of {', '.join(kinds) or 'nothing'} saved" + (f" at {when}" if when else "")
            + (f" in `{ev['backup_dir']}`." if ev.get("backup_dir") else ".")]


def _ba2(ev: dict, rec: Any, ctx: Context) -> list[str]:
    out = []
    s = ev.get("summary") or {}
    if s:
        sev = ", ".join(f"{n} {k}" for k, n in (s.get("by_severity") or {}).items() if n) or "none"
        out.append(f"The gate checked {s.get('resources', '?')} resources: {plural(s.get('findings', 0), 'finding')} "
                   f"({sev}), {len(ev.get('blocking') or [])} blocking.")
    for wf in (ev.get("workflows") or [])[:1]:
        groups = wf.get("parallel_groups") or []
        par = "; parallel: " + "; ".join(" + ".join(f"`{n}`" for n in g) for g in groups) if groups else ""
        out.append(f"Workflow `{wf.get('name')}` has {wf.get('actions')} actions{par}.")
    return out


def _ba3(ev: dict, rec: Any, ctx: Context) -> list[str]:
    plan = ev.get("recovery_plan") or {}
    if not plan:
        return []
    resets = plan.get("bookmarks_to_reset") or []
    return [f"Recovery plan: run crawler {names(plan.get('crawlers_to_run') or [])}; "
            + (f"reset the bookmarks of {names(resets)}" if resets else "reset no bookmark")
            + f"; IAM propagation wait: {'yes' if plan.get('iam_propagation_wait') else 'no'}; run workflow "
            f"{names(plan.get('run_workflow') or [])}.",
            f"Each step gives its reason ({plural(len(plan.get('reasons') or []), 'reason')})."]


def _ba4(ev: dict, rec: Any, ctx: Context) -> list[str]:
    out = []
    if "objects" in ev:
        sample = (ev.get("sample") or [])[:1]
        out.append(f"{plural(ev['objects'], 'object')} in the bronze partition layout"
                   + (f", e.g. `{sample[0]}`." if sample else "."))
    if ev.get("implied_alert_types"):
        out.append(f"The test data implies the alert types {names(ev['implied_alert_types'])}.")
    return out


def _ba5(ev: dict, rec: Any, ctx: Context) -> list[str]:
    base = ev.get("baseline") or {}
    if not base:
        return []
    jobs = base.get("jobs") or {}
    crawlers = base.get("crawlers") or {}
    ran = sum(1 for v in jobs.values() if v) + sum(1 for v in crawlers.values() if isinstance(v, dict) and v.get("status"))
    wf = base.get("workflow")
    return [f"Baseline recorded: workflow last run {f'`{wf}`' if wf else 'none (never ran)'}; "
            f"{plural(len(jobs), 'job')} and {plural(len(crawlers), 'crawler')}, {ran} with an earlier run."]


def _run_sentence(run: dict) -> str:
    st = run.get("statistics") or {}
    started, completed = num(run.get("started")), num(run.get("completed"))
    took = f" after {dur(completed - started)}" if started and completed else ""
    when = f" started {iso(started)}," if started else ""
    return (f"Workflow run `{run.get('run_id', '?')}`{when} {run.get('status', '?')}{took}: "
            f"{st.get('SucceededActions', '?')}/{st.get('TotalActions', '?')} actions succeeded, "
            f"{st.get('FailedActions', 0)} failed.")


def _step1(ev: dict, rec: Any, ctx: Context) -> list[str]:
    last = ev.get("last_run") or {}
    if last.get("status") == "never ran" or not last:
        return [f"Workflow `{last.get('workflow') or ev.get('workflow', '?')}` has never run: a valid PASSO 1 answer "
                "on a fresh environment."]
    return ["Last run: " + _run_sentence(last)]


def _aa1(ev: dict, rec: Any, ctx: Context) -> list[str]:
    out = []
    c = ev.get("bronze_crawl") or {}
    if c:
        took = dur(c.get("duration_s"))
        out.append(f"Crawler `{c.get('crawler')}` ran {took} from {iso(c.get('started'))}: {c.get('state')} / "
                   f"{c.get('last_status')}" + (f", error: {c['error']}" if c.get("error") else "")
                   + f" ({plural(c.get('tables_created') or 0, 'table')} created, {c.get('tables_updated') or 0} updated).")
    for name, info in (ev.get("bronze_table") or {}).items():
        out.append(_table_facts(name, info, ctx).capitalize() + "." if info else f"Table `{name}` is missing.")
    return out


def _aa2(ev: dict, rec: Any, ctx: Context) -> list[str]:
    results = ev.get("results") or {}
    reset = [j for j, r in results.items() if str(r).startswith("reset")]
    never = [j for j, r in results.items() if str(r).startswith("never-run")]
    other = {j: r for j, r in results.items() if j not in reset and j not in never}
    out = [f"Bookmarks: {plural(len(reset), 'job')} reset, {len(never)} never run (EntityNotFoundException, expected "
           f"for a job that never ran)" + (f", {len(other)} other: {names(other)}" if other else "")
           + (f"; jobs chosen by the {ev['source']}." if ev.get("source") else ".")]
    if ev.get("backup"):
        out.append(f"The previous bookmarks were saved first to `{ev['backup']}`.")
    return out


def _aa3(ev: dict, rec: Any, ctx: Context) -> list[str]:
    checked = ev.get("checked") or []
    took = dur(rec.finished - rec.started) if num(rec.started) and num(rec.finished) else "?"
    return [f"IAM propagation: every required action was allowed on {ev.get('stable_polls', '?')} consecutive polls "
            f"for the roles of {plural(len(checked), 'crawler or job', 'crawlers and jobs')}, after {took} (the runbook sleeps a fixed 60 s)."]


def _aa4(ev: dict, rec: Any, ctx: Context) -> list[str]:
    out = []
    run = ev.get("workflow_run") or ev.get("run") or {}
    if run:
        out.append(_run_sentence(run))
    actions = ev.get("actions") or []
    if actions:
        failed = [a for a in actions if a.get("state") not in ("SUCCEEDED", None)]
        out.append(f"{plural(len(actions), 'action')} on the timeline"
                   + (f"; not succeeded: " + ", ".join(f"`{a.get('name')}` {a.get('state')}" for a in failed)
                      if failed else ", all SUCCEEDED") + ".")
    elif ev.get("progress"):
        out.append(f"Progress observed on {plural(len(ev['progress']), 'poll')}.")
    return out


def _aa5(ev: dict, rec: Any, ctx: Context) -> list[str]:
    expected = ev.get("expected") or []
    present = set(ev.get("present") or [])
    missing = [t for t in expected if t not in present]
    out = [f"All {len(expected)} expected tables are in the catalog: {names(expected)}." if not missing
           else f"Missing from the catalog: {names(missing)} (present: {names(sorted(present))})."]
    tables = ev.get("tables") or {}
    if tables:
        rows = sum(t.get("rows", 0) for t in tables.values() if isinstance(t.get("rows"), int))
        objs = sum(t.get("objects", 0) for t in tables.values() if isinstance(t.get("objects"), int))
        out.append(f"Together they hold {count(objs)} objects and {count(rows)} counted rows "
                   "(see the data at a glance).")
    return out


def _athena(ev: dict, rec: Any, ctx: Context) -> list[str]:
    q = ev.get("athena") or {}
    if not q:
        return []
    s = f"Athena query `{q.get('sql')}` {q.get('state')} in {dur(q.get('duration_s'))}"
    if q.get("state") == "SUCCEEDED":
        s += f": {plural(q.get('row_count', 0), 'row')}, columns {', '.join(q.get('columns') or []) or 'none'}."
    else:
        s += f": {q.get('error')}."
    return [s]


def _logs(ev: dict, rec: Any, ctx: Context) -> list[str]:
    groups = ev.get("log_groups") or []
    hits = ev.get("critical_events") or []
    if not hits:
        return [f"No critical error in {plural(len(groups), 'log group')} since the run started."]
    return [f"{plural(len(hits), 'critical event')} in {plural(len(groups), 'log group')}; first: {hits[0]}."]


def _fv1(ev: dict, rec: Any, ctx: Context) -> list[str]:
    run = ev.get("run") or ev.get("workflow_run") or {}
    return [_run_sentence(run)] if run else []


def _table_item(ev: dict, rec: Any, ctx: Context) -> list[str]:
    out = []
    for key, info in ev.items():
        if isinstance(info, dict) and "columns" in info and "location" in info:
            s = _table_facts(key, info, ctx)
            stamp = info.get("updated") or info.get("created")
            word = "updated" if info.get("updated") else "created"
            s = s[0].upper() + s[1:] + (f", {word} {iso(stamp)}" if num(stamp) else "")
            if num(ev.get("run_started")):
                s += f" (the run started {iso(ev['run_started'])})"
            out.append(s + ".")
        elif key not in ("database", "environment", "workflow", "workflow_run", "run_started") and info is None:
            out.append(f"Table `{key}` is not in the catalog.")
    return out[:2]


def _fv6(ev: dict, rec: Any, ctx: Context) -> list[str]:
    q = ev.get("athena") or {}
    if q.get("state") not in (None, "SUCCEEDED"):
        return [f"Athena query `{q.get('sql')}` {q.get('state')}: {q.get('error')}; the data implies "
                f"{names(ev.get('implied') or [])}."]
    rows = q.get("rows") or []
    got = ", ".join(f"{r[0]} ({r[1]})" for r in rows if isinstance(r, list) and len(r) >= 2) or \
        ", ".join(ev.get("returned") or []) or "nothing"
    return [f"Athena returned the alert types {got}; the data implies exactly {names(ev.get('implied') or [])}."]


def _fv8(ev: dict, rec: Any, ctx: Context) -> list[str]:
    runs = ev.get("gold_runs") or []
    if len(runs) < 2:
        return [f"Gold job runs recorded: {len(runs)} (both are needed)."]
    a, b = runs[0], runs[1]
    spans = [f"`{r.get('name')}` {iso(r.get('started'))} for {dur((r.get('finished') or 0) - (r.get('started') or 0))}"
             for r in (a, b)]
    s = [num(r.get("started")) for r in (a, b)]
    f = [num(r.get("finished")) for r in (a, b)]
    if None in s or None in f:
        return [f"Gold runs: {'; '.join(spans)}; an interval is open, overlap unknown."]
    overlap = min(f) - max(s)  # type: ignore[type-var, operator]
    verdict = f"they overlapped for {dur(overlap)}" if overlap > 0 else f"they did not overlap (gap {dur(-overlap)})"
    return [f"Gold jobs ran {spans[0]} and {spans[1]}: {verdict}."]


def _diagnosis(ev: dict, rec: Any, ctx: Context) -> list[str]:
    out = []
    faults = [f.get("injected") for f in ev.get("faults") or [] if isinstance(f, dict) and f.get("injected")]
    probs = ev.get("problems") or []
    if faults:
        named = f"`lakegate diagnose` named {probs[0].get('id')}: {probs[0].get('symptom')}" if probs else \
            "`lakegate diagnose` named nothing"
        out.append(f"Injected fault `{faults[0]}`; {named}.")
    if probs and probs[0].get("fix"):
        out.append(f"Fix given: {probs[0]['fix']}")
    rec_lines = [r for r in ev.get("recovery") or [] if isinstance(r, str) and r.startswith("PASSO 5-6")]
    if rec_lines:
        out.append(f"Recovered: {rec_lines[0]}.")
    return out


BUILDERS: dict[str, Callable[[dict, Any, Context], list[str]]] = {
    "BA1": _ba1, "BA2": _ba2, "BA3": _ba3, "BA4": _ba4, "BA5": _ba5, "STEP1": _step1,
    "AA1": _aa1, "AA2": _aa2, "AA3": _aa3, "AA4": _aa4, "AA5": _aa5, "AA6": _athena, "AA7": _logs,
    "FV1": _fv1, "FV2": _table_item, "FV3": _table_item, "FV4": _table_item, "FV5": _table_item,
    "FV6": _fv6, "FV7": _logs, "FV8": _fv8,
    "P1": _diagnosis, "P2": _diagnosis, "P3": _diagnosis, "P4": _diagnosis, "P5": _diagnosis, "S1": _diagnosis,
}


def _end(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) or not text else text + "."


def record_sentences(item_id: str, rec: Any, ctx: Context | None = None) -> list[str]:
    """1-3 sentences for one evidence record of ``item_id``."""
    ctx = ctx or Context()
    ev = rec.evidence if isinstance(getattr(rec, "evidence", None), dict) else {}
    try:
        facts = BUILDERS.get(item_id, lambda *_: [])(ev, rec, ctx)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError):
        facts = []   # evidence of an unexpected shape: the full evidence stays in <details>
    out: list[str] = []
    if rec.status == "FAIL":
        line = re.sub(r"^Failed:\s*", "", rec.first_failure_line())
        out.append("Failed: " + _end(line or "the scenario failed"))
        probs = ev.get("problems") if isinstance(ev.get("problems"), list) else []
        diag = next((p for p in probs if isinstance(p, dict) and p.get("cause")), None)
        if diag is not None and item_id not in ("P1", "P2", "P3", "P4", "P5", "S1"):
            out.append(f"Runbook {diag.get('id')}: {_end(diag['cause'])} Fix: {_end(diag.get('fix', ''))}")
        else:
            problem, fix = RUNBOOK_HINTS.get(item_id, _DIAG_HINT)
            q = ev.get("athena") if isinstance(ev.get("athena"), dict) else {}
            if item_id in ("AA6", "FV6") and q.get("state") not in (None, "SUCCEEDED"):
                fix = ("the query itself did not succeed: check that the table exists (AA5, FV5) and its crawler "
                       "ran, and the workgroup's output location")
            out.append(f"Runbook: {problem}. Fix: {_end(fix)}")
        if item_id in ("AA4", "FV1") and ctx.failed_actions:
            facts = ["Failed action: " + "; ".join(f"`{n}` {st}" + (f": {err}" if err else "")
                                                   for n, st, err in ctx.failed_actions[:2])]
        out += facts[:1]
    elif rec.status == "SKIP":
        out.append("Skipped: " + _end(rec.first_failure_line() or "no reason given"))
        out += facts[:2]
    else:
        out += facts[:3] or [f"{rec.scenario}: {rec.status}."]
    if (num(rec.started) and num(rec.finished)) and len(out) < 3 and rec.status == "PASS" and not facts:
        out.append(f"Ran {dur(rec.finished - rec.started)} from {iso(rec.started)}.")
    return [mask_text(_end(s)) for s in out[:3]]


def item_sentences(item_result: Any, ctx: Context | None = None, waiver: str | None = None) -> list[str]:
    """Sentences for one checklist item (its first failing record leads; NOT RUN and waivers say so)."""
    recs = list(item_result.records)
    if not recs:
        out = ["Not run: the scenario was not selected or not reached in this run."]
    else:
        recs.sort(key=lambda r: {"FAIL": 0, "SKIP": 2}.get(r.status, 1))
        out = record_sentences(item_result.item.id, recs[0], ctx)
        if len(recs) > 1:
            out = out[:2] + [f"{len(recs)} scenarios: " + ", ".join(f"{r.scenario} {r.status}" for r in recs) + "."]
    if waiver:
        out = out[:2] + [f"Waived in lakegate.toml: {_end(waiver)}"]
    return [mask_text(s) for s in out]

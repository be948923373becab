"""Workflows that walk the trigger graph: StartWorkflowRun fires the ON_DEMAND start trigger,
CONDITIONAL triggers (AND/ANY over job ``State`` / crawler ``CrawlState``) fire when satisfied
within the same run, the actions of one trigger start together, and the run is COMPLETED when
nothing more can fire (even with failed actions, as on AWS). GetWorkflowRun(s) carry
``Statistics`` and (``IncludeGraph``) the ``Graph``; StopWorkflowRun -> STOPPING -> STOPPED
(:data:`localaws.glue.lifecycles.WORKFLOW_RUN`).

Dependencies run one way: this engine imports the crawler and job modules and subscribes to
:mod:`localaws.glue.state` (:func:`~localaws.glue.state.subscribe`) to hear when a crawl or job
run ends; ``state``, ``crawler`` and ``jobs`` never import it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from localaws.dispatch import AwsError, Ctx, override
from localaws.glue.exceptions import ConcurrentRunsExceededException, EntityNotFoundException, IllegalWorkflowStateException
from localaws.glue import crawler as crawler_mod
from localaws.glue import jobs as jobs_mod
from localaws.glue.lifecycles import WORKFLOW_RUN
from localaws.glue.state import WorkflowRun, glue_state, jsonable, lock, now, subscribe


def _workflow(ctx: Ctx, name: str) -> Any:
    glue = ctx.backend("glue")
    if name not in glue.workflows:
        raise EntityNotFoundException(f"Workflow with name {name} not found")
    return glue.workflows[name]


def triggers_of(ctx: Ctx, workflow: str) -> list[dict[str, Any]]:
    """The workflow's triggers as AWS dicts (Name, Type, State, Actions, Predicate)."""
    glue = ctx.backend("glue")
    return [t.as_dict() for t in glue.triggers.values() if t.workflow_name == workflow]


def condition_met(cond: dict[str, Any], job_states: dict[str, str], crawl_states: dict[str, str]) -> bool:
    """One predicate condition against the latest states of this workflow run's actions."""
    if cond.get("LogicalOperator", "EQUALS") != "EQUALS":
        return False
    if cond.get("JobName"):
        return job_states.get(cond["JobName"]) == cond.get("State")
    if cond.get("CrawlerName"):
        return crawl_states.get(cond["CrawlerName"]) == cond.get("CrawlState")
    return False


def predicate_met(predicate: dict[str, Any], job_states: dict[str, str], crawl_states: dict[str, str]) -> bool:
    """AND (default): all conditions; ANY: at least one. No conditions never fires."""
    conds = predicate.get("Conditions") or []
    if not conds:
        return False
    results = [condition_met(c, job_states, crawl_states) for c in conds]
    return any(results) if predicate.get("Logical", "AND") == "ANY" else all(results)


def _runs_of(ctx: Ctx, run: WorkflowRun) -> tuple[list[Any], list[Any]]:
    """(job runs, crawls) started by this workflow run."""
    st = glue_state(ctx)
    jr = [r for name, ids in run.job_runs.items() for r in st.job_runs.get(name, []) if r.id in ids]
    cr = [c for name, ids in run.crawls.items() for c in st.crawls.get(name, []) if c.crawl_id in ids]
    return jr, cr


def _latest_states(ctx: Ctx, run: WorkflowRun) -> tuple[dict[str, str], dict[str, str]]:
    jr, cr = _runs_of(ctx, run)
    jobs_s = {r.job_name: r.state for r in sorted(jr, key=lambda r: r.started_on)}
    crawls_s = {c.crawler: (c.status if c.end_time is not None else "RUNNING") for c in sorted(cr, key=lambda c: c.start_time)}
    return jobs_s, crawls_s


def _fire(ctx: Ctx, run: WorkflowRun, trigger: dict[str, Any]) -> None:
    """Start every action of ``trigger`` now (they run concurrently)."""
    st = glue_state(ctx)
    run.fired_triggers.append(trigger["Name"])
    for action in trigger.get("Actions") or []:
        try:
            if action.get("JobName"):
                name = action["JobName"]
                hold = name in st.hold_next_workflow_action
                st.hold_next_workflow_action.discard(name)
                args = {**(action.get("Arguments") or {}), "--WORKFLOW_NAME": run.workflow, "--WORKFLOW_RUN_ID": run.id}
                jr = jobs_mod.start_run(ctx, name, args, workflow_run_id=run.id,
                                        trigger_name=trigger["Name"], hold=hold, timeout=action.get("Timeout"))
                run.job_runs.setdefault(name, []).append(jr.id)
            elif action.get("CrawlerName"):
                name = action["CrawlerName"]
                hold = name in st.hold_next_workflow_action
                st.hold_next_workflow_action.discard(name)
                c = crawler_mod.start_crawl(ctx, name, workflow_run_id=run.id, hold=hold)
                run.crawls.setdefault(name, []).append(c.crawl_id)
        except AwsError as exc:  # e.g. ConcurrentRunsExceeded: an errored action, as on AWS
            run.errored.append(f"{action.get('JobName') or action.get('CrawlerName')}: {exc.code}: {exc.message}")


def _evaluate(ctx: Ctx, run: WorkflowRun) -> None:
    """Fire every satisfied conditional trigger not fired yet; finish the run when idle."""
    if run.status == "RUNNING":
        jobs_s, crawls_s = _latest_states(ctx, run)
        for trig in triggers_of(ctx, run.workflow):
            if trig["Type"] != "CONDITIONAL" or trig["Name"] in run.fired_triggers:
                continue
            if trig.get("State") != "ACTIVATED":
                continue
            if predicate_met(trig.get("Predicate") or {}, jobs_s, crawls_s):
                _fire(ctx, run, trig)
    stats = statistics(ctx, run)
    if stats["RunningActions"] == 0 and run.status in ("RUNNING", "STOPPING"):
        WORKFLOW_RUN.move(run, "status", "COMPLETED" if run.status == "RUNNING" else "STOPPED")
        run.completed_on = now(ctx)


@subscribe
def on_action_finished(ctx: Ctx, kind: str, name: str, run_id: str) -> None:
    """A crawl or job run ended (lock held): advance the workflow run that started it."""
    st = glue_state(ctx)
    for runs in st.workflow_runs.values():
        for run in runs.values():
            ids = (run.job_runs if kind == "job" else run.crawls).get(name) or []
            if run_id in ids:
                _evaluate(ctx, run)
                return


def statistics(ctx: Ctx, run: WorkflowRun) -> dict[str, int]:
    jr, cr = _runs_of(ctx, run)
    s = {"TotalActions": len(jr) + len(cr) + len(run.errored), "TimeoutActions": 0, "FailedActions": 0,
         "StoppedActions": 0, "SucceededActions": 0, "RunningActions": 0,
         "ErroredActions": len(run.errored), "WaitingActions": 0}
    for r in jr:
        key = {"SUCCEEDED": "SucceededActions", "FAILED": "FailedActions", "STOPPED": "StoppedActions",
               "TIMEOUT": "TimeoutActions", "ERROR": "ErroredActions"}.get(r.state, "RunningActions")
        s[key] += 1
    for c in cr:
        if c.end_time is None:
            s["RunningActions"] += 1
        else:
            s[{"SUCCEEDED": "SucceededActions", "FAILED": "FailedActions", "CANCELLED": "StoppedActions"}[c.status]] += 1
    return s


def graph(ctx: Ctx, workflow: str, run: WorkflowRun | None) -> dict[str, Any]:
    """``Graph`` {Nodes, Edges}: triggers, jobs and crawlers, with this run's job runs/crawls."""
    nodes: "OrderedDict[str, dict[str, Any]]" = OrderedDict()
    edges: list[dict[str, str]] = []
    st = glue_state(ctx)

    def node(kind: str, name: str) -> str:
        uid = f"{kind.lower()}_{name}"
        if uid not in nodes:
            n: dict[str, Any] = {"Type": kind, "Name": name, "UniqueId": uid}
            if kind == "JOB":
                runs = [r for r in st.job_runs.get(name, []) if run is not None and r.workflow_run_id == run.id]
                n["JobDetails"] = {"JobRuns": [jobs_mod.run_dict(ctx, r) for r in runs]} if run else {}
            elif kind == "CRAWLER":
                crawls = [c for c in st.crawls.get(name, []) if run is not None and c.workflow_run_id == run.id]
                n["CrawlerDetails"] = {"Crawls": [jsonable(crawler_mod.crawl_dict(c)) for c in crawls]} if run else {}
            nodes[uid] = n
        return uid

    for trig in triggers_of(ctx, workflow):
        tid = f"trigger_{trig['Name']}"
        nodes[tid] = {"Type": "TRIGGER", "Name": trig["Name"], "UniqueId": tid, "TriggerDetails": {"Trigger": trig}}
        for cond in (trig.get("Predicate") or {}).get("Conditions") or []:
            if cond.get("JobName"):
                edges.append({"SourceId": node("JOB", cond["JobName"]), "DestinationId": tid})
            elif cond.get("CrawlerName"):
                edges.append({"SourceId": node("CRAWLER", cond["CrawlerName"]), "DestinationId": tid})
        for action in trig.get("Actions") or []:
            if action.get("JobName"):
                edges.append({"SourceId": tid, "DestinationId": node("JOB", action["JobName"])})
            elif action.get("CrawlerName"):
                edges.append({"SourceId": tid, "DestinationId": node("CRAWLER", action["CrawlerName"])})
    return {"Nodes": list(nodes.values()), "Edges": edges}


def run_dict(ctx: Ctx, run: WorkflowRun, include_graph: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "Name": run.workflow,
        "WorkflowRunId": run.id,
        "StartedOn": run.started_on,
        "Status": run.status,
        "Statistics": statistics(ctx, run),
        "WorkflowRunProperties": run.properties,
    }
    if run.previous_run_id:
        d["PreviousRunId"] = run.previous_run_id
    if run.completed_on is not None:
        d["CompletedOn"] = run.completed_on
    if run.errored:
        d["ErrorMessage"] = "; ".join(run.errored)
    if include_graph:
        d["Graph"] = graph(ctx, run.workflow, run)
    return jsonable(d)


def start_workflow_run(ctx: Ctx, name: str, properties: dict[str, str] | None = None) -> WorkflowRun:
    """StartWorkflowRun (lock held): a new run that fires the ON_DEMAND start trigger(s)."""
    wf = _workflow(ctx, name)
    st = glue_state(ctx)
    runs = st.workflow_runs.setdefault(name, OrderedDict())
    limit = wf.max_concurrent_runs
    if limit and sum(1 for r in runs.values() if r.status in ("RUNNING", "STOPPING")) >= limit:
        raise ConcurrentRunsExceededException(f"Concurrent runs exceeded for workflow: {name}")
    props = dict(wf.default_run_properties or {})
    props.update(properties or {})
    run = WorkflowRun(workflow=name, started_on=now(ctx), properties=props,
                      previous_run_id=next(reversed(runs)) if runs else None)
    runs[run.id] = run
    starts = [t for t in triggers_of(ctx, name) if t["Type"] == "ON_DEMAND"]
    for trig in starts:
        _fire(ctx, run, trig)
    _evaluate(ctx, run)
    return run


def _get_run(ctx: Ctx, name: str, run_id: str) -> WorkflowRun:
    _workflow(ctx, name)
    run = (glue_state(ctx).workflow_runs.get(name) or {}).get(run_id)
    if run is None:
        raise EntityNotFoundException(f"Workflow run {run_id} not found for workflow {name}")
    return run


# --- handlers ----------------------------------------------------------------------------------

@override("glue", "StartWorkflowRun", errors=(EntityNotFoundException, ConcurrentRunsExceededException))
def h_start_workflow_run(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        run = start_workflow_run(ctx, params.get("Name") or "", params.get("RunProperties"))
        return {"RunId": run.id}


@override("glue", "GetWorkflowRun", errors=(EntityNotFoundException,))
def h_get_workflow_run(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        run = _get_run(ctx, params.get("Name") or "", params.get("RunId") or "")
        return {"Run": run_dict(ctx, run, bool(params.get("IncludeGraph")))}


@override("glue", "GetWorkflowRuns", errors=(EntityNotFoundException,))
def h_get_workflow_runs(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        name = params.get("Name") or ""
        _workflow(ctx, name)
        runs = list(reversed(list((glue_state(ctx).workflow_runs.get(name) or {}).values())))
        runs = runs[: int(params.get("MaxResults") or 100)]
        return {"Runs": [run_dict(ctx, r, bool(params.get("IncludeGraph"))) for r in runs]}


@override("glue", "GetWorkflow", errors=(EntityNotFoundException,))
def h_get_workflow(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        name = params.get("Name") or ""
        wf = _workflow(ctx, name)
        d = jsonable(wf.as_dict())
        d.pop("LastRun", None)
        runs = glue_state(ctx).workflow_runs.get(name) or {}
        if runs:
            d["LastRun"] = run_dict(ctx, runs[next(reversed(runs))], bool(params.get("IncludeGraph")))
        if params.get("IncludeGraph"):
            d["Graph"] = graph(ctx, name, None)
        return {"Workflow": d}


@override("glue", "StopWorkflowRun", errors=(EntityNotFoundException, IllegalWorkflowStateException))
def h_stop_workflow_run(ctx: Ctx, params: dict) -> dict:
    """STOPPING, stop every running job run / crawl of the run, STOPPED when they all ended."""
    with lock(ctx):
        run = _get_run(ctx, params.get("Name") or "", params.get("RunId") or "")
        if run.status != "RUNNING":
            raise IllegalWorkflowStateException(f"Workflow run {run.id} is not in running state ({run.status})")
        WORKFLOW_RUN.move(run, "status", "STOPPING")
        jr, cr = _runs_of(ctx, run)
        for r in jr:
            if r.state in jobs_mod.ACTIVE and not r.stop_requested:
                jobs_mod.stop_run(ctx, r)
        for c in cr:
            if c.end_time is None and not c.cancel_requested:
                crawler_mod.stop_crawl(ctx, c.crawler)
        _evaluate(ctx, run)
        return {}

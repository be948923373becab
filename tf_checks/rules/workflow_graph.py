"""Workflow graph rules: is each Glue workflow a well-formed, runnable graph?

Each rule is declared once in :mod:`tf_checks.registry`; :func:`summaries` gives the workflow
summaries of the JSON output (action count, jobs/crawlers started together).
"""

from __future__ import annotations

from typing import Iterable

from tf_checks.findings import Finding, WorkflowSummary
from tf_checks.model import Trigger, Workflow
from tf_checks.registry import check, declare, declare_family
from tf_checks.rules import Context

declare_family("LG-WF", "Workflow graph",
               "Glue workflow graph: one start trigger, conditions that use crawl_state for "
               "crawlers and state for jobs, every watched job/crawler started in the same "
               "workflow, each job/crawler started once per run, names that resolve.")

WF_001 = declare("LG-WF-001", "Workflow without exactly one start trigger", "high", "LG-WF",
                 "A workflow has no start trigger or more than one (ON_DEMAND/SCHEDULED/EVENT with "
                 "`workflow_name`). Fix: keep one start trigger; make the others CONDITIONAL.")
WF_002 = declare("LG-WF-002", "Condition waits on a job/crawler the workflow never starts", "high", "LG-WF",
                 "A conditional trigger waits on a job or crawler that no trigger of the same "
                 "workflow starts, so the condition never fires in a workflow run (a run started "
                 "outside the workflow does not count). One finding per (trigger, waited-on name).")
WF_003 = declare("LG-WF-003", "Condition uses the wrong state field", "high", "LG-WF",
                 "A condition on a crawler must use `crawl_state` (not `state`); a condition on a job "
                 "must use `state` (not `crawl_state`). Glue never matches the wrong one.")
WF_004 = declare("LG-WF-004", "Duplicate trigger edge", "medium", "LG-WF",
                 "Two triggers (or two actions of one trigger) have the same predicate and start the "
                 "same job/crawler: the action is requested twice for one event.")
WF_005 = declare("LG-WF-005", "Trigger names an undeclared job/crawler", "high", "LG-WF",
                 "A trigger action or condition names a job or crawler that is not declared in the "
                 "plan (or an action has neither). Fix: reference the resource "
                 "(`aws_glue_job.x.name`) instead of a literal.")
WF_006 = declare("LG-WF-006", "Trigger names an undeclared workflow", "high", "LG-WF",
                 "A trigger belongs to a workflow that is not declared in the plan.")
WF_007 = declare("LG-WF-007", "Job or crawler started by two triggers of one workflow", "high", "LG-WF",
                 "Two different triggers of the same workflow start the same job or crawler (with "
                 "different predicates, e.g. the start trigger and a conditional trigger, or two "
                 "conditional triggers): every workflow run starts it twice -- duplicate output, "
                 "concurrent-run failures (`ConcurrentRunsExceededException`) or a crawler "
                 "`CrawlerRunningException`. Identical (predicate, action) pairs are LG-WF-004. "
                 "Fix: start it from one trigger; if it must wait for several predecessors, use "
                 "one CONDITIONAL trigger with `logical = \"AND\"` over all of them.")


def _pred(tv: Trigger) -> tuple:
    if tv.is_start:
        return ("start",)
    return (tv.logical, tuple(sorted((c.job_name or "", c.crawler_name or "", c.state or "",
                                      c.crawl_state or "") for c in tv.conditions)))


@check("workflow_graph", order=20)
def run(ctx: Context) -> Iterable[Finding]:
    findings: list[Finding] = []
    jobs, crawlers = ctx.jobs_by_name, ctx.crawlers_by_name
    declared = {Workflow(w).name for w in ctx.workflows}

    for wf_name, triggers in ctx.triggers_by_workflow.items():
        if wf_name and wf_name not in declared:
            for t in triggers:
                findings.append(WF_006.finding(
                    t.address, f"trigger {Trigger(t).name} belongs to workflow {wf_name}, which is "
                               "not declared in the plan",
                    fix="declare the aws_glue_workflow or fix workflow_name"))
        for t in triggers:
            tv = Trigger(t)
            for a in tv.actions:
                if a.job_name and a.job_name not in jobs:
                    findings.append(_unknown(t.address, tv.name, "job", a.job_name))
                if a.crawler_name and a.crawler_name not in crawlers:
                    findings.append(_unknown(t.address, tv.name, "crawler", a.crawler_name))
                if not a.job_name and not a.crawler_name:
                    findings.append(WF_005.finding(t.address, f"trigger {tv.name} has an action "
                                                              "without a job or crawler name"))
            for c in tv.conditions:
                if c.job_name and c.job_name not in jobs:
                    findings.append(_unknown(t.address, tv.name, "job", c.job_name))
                if c.crawler_name and c.crawler_name not in crawlers:
                    findings.append(_unknown(t.address, tv.name, "crawler", c.crawler_name))

    for wf in ctx.workflows:
        name = Workflow(wf).name or ""
        triggers = ctx.triggers_by_workflow.get(name, []) if name else []
        starts = [t for t in triggers if Trigger(t).is_start]
        if len(starts) != 1:
            what = "no start trigger" if not starts else \
                f"{len(starts)} start triggers ({', '.join(str(Trigger(t).name) for t in starts)})"
            findings.append(WF_001.finding(
                wf.address, f"workflow {name} has {what}; it needs exactly one",
                fix="keep one ON_DEMAND (or SCHEDULED) trigger with workflow_name set; make the "
                    "others CONDITIONAL"))
        started: set[str] = set()
        seen_pairs: dict[tuple, str] = {}
        starters: dict[str, list[str]] = {}   # target -> trigger names starting it (distinct edges)
        first_addr: dict[str, str] = {}
        for t in triggers:
            tv = Trigger(t)
            targets = [a.target for a in tv.actions if a.target]
            started.update(targets)
            pred = _pred(tv)
            for target in targets:
                key = (pred, target)
                if key in seen_pairs:
                    findings.append(WF_004.finding(
                        t.address, f"triggers {seen_pairs[key]} and {tv.name} both start {target} "
                                   f"on the same predicate in workflow {name}"
                        if seen_pairs[key] != str(tv.name) else
                        f"trigger {tv.name} starts {target} twice in workflow {name}",
                        fix="remove the duplicate trigger/action"))
                    continue
                seen_pairs[key] = str(tv.name)
                starters.setdefault(target, []).append(str(tv.name))
                first_addr.setdefault(target, t.address)
        for t in triggers:
            tv = Trigger(t)
            for target in dict.fromkeys(a.target for a in tv.actions if a.target):
                names = starters.get(target, [])
                if len(names) >= 2 and names[1] == str(tv.name):   # report once, at the 2nd starter
                    findings.append(WF_007.finding(
                        t.address,
                        f"{target} is started by {len(names)} triggers of workflow {name} "
                        f"({', '.join(names)}): each workflow run starts it {len(names)} times",
                        fix=f"start {target} from one trigger; to wait for several predecessors use "
                            "one CONDITIONAL trigger with logical = \"AND\""))
        for t in triggers:
            tv = Trigger(t)
            for c in tv.conditions:
                target = c.job_name or c.crawler_name
                if target and target not in started:
                    findings.append(WF_002.finding(
                        t.address, f"trigger {tv.name} waits on {target}, which no trigger of "
                                   f"workflow {name} starts, so it never fires",
                        fix=f"start {target} from a trigger of workflow {name} or change the condition"))
                if c.crawler_name and (c.crawl_state is None or c.state is not None):
                    findings.append(WF_003.finding(
                        t.address, f"trigger {tv.name}: the condition on crawler {c.crawler_name} "
                                   "must use crawl_state (not state)",
                        fix='write crawl_state = "SUCCEEDED"'))
                if c.job_name and (c.state is None or c.crawl_state is not None):
                    findings.append(WF_003.finding(
                        t.address, f"trigger {tv.name}: the condition on job {c.job_name} must use "
                                   "state (not crawl_state)",
                        fix='write state = "SUCCEEDED"'))
    return findings


def summaries(ctx: Context) -> list[WorkflowSummary]:
    out = []
    for wf in ctx.workflows:
        name = Workflow(wf).name or ""
        triggers = ctx.triggers_by_workflow.get(name, []) if name else []
        n_actions = 0
        groups: list[list[str]] = []
        for t in triggers:
            tv = Trigger(t)
            targets = [a.target for a in tv.actions if a.target]
            n_actions += len(tv.actions)
            if len(targets) >= 2:
                groups.append(sorted(targets))
        out.append(WorkflowSummary(name=name, actions=n_actions, parallel_groups=groups))
    return out


def check(ctx: Context) -> tuple[list[Finding], list[WorkflowSummary]]:
    """Compatibility: (findings, summaries); the engine runs :func:`run` through the registry."""
    return list(run(ctx)), summaries(ctx)


def _unknown(address: str, trigger: str | None, kind: str, name: str) -> Finding:
    return WF_005.finding(address, f"trigger {trigger} names {kind} {name!r}, which is not declared "
                                   "in the plan",
                          fix=f"reference the {kind} resource (aws_glue_{kind}.<x>.name) instead of a literal")

"""Workflow graph rules: is each Glue workflow a well-formed, runnable graph?

* LG-WF-001 a workflow has no start trigger or more than one (ON_DEMAND/SCHEDULED/EVENT);
* LG-WF-002 a condition waits on a job/crawler that no trigger of the same workflow starts
  (the condition can never fire);
* LG-WF-003 a condition on a crawler uses ``state`` instead of ``crawl_state`` (or a job
  condition uses ``crawl_state``): Glue never matches it;
* LG-WF-004 two triggers with the same (predicate, action) pair (the action runs twice);
* LG-WF-005 a trigger names a job/crawler that is not declared in the plan;
* LG-WF-006 a trigger names a workflow that is not declared in the plan.

Also returns the workflow summaries (action count, jobs/crawlers started together).
"""

from __future__ import annotations

from tf_checks.findings import Finding, WorkflowSummary
from tf_checks.model import Trigger, Workflow
from tf_checks.rules import Context


def check(ctx: Context) -> tuple[list[Finding], list[WorkflowSummary]]:
    findings: list[Finding] = []
    summaries: list[WorkflowSummary] = []
    jobs, crawlers = ctx.jobs_by_name, ctx.crawlers_by_name
    declared = {Workflow(w).name for w in ctx.workflows}

    for wf_name, triggers in ctx.triggers_by_workflow.items():
        if wf_name and wf_name not in declared:
            for t in triggers:
                findings.append(Finding("LG-WF-006", "high", t.address,
                                        f"trigger {Trigger(t).name} belongs to workflow {wf_name}, "
                                        "which is not declared in the plan",
                                        fix="declare the aws_glue_workflow or fix workflow_name"))
        for t in triggers:
            tv = Trigger(t)
            for a in tv.actions:
                if a.job_name and a.job_name not in jobs:
                    findings.append(_unknown(t.address, tv.name, "job", a.job_name))
                if a.crawler_name and a.crawler_name not in crawlers:
                    findings.append(_unknown(t.address, tv.name, "crawler", a.crawler_name))
                if not a.job_name and not a.crawler_name:
                    findings.append(Finding("LG-WF-005", "high", t.address,
                                            f"trigger {tv.name} has an action without a job or crawler name"))
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
            findings.append(Finding("LG-WF-001", "high", wf.address,
                                    f"workflow {name} has {what}; it needs exactly one",
                                    fix="keep one ON_DEMAND (or SCHEDULED) trigger with "
                                        "workflow_name set; make the others CONDITIONAL"))
        started: set[str] = set()
        n_actions = 0
        groups: list[list[str]] = []
        seen_pairs: dict[tuple, str] = {}
        for t in triggers:
            tv = Trigger(t)
            targets = [a.target for a in tv.actions if a.target]
            started.update(targets)
            n_actions += len(tv.actions)
            if len(targets) >= 2:
                groups.append(sorted(targets))
            pred = (tv.logical, tuple(sorted((c.job_name or "", c.crawler_name or "",
                                              c.state or "", c.crawl_state or "")
                                             for c in tv.conditions))) if not tv.is_start else ("start",)
            for target in targets:
                key = (pred, target)
                if key in seen_pairs:
                    findings.append(Finding("LG-WF-004", "medium", t.address,
                                            f"triggers {seen_pairs[key]} and {tv.name} both start "
                                            f"{target} on the same predicate in workflow {name}",
                                            fix="remove the duplicate trigger/action"))
                else:
                    seen_pairs[key] = str(tv.name)
        for t in triggers:
            tv = Trigger(t)
            for c in tv.conditions:
                target = c.job_name or c.crawler_name
                if target and target not in started:
                    findings.append(Finding("LG-WF-002", "high", t.address,
                                            f"trigger {tv.name} waits on {target}, which no trigger "
                                            f"of workflow {name} starts, so it never fires",
                                            fix=f"start {target} from a trigger of workflow {name} "
                                                "or change the condition"))
                if c.crawler_name and (c.crawl_state is None or c.state is not None):
                    findings.append(Finding("LG-WF-003", "high", t.address,
                                            f"trigger {tv.name}: the condition on crawler "
                                            f"{c.crawler_name} must use crawl_state (not state)",
                                            fix='write crawl_state = "SUCCEEDED"'))
                if c.job_name and (c.state is None or c.crawl_state is not None):
                    findings.append(Finding("LG-WF-003", "high", t.address,
                                            f"trigger {tv.name}: the condition on job {c.job_name} "
                                            "must use state (not crawl_state)",
                                            fix='write state = "SUCCEEDED"'))
        summaries.append(WorkflowSummary(name=name, actions=n_actions, parallel_groups=groups))
    return findings, summaries


def _unknown(address: str, trigger: str | None, kind: str, name: str) -> Finding:
    return Finding("LG-WF-005", "high", address,
                   f"trigger {trigger} names {kind} {name!r}, which is not declared in the plan",
                   fix=f"reference the {kind} resource (aws_glue_{kind}.<x>.name) instead of a literal")

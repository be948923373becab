"""Change impact: the post-apply steps the runbook requires, derived from the plan's changes.

The runbook (WORKFLOW_RECOVERY_GUIDE.md) after a Terraform change: run the bronze crawler when
its target/schema changed (PASSO 2), reset job bookmarks whose input schema or code changed
(PASSO 3), wait for IAM propagation after role/policy changes (PASSO 4), then run the workflow
(PASSO 5). Before all that, the Checklist Antes asks for a backup: ``backup_before_apply`` is true
when the apply deletes data (``data_at_risk``: what, from the LG-SAFE deletion rules) or the
recovery resets bookmarks (``lakegate backup`` saves them with their run ids). This module computes exactly which of those apply, with a reason for each, as the
machine-readable recovery plan ``{"version": 1, ...}`` that ``lakegate recover`` consumes.

Decisions: a *created* job has no bookmark to reset; a crawler is listed in ``crawlers_to_run``
only when no workflow that will be run starts it (the workflow run covers the others).
"""

from __future__ import annotations

from typing import Any

from tf_checks.model import Crawler, Job, Resource, Trigger, Workflow, as_dict, as_list
from tf_checks.rules import Context, extra_py_files
from tf_checks.rules.consistency import crawler_table_name

_CONTENT_KEYS = ("etag", "source_hash", "content", "content_base64", "source")


def _changed_keys(res: Resource) -> set[str]:
    before = res.before or {}
    keys = {k for k in set(before) | set(res.values) if before.get(k) != res.values.get(k)}
    keys |= {k for k, v in res.after_unknown.items() if v is True or (v and k in before)}
    return keys


def recovery_plan(ctx: Context) -> dict[str, Any]:
    reasons: list[dict[str, str]] = []
    crawlers: dict[str, None] = {}
    bookmarks: dict[str, None] = {}
    iam_wait = False

    def add(step: str, target: str, because: str, bucket: dict[str, None] | None) -> None:
        if bucket is not None:
            bucket.setdefault(target, None)
        reasons.append({"step": step, "target": target, "because": because})

    # tables read by each job (from --*_table arguments) and which crawler makes each table
    table_maker: dict[str, str] = {}
    for res in ctx.plan.of("aws_glue_crawler"):
        c = Crawler(res)
        for t in as_list(res.values.get("s3_target")):
            p = as_dict(t).get("path")
            if isinstance(p, str) and c.name:
                table_maker[crawler_table_name(c.table_prefix, p)] = c.name
    changed_crawlers: set[str] = set()
    for res in ctx.plan.of("aws_glue_crawler"):
        c = Crawler(res)
        if res.changed and c.name:
            verb = "is created" if "create" in res.actions and not res.before else "changes"
            changed_crawlers.add(c.name)
            add("run_crawler", c.name, f"{res.address} {verb} ({', '.join(sorted(_changed_keys(res)))[:200]})",
                crawlers)

    # objects whose content changes, by URL
    changed_objects: dict[str, str] = {}
    for url, obj in ctx.objects_by_url.items():
        if obj.changed and (obj.before is not None) and (_changed_keys(obj) & set(_CONTENT_KEYS)):
            changed_objects[url] = obj.address
    for res in ctx.plan.of("aws_glue_job"):
        j = Job(res)
        if not j.name or "create" in res.actions and not res.before:
            continue
        args = j.arguments
        script = j.script_location
        for url in [script, args.get("--sql_path"), *extra_py_files(args)]:
            if isinstance(url, str) and url in changed_objects:
                add("reset_bookmark", j.name, f"{changed_objects[url]} ({url}) content changes", bookmarks)
        if res.changed and "default_arguments" in _changed_keys(res):
            add("reset_bookmark", j.name, f"{res.address} arguments change", bookmarks)
        for k, v in args.items():
            if k.endswith("_table") and isinstance(v, str) and table_maker.get(v.lower()) in changed_crawlers:
                add("reset_bookmark", j.name, f"its input table {v} is re-crawled by "
                    f"{table_maker[v.lower()]} (schema may change)", bookmarks)

    # changes that alter what a job sees next (data_safety LG-SAFE-007/008/009): the bookmark
    # resets they require, and what to remember where no reset is due yet
    from tf_checks.rules import data_safety

    for change in data_safety.job_view_changes(ctx):
        for job, why in change.resets:
            add("reset_bookmark", job, why, bookmarks)
        for job, what in change.notes:
            add("bookmark_note", job, what, None)
    # data an apply deletes (LG-SAFE-001/002/003): back up first (runbook Checklist Antes, item 1)
    lost = list(data_safety.deletions(ctx)) + [f for f in data_safety.job_view(ctx)
                                               if f.rule_id == data_safety.JOB_LOST.id]
    at_risk = [{"address": f.address, "rule": f.rule_id, "what": f.message} for f in lost]
    for item in at_risk:
        add("backup_before_apply", item["address"], item["what"], None)

    for res in ctx.plan.resources:
        if res.type.startswith("aws_iam_") and res.mode == "managed" and res.changed:
            iam_wait = True
            add("wait_iam_propagation", res.address, f"{res.address} {'/'.join(res.actions)}", None)

    # workflows to run: any whose triggers start an affected job/crawler, or whose graph changes
    affected = set(crawlers) | set(bookmarks)
    run: dict[str, None] = {}
    for wf_name, triggers in ctx.triggers_by_workflow.items():
        if not wf_name:
            continue
        targets = {a.target for t in triggers for a in Trigger(t).actions if a.target}
        hit = sorted(targets & affected)
        if hit:
            add("run_workflow", wf_name, f"it runs {', '.join(hit)}", run)
        elif any(t.changed for t in triggers):
            add("run_workflow", wf_name, "its triggers change", run)
    for wf in ctx.workflows:
        if wf.changed and Workflow(wf).name and Workflow(wf).name not in run:
            add("run_workflow", str(Workflow(wf).name), f"{wf.address} {'/'.join(wf.actions)}", run)
    in_run = {a.target for w in run for t in ctx.triggers_by_workflow.get(w, [])
              for a in Trigger(t).actions if a.target}
    to_run = [c for c in crawlers if c not in in_run]
    return {"version": 1, "crawlers_to_run": to_run, "bookmarks_to_reset": list(bookmarks),
            "iam_propagation_wait": iam_wait, "run_workflow": list(run), "reasons": reasons,
            "backup_before_apply": bool(at_risk or bookmarks), "data_at_risk": at_risk}

"""Fault injection, one per runbook symptom, each made through the state a real incident changes
(catalog, IAM policy, bookmark, crawler target, job arguments) and each with a clear.

``lakegate local fault NAME [--clear]`` reaches these through the server's admin endpoint
(:func:`localaws.dispatch.register_fault`); they run with the runtime lock held. What a fault
changed is kept in ``runtime.state["faults"]`` so ``clear`` restores exactly that.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from localaws.dispatch import AwsError, Ctx, register_fault, register_request_gate

STALE_FIELD = "engineTempCelsius"
HELD_FAR_FUTURE = 10 * 365 * 86400.0


def _ctx(runtime: Any) -> Ctx:
    return Ctx(service="glue", operation="fault", runtime=runtime)


def _saved(runtime: Any) -> dict[str, Any]:
    store = getattr(runtime, "state", None)
    if not isinstance(store, dict):
        raise AwsError("InvalidState", "the runtime keeps no state; faults need the local server")
    return store.setdefault("faults", {})


def _bronze_crawler(ctx: Ctx) -> Any:
    glue = ctx.backend("glue")
    for c in glue.crawlers.values():
        if c.table_prefix == "bronze_" or "bronze" in c.name:
            return c
    raise AwsError("EntityNotFoundException", "no bronze crawler deployed (run `lakegate deploy --target local` first)")


def _job(ctx: Ctx, marker: str) -> Any:
    glue = ctx.backend("glue")
    for j in glue.jobs.values():
        if marker in j.name:
            return j
    raise AwsError("EntityNotFoundException", f"no job named like *{marker}* deployed")


# --- stale-schema --------------------------------------------------------------------------------

def _drop_field(type_str: str, field: str) -> str:
    from localaws.glue import schema_infer

    t = schema_infer.parse_glue_type(type_str)
    import pyarrow as pa

    def strip(dt: pa.DataType) -> pa.DataType:
        if pa.types.is_struct(dt):
            return pa.struct([pa.field(f.name, strip(f.type)) for f in dt if f.name != field])
        return dt

    return schema_infer.glue_type(strip(t))


def stale_schema(runtime: Any) -> dict:
    """The bronze catalog table loses ``metrics.engineTempCelsius`` (data and SQL still have it):
    the silver job then fails with ``Column 'metrics.engineTempCelsius' does not exist``."""
    ctx = _ctx(runtime)
    glue = ctx.backend("glue")
    crawler = _bronze_crawler(ctx)
    db, name = crawler.database_name, "bronze_car_data"
    try:
        table = glue.get_table(db, name)
    except Exception as exc:
        raise AwsError("EntityNotFoundException", f"table {db}.{name} not found: run the bronze crawler first") from exc
    from localaws.glue.crawler import _table_input

    tin = _table_input(table)
    original = copy.deepcopy(tin)
    cols = tin["StorageDescriptor"]["Columns"]
    changed = False
    for c in cols:
        if c["Name"] == "metrics" and STALE_FIELD in c["Type"]:
            c["Type"] = _drop_field(c["Type"], STALE_FIELD)
            changed = True
    if not changed:
        return {"changed": False, "table": f"{db}.{name}", "why": f"metrics.{STALE_FIELD} already absent"}
    glue.update_table(db, name, tin)
    for p in table.partitions.values():
        sd = p.partition_input.get("StorageDescriptor") or {}
        for c in sd.get("Columns") or []:
            if c["Name"] == "metrics":
                c["Type"] = _drop_field(c["Type"], STALE_FIELD)
    _saved(runtime)["stale-schema"] = {"db": db, "table": name, "columns": original["StorageDescriptor"]["Columns"]}
    return {"changed": True, "table": f"{db}.{name}", "removed": f"metrics.{STALE_FIELD}"}


def clear_stale_schema(runtime: Any) -> dict:
    ctx = _ctx(runtime)
    saved = _saved(runtime).pop("stale-schema", None)
    if not saved:
        return {"changed": False}
    glue = ctx.backend("glue")
    from localaws.glue.crawler import _table_input

    table = glue.get_table(saved["db"], saved["table"])
    tin = _table_input(table)
    tin["StorageDescriptor"]["Columns"] = saved["columns"]
    glue.update_table(saved["db"], saved["table"], tin)
    for p in table.partitions.values():
        sd = p.partition_input.get("StorageDescriptor") or {}
        if "Columns" in sd:
            sd["Columns"] = copy.deepcopy(saved["columns"])
    return {"changed": True, "table": f"{saved['db']}.{saved['table']}"}


# --- crawler-access-denied -----------------------------------------------------------------------

def _crawler_role(ctx: Ctx, crawler: Any) -> Any:
    iam = ctx.backend("iam")
    return iam.get_role_by_arn(crawler.role) if crawler.role.startswith("arn:") else iam.get_role(crawler.role)


def crawler_access_denied(runtime: Any) -> dict:
    """The bronze crawler role's inline policy loses ``glue:BatchGetPartition`` (runbook Problem 2)."""
    ctx = _ctx(runtime)
    role = _crawler_role(ctx, _bronze_crawler(ctx))
    saved = _saved(runtime).setdefault("crawler-access-denied", {"role": role.name, "policies": {}})
    changed = []
    for pname, doc in list(role.policies.items()):
        d = json.loads(doc) if isinstance(doc, str) else copy.deepcopy(doc)
        stmts = d.get("Statement") or []
        stmts = stmts if isinstance(stmts, list) else [stmts]
        touched = False
        for s in stmts:
            acts = s.get("Action")
            if isinstance(acts, str):
                acts = [acts]
            if acts and "glue:BatchGetPartition" in acts:
                s["Action"] = [a for a in acts if a != "glue:BatchGetPartition"]
                touched = True
        if touched:
            saved["policies"].setdefault(pname, doc)
            role.policies[pname] = json.dumps(d)
            changed.append(pname)
    return {"role": role.name, "policies_changed": changed}


def clear_crawler_access_denied(runtime: Any) -> dict:
    ctx = _ctx(runtime)
    saved = _saved(runtime).pop("crawler-access-denied", None)
    if not saved:
        return {"changed": False}
    role = ctx.backend("iam").get_role(saved["role"])
    for pname, doc in saved["policies"].items():
        role.policies[pname] = doc
    return {"role": saved["role"], "policies_restored": sorted(saved["policies"])}


# --- stuck-bookmark ------------------------------------------------------------------------------

def _job_inputs(ctx: Ctx, job: Any) -> list[str]:
    """The incremental input names (transformation_ctx) of a job, from its SQL header."""
    from lakegate.sqlrun import parse_job_sql
    from localaws.glue import naming
    from localaws.glue.state import get_object

    path = (job.default_arguments or {}).get("--sql_path")
    if not path:
        return []
    bucket, key = naming.parse_s3_url(path)
    try:
        sql = parse_job_sql(get_object(ctx, bucket, key).decode("utf-8"), source=path)
    except Exception:
        return []
    return [i.name for i in sql.inputs if i.kind == "catalog" and i.incremental]


def stuck_bookmark(runtime: Any) -> dict:
    """Every bookmarked job's bookmark high-water mark jumps into the future (the clock-skew
    incident): runs SUCCEED but treat every file, new ones included, as already processed."""
    from localaws.glue import bookmarks
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime)
    st = glue_state(ctx)
    saved = _saved(runtime).setdefault("stuck-bookmark", {})
    future = time.time() + HELD_FAR_FUTURE
    stuck = []
    for job in ctx.backend("glue").jobs.values():
        if (job.default_arguments or {}).get("--job-bookmark-option") != bookmarks.ENABLE:
            continue
        bm = st.bookmarks.get(job.name)
        if bm is None:
            bm = st.bookmarks[job.name] = bookmarks.Bookmark(job.name, run=1, version=1)
            saved.setdefault(job.name, None)  # created by the fault: clear removes it
        else:
            saved.setdefault(job.name, {})
        for name in _job_inputs(ctx, job) or list(bm.inputs):
            mark = bm.inputs.setdefault(name, bookmarks.InputMark())
            if isinstance(saved[job.name], dict):
                saved[job.name].setdefault(name, mark.high_water)
            mark.high_water = future
        stuck.append(job.name)
    return {"jobs": stuck}


def clear_stuck_bookmark(runtime: Any) -> dict:
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime)
    st = glue_state(ctx)
    saved = _saved(runtime).pop("stuck-bookmark", {})
    for job_name, marks in saved.items():
        bm = st.bookmarks.get(job_name)
        if bm is None:
            continue
        if marks is None:  # the fault created this bookmark
            del st.bookmarks[job_name]
            continue
        for name, hw in marks.items():
            if name in bm.inputs:
                bm.inputs[name].high_water = hw
    return {"jobs": sorted(saved)}


# --- empty-crawler-target ------------------------------------------------------------------------

def empty_crawler_target(runtime: Any) -> dict:
    """The bronze crawler's S3 target moves to an empty prefix (runbook Problem 4): the crawl
    SUCCEEDS and creates nothing."""
    ctx = _ctx(runtime)
    crawler = _bronze_crawler(ctx)
    saved = _saved(runtime)
    if "empty-crawler-target" not in saved:
        saved["empty-crawler-target"] = {"crawler": crawler.name, "targets": copy.deepcopy(crawler.targets)}
    targets = copy.deepcopy(crawler.targets)
    for t in targets.get("S3Targets") or []:
        t["Path"] = t["Path"].rstrip("/") + "/ingest_year=1900/"
    crawler.targets = targets
    return {"crawler": crawler.name, "paths": [t["Path"] for t in targets.get("S3Targets") or []]}


def clear_empty_crawler_target(runtime: Any) -> dict:
    ctx = _ctx(runtime)
    saved = _saved(runtime).pop("empty-crawler-target", None)
    if not saved:
        return {"changed": False}
    ctx.backend("glue").crawlers[saved["crawler"]].targets = saved["targets"]
    return {"crawler": saved["crawler"], "paths": [t["Path"] for t in saved["targets"].get("S3Targets") or []]}


# --- stuck-run -----------------------------------------------------------------------------------

def stuck_run(runtime: Any) -> dict:
    """The silver job run of the next workflow run never finishes (runbook Problem 5): the
    workflow stays RUNNING until StopWorkflowRun."""
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime)
    job = _job(ctx, "silver-consolidation")
    glue_state(ctx).hold_next_workflow_action.add(job.name)
    return {"held": job.name}


def clear_stuck_run(runtime: Any) -> dict:
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime)
    st = glue_state(ctx)
    released = sorted(st.hold_next_workflow_action)
    st.hold_next_workflow_action.clear()
    return {"released": released, "note": "runs already held stay RUNNING until StopWorkflowRun"}


# --- job-failure ---------------------------------------------------------------------------------

BAD_LIMIT = "very-hot"


def job_failure(runtime: Any) -> dict:
    """The gold alerts job's ``--engine_temp_limit`` argument becomes non-numeric (a bad
    deploy): its runs FAIL, the workflow COMPLETES with FailedActions 1."""
    ctx = _ctx(runtime)
    job = _job(ctx, "gold-performance-alerts")
    saved = _saved(runtime)
    if "job-failure" not in saved:
        saved["job-failure"] = {"job": job.name, "value": (job.default_arguments or {}).get("--engine_temp_limit")}
    job.default_arguments = {**(job.default_arguments or {}), "--engine_temp_limit": BAD_LIMIT}
    return {"job": job.name, "--engine_temp_limit": BAD_LIMIT}


def clear_job_failure(runtime: Any) -> dict:
    ctx = _ctx(runtime)
    saved = _saved(runtime).pop("job-failure", None)
    if not saved:
        return {"changed": False}
    job = ctx.backend("glue").jobs[saved["job"]]
    args = dict(job.default_arguments or {})
    if saved["value"] is None:
        args.pop("--engine_temp_limit", None)
    else:
        args["--engine_temp_limit"] = saved["value"]
    job.default_arguments = args
    return {"job": job.name, "--engine_temp_limit": saved["value"]}


# --- throttling ----------------------------------------------------------------------------------

THROTTLED_SERVICES = ("glue", "athena", "logs")
CONCURRENT_RUN_OPERATIONS = ("StartWorkflowRun", "StartJobRun")


def throttling(runtime: Any, every: int = 2) -> dict:
    """Real accounts throttle: of every ``every`` Glue/Athena/Logs calls of one operation, all but
    the last are refused — ``ThrottlingException: Rate exceeded``, or for StartWorkflowRun/StartJobRun
    ``ConcurrentRunsExceededException``. A client that retries (botocore standard mode, lakegate's
    polling) gets through; one that does not, fails."""
    every = int(float(every))
    if every < 2:
        raise AwsError("InvalidInputException", "throttling needs every >= 2 (1 would refuse nothing)")
    _saved(runtime)["throttling"] = {"every": every, "counts": {}, "refused": 0}
    return {"every": every, "services": list(THROTTLED_SERVICES)}


def clear_throttling(runtime: Any) -> dict:
    saved = _saved(runtime).pop("throttling", None)
    return {"refused": saved["refused"] if saved else 0}


def _throttle_gate(runtime: Any, service: str, operation: str) -> AwsError | None:
    store = getattr(runtime, "state", None)
    cfg = store.get("faults", {}).get("throttling") if isinstance(store, dict) else None
    if not cfg or service not in THROTTLED_SERVICES:
        return None
    key = f"{service}.{operation}"
    n = cfg["counts"][key] = cfg["counts"].get(key, 0) + 1
    if n % cfg["every"] == 0:
        return None
    cfg["refused"] += 1
    if operation in CONCURRENT_RUN_OPERATIONS:
        return AwsError("ConcurrentRunsExceededException",
                        f"Concurrent runs exceeded for {operation[5:-3].lower()} (injected by the throttling fault)")
    return AwsError("ThrottlingException", "Rate exceeded")


register_request_gate(_throttle_gate)


# --- iam-propagation-delay ------------------------------------------------------------------------
# IAM is eventually consistent: a policy change takes seconds to reach the services that use the
# role. With this fault a role's policy change reaches run-time enforcement (crawls, job runs)
# only SECONDS after the change was first seen; until then runs see the policies as they were.
# The IAM API itself (GetRolePolicy, SimulatePrincipalPolicy) answers with the stored policies at
# once, as on AWS.

_BYPASS = {"on": False}


def _role_fingerprint(ctx: Ctx, role: Any) -> str:
    managed = sorted(f"{arn}@{getattr(pol, 'default_version_id', '')}"
                     for arn, pol in role.managed_policies.items())
    return json.dumps({"inline": {k: (v if isinstance(v, str) else json.dumps(v, sort_keys=True))
                                  for k, v in sorted(role.policies.items())}, "managed": managed}, sort_keys=True)


def iam_propagation_delay(runtime: Any, seconds: float = 10.0) -> dict:
    """IAM changes reach the runs of crawlers and jobs only SECONDS after they are made (a crawler
    started right after its policy changed fails with AccessDenied)."""
    from localaws.iam import enforce as iam_enforce

    seconds = float(seconds)
    if seconds <= 0:
        raise AwsError("InvalidInputException", "iam-propagation-delay needs SECONDS > 0")
    ctx = _ctx(runtime)
    roles: dict[str, Any] = {}
    _BYPASS["on"] = True
    try:
        for role in list(ctx.backend("iam").roles.values()):
            views: dict[str, Any] = {}
            try:
                views["enforce"] = iam_enforce.role_policies(ctx, role.name)
            except Exception:  # noqa: BLE001 - a role Glue cannot assume has no enforcement view
                pass
            roles[role.name] = {"fp": _role_fingerprint(ctx, role), "views": views, "pending": None}
    finally:
        _BYPASS["on"] = False
    _saved(runtime)["iam-propagation-delay"] = {"seconds": seconds, "roles": roles}
    return {"seconds": seconds, "roles": len(roles)}


def clear_iam_propagation_delay(runtime: Any) -> dict:
    saved = _saved(runtime).pop("iam-propagation-delay", None)
    return {"changed": bool(saved)}


def propagated(ctx: Ctx, role_name: str, view: str, docs: Any) -> Any:
    """The policies of ``role_name`` as ``view`` (run-time enforcement) sees them under the fault."""
    store = getattr(ctx.runtime, "state", None)
    cfg = store.get("faults", {}).get("iam-propagation-delay") if isinstance(store, dict) else None
    if not cfg or _BYPASS["on"]:
        return docs
    try:
        role = ctx.backend("iam").get_role(role_name)
    except Exception:  # noqa: BLE001
        return docs
    fp = _role_fingerprint(ctx, role)
    entry = cfg["roles"].setdefault(role_name, {"fp": fp, "views": {}, "pending": None})
    now = time.time()
    if fp == entry["fp"]:
        entry["pending"] = None
        entry["views"][view] = docs
        return docs
    if entry["pending"] is None or entry["pending"]["fp"] != fp:
        entry["pending"] = {"fp": fp, "since": now}
    if now - entry["pending"]["since"] >= cfg["seconds"]:
        entry.update(fp=fp, pending=None, views={view: docs})
        return docs
    return entry["views"].get(view, docs)


FAULT_TABLE = {
    "stale-schema": (stale_schema, clear_stale_schema),
    "crawler-access-denied": (crawler_access_denied, clear_crawler_access_denied),
    "stuck-bookmark": (stuck_bookmark, clear_stuck_bookmark),
    "empty-crawler-target": (empty_crawler_target, clear_empty_crawler_target),
    "stuck-run": (stuck_run, clear_stuck_run),
    "job-failure": (job_failure, clear_job_failure),
    "throttling": (throttling, clear_throttling),
    "iam-propagation-delay": (iam_propagation_delay, clear_iam_propagation_delay),
}

for _name, (_apply, _clear) in FAULT_TABLE.items():
    register_fault(_name, _apply, _clear, (_apply.__doc__ or "").strip().split("\n")[0])

"""Fault injection, one per runbook symptom, each made through the state a real incident changes
(catalog, IAM policy, bookmark, crawler target, job arguments) and each with a clear.

``lakegate local fault NAME [--clear]`` reaches these through the server's admin endpoint
(:func:`localaws.dispatch.register_fault`); they run with the runtime lock held. What a fault
changed is kept in ``runtime.state["faults"]`` so ``clear`` restores exactly that.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localaws.dispatch import AwsError, Ctx, register_fault, register_request_gate

HELD_FAR_FUTURE = 10 * 365 * 86400.0


def _ctx(runtime: Any, region: str | None = None) -> Ctx:
    """The fault's context: the region that holds the deployed workflows (a pipeline's provider
    picks its region; the fault's caller need not know it), unless ``region`` is given."""
    ctx = Ctx(service="glue", operation="fault", runtime=runtime)
    if region:
        ctx.region = region
        return ctx
    from moto.backends import get_backend

    try:
        regions = dict.items(get_backend("glue")[ctx.account_id])
    except Exception:  # noqa: BLE001 - no Glue state yet: the default region answers "nothing deployed"
        return ctx
    with_workflows = sorted(r for r, b in regions if getattr(b, "workflows", None))
    if len(with_workflows) == 1:
        ctx.region = with_workflows[0]
    elif len(with_workflows) > 1 and ctx.region not in with_workflows:
        raise AwsError("InvalidInputException",
                       f"workflows are deployed in {len(with_workflows)} regions ({', '.join(with_workflows)}): "
                       'name one with the fault option {"region": "NAME"}')
    return ctx


def _saved(runtime: Any) -> dict[str, Any]:
    store = getattr(runtime, "state", None)
    if not isinstance(store, dict):
        raise AwsError("InvalidState", "the runtime keeps no state; faults need the local server")
    return store.setdefault("faults", {})


# --- the deployed pipeline ------------------------------------------------------------------------
# A fault finds its target from what is deployed, never from names: the workflow's trigger graph
# (which action starts the run, which actions follow which), the crawlers' S3 targets and table
# prefixes, and what each job reads according to its arguments and its code. The code is read by
# the gate's own script analysis (tf_checks.scripts.analyze: one code path for "what does this
# script read") and, for jobs given a ``-- lakegate:`` SQL file as an argument, by that header's
# parser (lakegate.sqlrun). Both ship in the same distribution as localaws; neither imports
# localaws, so the dependency stays one-way.

_NUMBER_PARSERS = ("int", "float", "Decimal", "decimal.Decimal")


def _not_found(what: str, looked: str) -> AwsError:
    return AwsError("EntityNotFoundException", f"{what}: looked for {looked}")


@dataclass
class JobFacts:
    """What one job reads, as its arguments and code say."""

    name: str
    args: dict[str, str]
    catalog_reads: list[tuple[str, str]] = field(default_factory=list)   # (database, table)
    s3_reads: list[str] = field(default_factory=list)
    numeric_args: list[str] = field(default_factory=list)                # "--name"
    incremental_inputs: list[str] = field(default_factory=list)          # transformation_ctx / input names
    code: str = ""                                                       # text column names are looked up in
    notes: list[str] = field(default_factory=list)


@dataclass
class Pipeline:
    """One workflow's graph: ``stages`` are the jobs in the order the triggers start them."""

    workflow: str
    start_crawlers: list[str]
    ingestion_crawlers: list[Any]
    first_jobs: list[str]
    stages: list[list[str]]
    followers: dict[str, list[tuple[str, str]]]   # action name -> [(kind, name)] its success starts

    @property
    def jobs(self) -> list[str]:
        return [j for stage in self.stages for j in stage]


def _workflow_name(ctx: Ctx, workflow: str | None) -> str:
    glue = ctx.backend("glue")
    if workflow:
        if workflow not in glue.workflows:
            raise _not_found(f"no workflow {workflow!r} deployed",
                             f"GetWorkflow {workflow}; deployed: {', '.join(sorted(glue.workflows)) or '(none)'}")
        return workflow
    names = sorted(glue.workflows)
    if len(names) == 1:
        return names[0]
    if not names:
        raise _not_found("no Glue workflow deployed (run `lakegate deploy --target local` first)",
                         "a workflow whose ON_DEMAND/SCHEDULED trigger starts the pipeline")
    raise AwsError("InvalidInputException",
                   f"{len(names)} workflows are deployed ({', '.join(names)}): name one with the fault option "
                   f'{{"workflow": "NAME"}}')


def pipeline(ctx: Ctx, workflow: str | None = None) -> Pipeline:
    """The deployed workflow's graph (lakegate.names.graph_roles: the one reading of a trigger
    graph, shared with discovery), with its ingestion crawler(s) and first-stage jobs."""
    from lakegate.errors import LakegateError
    from lakegate.names import graph_roles

    glue = ctx.backend("glue")
    name = _workflow_name(ctx, workflow)
    triggers = [{**t.as_dict(), "WorkflowName": name} for t in glue.triggers.values() if t.workflow_name == name]
    try:
        roles = graph_roles(name, triggers)
    except LakegateError as err:
        raise _not_found(err.what, "a trigger of type ON_DEMAND or SCHEDULED in the workflow (GetWorkflow Graph)") from None
    ingestion = [glue.crawlers[c] for c in roles.start_crawlers if c in glue.crawlers]
    return Pipeline(workflow=name, start_crawlers=roles.start_crawlers, ingestion_crawlers=ingestion,
                    first_jobs=roles.first_jobs, stages=roles.stages, followers=roles.followers)


def _code_text(text: str) -> str:
    """SQL/Python text without comments: column names are looked up in what the code does."""
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def _sql_args(ctx: Ctx, facts: JobFacts) -> None:
    """A ``-- lakegate:`` SQL file passed as a job argument: its inputs and params."""
    from lakegate.errors import LakegateError
    from lakegate.sqlrun import parse_job_sql, resolve
    from localaws.glue import naming
    from localaws.glue.state import get_object

    for key, value in facts.args.items():
        if not (isinstance(value, str) and value.startswith("s3://") and value.endswith(".sql")):
            continue
        try:
            bucket, obj = naming.parse_s3_url(value)
            sql = resolve(parse_job_sql(get_object(ctx, bucket, obj).decode("utf-8"), source=value), facts.args)
        except (LakegateError, AwsError, ValueError, UnicodeDecodeError) as err:
            facts.notes.append(f"{key}={value}: {err}")
            continue
        for i in sql.inputs:
            if i.kind == "catalog" and i.database and i.table:
                facts.catalog_reads.append((i.database, i.table))
            elif i.path:
                facts.s3_reads.append(i.path)
            if i.incremental:
                facts.incremental_inputs.append(i.name)
        facts.numeric_args += [f"--{p.name}" for p in sql.params if p.type == "number"]
        facts.code += "\n" + _code_text(sql.body)


def _numeric_args(tree: ast.AST, resolved: list[str]) -> list[str]:
    """Arguments the script converts with int()/float()/Decimal(): ``int(args["n"])``, ``float(args.get("n"))``."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and len(node.args) == 1):
            continue
        fn = node.func
        fname = fn.id if isinstance(fn, ast.Name) else (f"{getattr(fn.value, 'id', '')}.{fn.attr}"
                                                         if isinstance(fn, ast.Attribute) else "")
        if fname not in _NUMBER_PARSERS:
            continue
        arg = node.args[0]
        key = None
        if isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Constant):
            key = arg.slice.value
        elif (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "get"
              and arg.args and isinstance(arg.args[0], ast.Constant)):
            key = arg.args[0].value
        if isinstance(key, str) and key in resolved:
            found.append(f"--{key}")
    return found


def job_facts(ctx: Ctx, job_name: str) -> JobFacts:
    """What ``job_name`` reads: its ``-- lakegate:`` SQL argument (if any) and its script, analysed
    by the gate's script analysis with the job's arguments."""
    from tf_checks.scripts.analyze import Unknown, analyze
    from localaws.glue import naming
    from localaws.glue.state import get_object

    job = ctx.backend("glue").jobs[job_name]
    facts = JobFacts(job_name, {str(k): str(v) for k, v in (job.default_arguments or {}).items()})
    _sql_args(ctx, facts)
    location = (job.command or {}).get("ScriptLocation") or ""
    try:
        bucket, key = naming.parse_s3_url(location)
        source = get_object(ctx, bucket, key).decode("utf-8")
        tree = ast.parse(source)
    except (AwsError, ValueError, SyntaxError, UnicodeDecodeError) as err:
        facts.notes.append(f"script {location or '(none)'}: {err}")
        return facts
    with tempfile.TemporaryDirectory(prefix="localaws-fault-") as tmp:
        path = Path(tmp) / (key.rsplit("/", 1)[-1] or "script.py")
        path.write_text(source)
        try:
            result = analyze(path, tree, {}, facts.args)
        except Exception as err:  # noqa: BLE001 - an analysis failure leaves the script's I/O unknown
            facts.notes.append(f"script {location}: cannot analyse ({type(err).__name__}: {err})")
            return facts
    for op in result.ops:
        if isinstance(op.target, Unknown):
            continue
        if op.kind == "catalog_read" and "." in op.target:
            db, _, table = op.target.partition(".")
            facts.catalog_reads.append((db, table))
        elif op.kind == "read":
            facts.s3_reads.append(op.target)
    facts.numeric_args += _numeric_args(tree, list(result.resolved_args))
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    facts.code += "\n" + "\n".join(_code_text(s) if "select" in s.lower() else s for s in strings)
    for node in ast.walk(tree):   # transformation_ctx="..." names the bookmarked inputs
        for kw in getattr(node, "keywords", []) or []:
            if kw.arg == "transformation_ctx" and isinstance(kw.value, ast.Constant):
                facts.incremental_inputs.append(str(kw.value.value))
    return facts


def _crawler_tables(ctx: Ctx, crawler: Any) -> set[tuple[str, str]]:
    """(database, table) a crawler made or makes: catalog tables it updated, and the table name
    its S3 targets give (prefix + folder), the same naming rule the gate uses."""
    from lakegate.glue_naming import crawler_table_name

    glue = ctx.backend("glue")
    db = crawler.database_name
    out = {(db, crawler_table_name(crawler.table_prefix, t["Path"]))
           for t in (crawler.targets or {}).get("S3Targets") or [] if t.get("Path")}
    from localaws.glue.crawler import _table_input

    for (tdb, tname), table in _tables(glue):
        if (_table_input(table).get("Parameters") or {}).get("UPDATED_BY_CRAWLER") == crawler.name:
            out.add((tdb, tname))
    return out


def _tables(glue: Any) -> list[tuple[tuple[str, str], Any]]:
    out = []
    for db_name, db in getattr(glue, "databases", {}).items():
        for tname, table in getattr(db, "tables", {}).items():
            out.append(((db_name, tname), table))
    return out


def _under(url: str, target: str) -> bool:
    u, t = url.rstrip("/") + "/", target.rstrip("/") + "/"
    return u.startswith(t) or t.startswith(u)


def ingestion(ctx: Ctx, workflow: str | None = None) -> tuple[Pipeline, Any, list[JobFacts], tuple[str, str] | None]:
    """(graph, ingestion crawler, first-stage jobs' facts, the crawler's table they read).

    The ingestion crawler is the crawler the workflow's start trigger runs; when the workflow
    starts with jobs (the crawler runs on its own schedule), it is the crawler whose table, or
    whose S3 target, those first-stage jobs read."""
    glue = ctx.backend("glue")
    pipe = pipeline(ctx, workflow)
    if not pipe.first_jobs:
        raise _not_found(f"workflow {pipe.workflow} starts no job",
                         "a job started by the start trigger, or by a trigger on the start crawler's success")
    facts = [job_facts(ctx, j) for j in pipe.first_jobs]
    reads = {r for f in facts for r in f.catalog_reads}
    paths = [p for f in facts for p in f.s3_reads]
    # a crawler the workflow runs after a job (e.g. the crawler of a job's own output, which that
    # job may also read back) is downstream of the first stage, never the ingestion crawler
    downstream = {n for acts in pipe.followers.values() for k, n in acts if k == "crawler"}
    candidates = pipe.ingestion_crawlers or [c for c in glue.crawlers.values() if c.name not in downstream]
    best: list[tuple[Any, tuple[str, str] | None]] = []
    for c in candidates:
        tables = _crawler_tables(ctx, c) & reads
        if tables:
            best.append((c, sorted(tables)[0]))
        elif any(_under(p, t["Path"]) for p in paths for t in (c.targets or {}).get("S3Targets") or []):
            best.append((c, None))
    best.sort(key=lambda ct: ct[1] is None)   # a catalog table the jobs read outranks an S3 path
    if pipe.ingestion_crawlers and not best:
        return pipe, pipe.ingestion_crawlers[0], facts, None
    if not best:
        why = "; ".join(n for f in facts for n in f.notes)
        raise _not_found(
            f"no crawler produces what the first-stage job(s) {', '.join(pipe.first_jobs)} of workflow "
            f"{pipe.workflow} read",
            f"a crawler whose table (prefix + S3 target folder, or UPDATED_BY_CRAWLER) or S3 target is among "
            f"their reads: catalog {sorted('.'.join(r) for r in reads) or '(none known)'}, "
            f"S3 {paths or '(none known)'}" + (f" ({why})" if why else ""))
    crawler, table = best[0]
    return pipe, crawler, facts, table


def _ingestion_crawler(ctx: Ctx, workflow: str | None) -> Any:
    return ingestion(ctx, workflow)[1]


# --- stale-schema --------------------------------------------------------------------------------

def _drop_field(type_str: str, path: list[str]) -> str:
    """``type_str`` (a Glue struct type) without the nested field ``path`` (e.g. ``["trip", "km"]``)."""
    import pyarrow as pa

    from localaws.glue import schema_infer

    def strip(dt: pa.DataType, rest: list[str]) -> pa.DataType:
        if not pa.types.is_struct(dt) or not rest:
            return dt
        return pa.struct([pa.field(f.name, strip(f.type, rest[1:])) for f in dt
                          if not (f.name == rest[0] and len(rest) == 1)])

    return schema_infer.glue_type(strip(schema_infer.parse_glue_type(type_str), path))


def _field_paths(column: dict[str, str]) -> list[list[str]]:
    """A catalog column and, for a struct, every nested field path below it."""
    import pyarrow as pa

    from localaws.glue import schema_infer

    out = [[column["Name"]]]
    try:
        t = schema_infer.parse_glue_type(column["Type"])
    except ValueError:
        return out

    def walk(dt: pa.DataType, prefix: list[str]) -> None:
        if pa.types.is_struct(dt):
            for f in dt:
                out.append(prefix + [f.name])
                walk(f.type, prefix + [f.name])

    walk(t, [column["Name"]])
    return out


def _first_use(path: list[str], code: str) -> int | None:
    """Where ``code`` uses the field ``path``: every name of the path as a word (nested fields are
    reached as ``a.b``, ``col("a.b")``, ``a["b"]``...), the position of its last name."""
    pos = None
    for name in path:
        m = re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", code)
        if m is None:
            return None
        pos = m.start()
    return pos


def read_column(table: dict[str, Any], code: str) -> list[str] | None:
    """A field of ``table`` (GetTable dict) that ``code`` reads: a nested struct field first (the
    runbook's stale-schema case), else a column, not a partition key; the first the code uses."""
    sd = table.get("StorageDescriptor") or {}
    used = []
    for col in sd.get("Columns") or []:
        for path in _field_paths(col):
            at = _first_use(path, code)
            if at is not None:
                used.append((len(path) == 1, at, path))
    return sorted(used)[0][2] if used else None


def stale_schema(runtime: Any, workflow: str | None = None, region: str | None = None) -> dict:
    """The catalog table the first-stage job reads loses a field that job reads (data and code
    still have it): its next run fails with ``Column '<field>' does not exist``."""
    ctx = _ctx(runtime, region)
    glue = ctx.backend("glue")
    pipe, crawler, facts, found = ingestion(ctx, workflow)
    if found is None:
        raise _not_found(f"the first-stage job(s) {', '.join(pipe.first_jobs)} read no catalog table the ingestion "
                         f"crawler {crawler.name} makes (they read its S3 data directly), so a stale catalog "
                         "schema cannot fail them",
                         "a catalog table of the crawler among the jobs' catalog reads")
    db, name = found
    try:
        table = glue.get_table(db, name)
    except Exception as exc:
        raise AwsError("EntityNotFoundException",
                       f"table {db}.{name} not found: run the ingestion crawler {crawler.name} first") from exc
    from localaws.glue.crawler import _table_input

    tin = _table_input(table)
    original = copy.deepcopy(tin)
    readers = [f for f in facts if (db, name) in f.catalog_reads]
    code = "\n".join(f.code for f in readers)
    path = read_column(tin, code)
    if path is None:
        raise _not_found(f"no column of {db}.{name} is read by {', '.join(f.name for f in readers)}",
                         "a column or nested field of the table named in the job's script or SQL")
    cols = tin["StorageDescriptor"]["Columns"]

    def without(columns: list[dict[str, str]]) -> list[dict[str, str]]:
        if len(path) == 1:
            return [c for c in columns if c["Name"] != path[0]]
        return [({**c, "Type": _drop_field(c["Type"], path[1:])} if c["Name"] == path[0] else c) for c in columns]

    tin["StorageDescriptor"]["Columns"] = without(cols)
    glue.update_table(db, name, tin)
    for p in table.partitions.values():
        sd = p.partition_input.get("StorageDescriptor") or {}
        if sd.get("Columns"):
            sd["Columns"] = without(sd["Columns"])
    field_name = ".".join(path)
    _saved(runtime)["stale-schema"] = {"db": db, "table": name, "columns": original["StorageDescriptor"]["Columns"]}
    return {"changed": True, "table": f"{db}.{name}", "removed": field_name,
            "read_by": [f.name for f in readers], "crawler": crawler.name}


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


DENIED_ACTION = "glue:BatchGetPartition"
DENY_SID = "LakegateFaultDenyBatchGetPartition"


def _still_allowed(role: Any) -> list[str]:
    """Where ``role`` still allows DENIED_ACTION: a wildcard in an inline policy, a managed policy."""
    import fnmatch

    where = [f"managed:{arn}" for arn in role.managed_policies]
    for pname, doc in role.policies.items():
        d = json.loads(doc) if isinstance(doc, str) else doc
        stmts = d.get("Statement") or []
        for s in stmts if isinstance(stmts, list) else [stmts]:
            acts = s.get("Action") or []
            acts = [acts] if isinstance(acts, str) else acts
            if s.get("Effect") == "Allow" and any(fnmatch.fnmatch(DENIED_ACTION.lower(), a.lower()) for a in acts):
                where.append(f"inline:{pname}")
    return where


def crawler_access_denied(runtime: Any, workflow: str | None = None, region: str | None = None) -> dict:
    """The ingestion crawler's role loses ``glue:BatchGetPartition`` (runbook Problem 2): removed
    from its inline policies, and denied by a statement added to one of them where a wildcard or an
    attached managed policy (AWSGlueServiceRole) would still grant it."""
    ctx = _ctx(runtime, region)
    crawler = _ingestion_crawler(ctx, workflow)
    role = _crawler_role(ctx, crawler)
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
            if acts and DENIED_ACTION in acts:
                s["Action"] = [a for a in acts if a != DENIED_ACTION]
                touched = True
        if touched:
            saved["policies"].setdefault(pname, doc)
            role.policies[pname] = json.dumps(d)
            changed.append(pname)
    still = _still_allowed(role)
    denied = any(DENY_SID in (doc if isinstance(doc, str) else json.dumps(doc)) for doc in role.policies.values())
    if still and not denied:
        # the grant comes from a wildcard or a managed policy (AWSGlueServiceRole): a Deny statement
        # goes into an inline policy the configuration writes, so applying the configuration again
        # (the runbook's fix) removes it, as it restores a policy that lost the action
        inline = changed[:1] or sorted(role.policies)
        if not inline:
            _saved(runtime).pop("crawler-access-denied", None)
            raise _not_found(f"role {role.name} of crawler {crawler.name} has no inline policy; it gets "
                             f"{DENIED_ACTION} from {', '.join(still)}, which the runbook's fix (apply the corrected "
                             "role policy) does not change",
                             f"an inline policy of the role granting {DENIED_ACTION} or where a Deny can go")
        pname = inline[0]
        saved["policies"].setdefault(pname, role.policies[pname])
        doc = role.policies[pname]
        d = json.loads(doc) if isinstance(doc, str) else copy.deepcopy(doc)
        stmts = d.get("Statement") or []
        d["Statement"] = (stmts if isinstance(stmts, list) else [stmts]) + [
            {"Sid": DENY_SID, "Effect": "Deny", "Action": DENIED_ACTION, "Resource": "*"}]
        role.policies[pname] = json.dumps(d)
        if pname not in changed:
            changed.append(pname)
    return {"role": role.name, "crawler": crawler.name, "policies_changed": changed}


def clear_crawler_access_denied(runtime: Any) -> dict:
    ctx = _ctx(runtime)
    saved = _saved(runtime).pop("crawler-access-denied", None)
    if not saved:
        return {"changed": False}
    role = ctx.backend("iam").get_role(saved["role"])
    for pname, doc in saved["policies"].items():
        if doc is None:
            role.policies.pop(pname, None)
        else:
            role.policies[pname] = doc
    return {"role": saved["role"], "policies_restored": sorted(saved["policies"])}


# --- stuck-bookmark ------------------------------------------------------------------------------

def _job_inputs(ctx: Ctx, job: Any) -> list[str]:
    """The bookmarked input names of a job: ``transformation_ctx`` values of its script, and the
    incremental inputs of a ``-- lakegate:`` SQL file it gets as an argument."""
    return list(dict.fromkeys(job_facts(ctx, job.name).incremental_inputs))


def stuck_bookmark(runtime: Any, region: str | None = None) -> dict:
    """Every bookmarked job's bookmark high-water mark jumps into the future (the clock-skew
    incident): runs SUCCEED but treat every file, new ones included, as already processed."""
    from localaws.glue import bookmarks
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime, region)
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

def empty_crawler_target(runtime: Any, workflow: str | None = None, region: str | None = None) -> dict:
    """The ingestion crawler's S3 target moves to an empty prefix (runbook Problem 4): the crawl
    SUCCEEDS and creates nothing."""
    ctx = _ctx(runtime, region)
    crawler = _ingestion_crawler(ctx, workflow)
    saved = _saved(runtime)
    if "empty-crawler-target" not in saved:
        saved["empty-crawler-target"] = {"crawler": crawler.name, "targets": copy.deepcopy(crawler.targets)}
    targets = copy.deepcopy(crawler.targets)
    for t in targets.get("S3Targets") or []:
        t["Path"] = t["Path"].rstrip("/") + "/lakegate-fault-empty-target/"
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

def stuck_run(runtime: Any, workflow: str | None = None, region: str | None = None) -> dict:
    """The first-stage job run of the next workflow run never finishes (runbook Problem 5): the
    workflow stays RUNNING until StopWorkflowRun."""
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime, region)
    pipe = pipeline(ctx, workflow)
    if not pipe.first_jobs:
        raise _not_found(f"workflow {pipe.workflow} starts no job",
                         "a job started by the start trigger, or by a trigger on the start crawler's success")
    glue_state(ctx).hold_next_workflow_action.update(pipe.first_jobs)
    return {"held": pipe.first_jobs[0] if len(pipe.first_jobs) == 1 else pipe.first_jobs,
            "workflow": pipe.workflow}


def clear_stuck_run(runtime: Any) -> dict:
    from localaws.glue.state import glue_state

    ctx = _ctx(runtime)
    st = glue_state(ctx)
    released = sorted(st.hold_next_workflow_action)
    st.hold_next_workflow_action.clear()
    return {"released": released, "note": "runs already held stay RUNNING until StopWorkflowRun"}


# --- job-failure ---------------------------------------------------------------------------------

BAD_NUMBER = "very-hot"   # not a number (the value the runbook rehearsal and its tests know)


def numeric_argument(ctx: Ctx, workflow: str | None = None) -> tuple[str, str]:
    """(job, "--argument") the job parses as a number, from the last stage of the workflow back:
    a failing last-stage job leaves the rest of the run intact (runbook: FailedActions 1)."""
    pipe = pipeline(ctx, workflow)
    looked = []
    for stage in reversed(pipe.stages):
        for name in stage:
            facts = job_facts(ctx, name)
            looked.append(name)
            for arg in facts.numeric_args:
                if arg in facts.args:
                    return name, arg
    raise _not_found(f"no job of workflow {pipe.workflow} parses one of its arguments as a number",
                     f"int()/float()/Decimal() of a getResolvedOptions argument, or a `number` param of a "
                     f"-- lakegate: SQL file, set in the job's DefaultArguments (jobs: {', '.join(looked) or 'none'})")


def job_failure(runtime: Any, workflow: str | None = None, region: str | None = None) -> dict:
    """A job argument the job parses as a number becomes non-numeric (a bad deploy), on the
    latest-stage job that has one: its runs FAIL, the workflow COMPLETES with FailedActions 1."""
    ctx = _ctx(runtime, region)
    saved = _saved(runtime)
    if "job-failure" in saved:
        name, arg = saved["job-failure"]["job"], saved["job-failure"]["argument"]
    else:
        name, arg = numeric_argument(ctx, workflow)
    job = ctx.backend("glue").jobs[name]
    if "job-failure" not in saved:
        saved["job-failure"] = {"job": name, "argument": arg, "value": (job.default_arguments or {}).get(arg)}
    job.default_arguments = {**(job.default_arguments or {}), arg: BAD_NUMBER}
    return {"job": job.name, arg: BAD_NUMBER}


def clear_job_failure(runtime: Any) -> dict:
    ctx = _ctx(runtime)
    saved = _saved(runtime).pop("job-failure", None)
    if not saved:
        return {"changed": False}
    job = ctx.backend("glue").jobs[saved["job"]]
    arg = saved["argument"]
    args = dict(job.default_arguments or {})
    if saved["value"] is None:
        args.pop(arg, None)
    else:
        args[arg] = saved["value"]
    job.default_arguments = args
    return {"job": job.name, arg: saved["value"]}


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

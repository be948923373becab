"""Pipeline consistency: do crawlers, jobs, scripts and SQL headers agree with each other?

Rules (ids stable, see docs/rules.md):

* LG-CONS-001 a crawler triggered after a job crawls a path the job does not write;
* LG-CONS-002 a job reads a catalog table (``--*_table``) that no crawler in the plan creates
  (computed name: prefix + sanitized last folder of the include path, per Glue's naming);
* LG-CONS-003 a crawler configuration that creates per-partition tables
  (``bronze_ingest_year_2025``): include path inside a ``key=value`` partition folder, or no
  ``CombineCompatibleSchemas`` grouping;
* LG-CONS-004 a script reads (``getResolvedOptions``, in the script or in a ``.py`` module the
  job ships with ``--extra-py-files`` whose function the script calls) an argument the job does
  not pass; or the gate cannot tell what it reads (an imported module it cannot read: high);
* LG-CONS-005 an uploaded script/SQL/``--extra-py-files`` module is missing or does not parse;
* LG-CONS-006 bookmarks enabled but a catalog read has no ``transformation_ctx``;
* LG-CONS-007 script/SQL checks skipped because the Terraform directory is unknown (info).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from tf_checks.findings import Finding
from tf_checks.model import Crawler, Job, Resource, Trigger, as_dict, as_list, first_block
from tf_checks.rules import Context, cannot_verify, extra_py_files, norm_prefix

GLUE_PROVIDED_ARGS = frozenset({"JOB_NAME", "JOB_ID", "JOB_RUN_ID"})
_PARTITION_FOLDER = re.compile(r"^[A-Za-z0-9_\-]+=[^/]*$")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def crawler_table_name(prefix: str, path: str) -> str:
    """The table Glue creates for an include path that is the table root.

    ``("bronze_", "s3://b/bronze/car_data/")`` -> ``bronze_car_data`` (last folder, lower-cased,
    non-alphanumerics -> ``_``; the prefix is prepended as is, lower-cased)."""
    key = path.split("://", 1)[-1]
    parts = [p for p in key.split("/")[1:] if p]
    folder = parts[-1] if parts else key.split("/")[0]
    return (prefix + _NON_ALNUM.sub("_", folder.lower())).lower()


@dataclass
class JobIO:
    args: dict[str, str]
    script_location: str
    catalog_reads: list[tuple[str, str]] = field(default_factory=list)
    s3_reads: list[str] = field(default_factory=list)
    s3_writes: list[str] = field(default_factory=list)
    output_path: str | None = None
    from_sql: bool = False


def job_io(ctx: Context, res: Resource) -> tuple[JobIO | None, list[Finding]]:
    """What a job reads and writes: from its SQL header when readable, else from its arguments."""
    args, why = ctx.resolver.try_value(res, "default_arguments")
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        return None, [cannot_verify(res.address, "the job's arguments", why or "not a map of strings")]
    cmd, why = ctx.resolver.try_value(res, "command")
    script = as_dict(first_block(cmd)).get("script_location")
    if not isinstance(script, str):
        return None, [cannot_verify(res.address, "the job's script location", why or "unknown")]
    io = JobIO(dict(args), script)
    errs: list[Finding] = []
    sql_url = args.get("--sql_path")
    job_sql = None
    if sql_url:
        obj, path, _reason = ctx.object_file(sql_url)
        if path is not None:
            try:
                from lakegate.sqlrun import parse_job_sql, resolve
            except ImportError:
                parse_job_sql = None  # type: ignore[assignment]
            if parse_job_sql is not None:
                if not path.is_file():
                    errs.append(Finding("LG-CONS-005", "high", obj.address if obj else res.address,
                                        f"the SQL file {path} uploaded to {sql_url} does not exist",
                                        fix="create the file or fix the aws_s3_object source"))
                else:
                    try:
                        job_sql = resolve(parse_job_sql(path.read_text(encoding="utf-8"),
                                                        source=str(path)), args)
                    except LakegateError as err:
                        errs.append(Finding("LG-CONS-005", "high", obj.address if obj else res.address,
                                            f"the SQL header of {path.name} is invalid for job "
                                            f"{Job(res).name}: {err.what}", fix=err.fix or ""))
                    except (OSError, UnicodeDecodeError) as err:
                        errs.append(Finding("LG-CONS-005", "high", res.address,
                                            f"cannot read {path}: {err}"))
    if job_sql is not None:
        io.from_sql = True
        for inp in job_sql.inputs:
            if inp.kind == "catalog" and inp.database and inp.table:
                io.catalog_reads.append((inp.database, inp.table))
            elif inp.kind == "path" and inp.path:
                io.s3_reads.append(inp.path)
        io.s3_writes.append(job_sql.output.path)
        io.output_path = job_sql.output.path
    else:
        db = args.get("--database_name")
        for k, v in args.items():
            if k.endswith("_table") and db:
                io.catalog_reads.append((db, v))
            elif k.endswith("_path") and k not in ("--sql_path",) and v.startswith("s3"):
                io.s3_reads.append(v)
                io.s3_writes.append(v)
        paths = [v for k, v in args.items() if k.endswith("_path") and k != "--sql_path"]
        io.output_path = paths[0] if len(paths) == 1 else None
    return io, errs


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    ios: dict[str, JobIO] = {}
    for res in ctx.plan.of("aws_glue_job"):
        io, errs = job_io(ctx, res)
        findings += [f for f in errs if f.rule_id != "LG-RESOLVE-001"]  # IAM rule reports those
        if io is not None:
            ios[res.address] = io
            findings += _script_checks(ctx, res, io)
    findings += _crawler_naming(ctx, ios)
    findings += _crawler_after_job(ctx, ios)
    if ctx.tf_dir is None and ctx.plan.of("aws_glue_job"):
        findings.append(Finding("LG-CONS-007", "info", "(plan)",
                                "script, SQL and argument checks were skipped: the Terraform "
                                "directory is not known", fix="pass --tf-dir with the plan"))
    return findings


def _shipped_modules(ctx: Context, res: Resource, io: JobIO) -> tuple[dict[str, Path], list[Finding]]:
    """The ``.py`` modules the job ships with ``--extra-py-files`` (module name -> local file)
    and LG-CONS-005 for each one the gate cannot find. Other files (``.zip``) are not read: a
    script importing from them is reported by :func:`_script_checks` as unreadable."""
    name = Job(res).name
    libraries: dict[str, Path] = {}
    out: list[Finding] = []
    for url in extra_py_files(io.args):
        base = url.rstrip("/").rsplit("/", 1)[-1]
        if not base.endswith(".py"):
            continue
        obj, path, reason = ctx.object_file(url)
        if path is None:
            out.append(Finding("LG-CONS-005", "high", res.address,
                               f"the module {url} that job {name} loads with --extra-py-files "
                               f"cannot be checked: {reason}",
                               fix="upload the module with an aws_s3_object whose source is the file"))
        elif not path.is_file():
            out.append(Finding("LG-CONS-005", "high", obj.address if obj else res.address,
                               f"the module {path} uploaded to {url} for job {name} "
                               "(--extra-py-files) does not exist",
                               fix="create the file or fix the aws_s3_object source"))
        else:
            libraries[base[:-3]] = path
    return libraries, out


def _script_checks(ctx: Context, res: Resource, io: JobIO) -> list[Finding]:
    if ctx.tf_dir is None:
        return []
    obj, path, reason = ctx.object_file(io.script_location)
    name = Job(res).name
    if path is None:
        return [Finding("LG-CONS-005", "high", res.address,
                        f"the script of job {name} ({io.script_location}) cannot be checked: {reason}",
                        fix="upload the script with an aws_s3_object whose source is the file")]
    libraries, out = _shipped_modules(ctx, res, io)
    info = ctx.script_info(io.script_location, libraries)
    if info is None or not path.is_file():
        return out + [Finding("LG-CONS-005", "high", obj.address if obj else res.address,
                              f"the script {path} uploaded for job {name} does not exist",
                              fix="create the file or fix the aws_s3_object source")]
    if info.error:
        return out + [Finding("LG-CONS-005", "high", obj.address if obj else res.address,
                              f"the script for job {name} does not parse: {info.error}",
                              fix="fix the Python syntax")]
    for module, why in info.unreadable_imports:
        out.append(Finding("LG-CONS-004", "high", res.address,
                           f"cannot tell which arguments {path.name} (job {name}) reads: it "
                           f"imports {module}, whose source the gate cannot read ({why})",
                           fix=f"ship {module} as a .py file with --extra-py-files, uploaded by an "
                               "aws_s3_object of this configuration"))
    if info.args is None:
        out.append(Finding("LG-CONS-004", info.args_unknown_severity, res.address,
                           f"{info.args_unknown or 'the arguments read by ' + path.name + ' are unknown'}; "
                           "cannot compare them with the job's default_arguments"))
    else:
        passed = {k[2:] for k in io.args if k.startswith("--")} | GLUE_PROVIDED_ARGS
        lacking = [a for a in info.args if a not in passed]
        if lacking:
            add = ", ".join(f'"--{a}" = "..."' for a in lacking)
            out.append(Finding("LG-CONS-004", "high", res.address,
                               f"script {path.name} reads argument(s) {', '.join(lacking)} that job "
                               f"{name} does not pass (the run fails in getResolvedOptions)",
                               fix=f"add to default_arguments: {add}"))
    if Job(res).bookmarks_enabled or io.args.get("--job-bookmark-option") == "job-bookmark-enable":
        for where in info.catalog_reads_without_ctx:
            out.append(Finding("LG-CONS-006", "high", res.address,
                               f"job {name} has bookmarks enabled but the catalog read at "
                               f"{where} has no transformation_ctx, so the bookmark "
                               "never advances and every run reprocesses all data",
                               fix="pass transformation_ctx=\"<input name>\" to from_catalog"))
    return out


def _crawler_naming(ctx: Context, ios: dict[str, JobIO]) -> list[Finding]:
    out: list[Finding] = []
    produced: dict[str, set[str]] = {}   # database -> tables crawlers create
    any_crawler = False
    for res in ctx.plan.of("aws_glue_crawler"):
        any_crawler = True
        c = Crawler(res)
        db, _ = ctx.resolver.try_value(res, "database_name")
        targets, _ = ctx.resolver.try_value(res, "s3_target")
        paths = [p for p in (as_dict(t).get("path") for t in as_list(targets)) if isinstance(p, str)]
        conf_text, _ = ctx.resolver.try_value(res, "configuration")
        grouping = None
        if isinstance(conf_text, str) and conf_text:
            import json

            try:
                grouping = as_dict(as_dict(json.loads(conf_text)).get("Grouping")).get("TableGroupingPolicy")
            except ValueError:
                out.append(Finding("LG-CONS-003", "high", res.address,
                                   f"crawler {c.name} configuration is not valid JSON"))
        for p in paths:
            table = crawler_table_name(c.table_prefix, p)
            if isinstance(db, str):
                produced.setdefault(db, set()).add(table)
            segs = [s for s in p.split("://", 1)[-1].split("/")[1:] if s]
            if segs and _PARTITION_FOLDER.match(segs[-1]):
                out.append(Finding("LG-CONS-003", "high", res.address,
                                   f"crawler {c.name} include path {p} points inside a partition "
                                   f"folder: it creates a per-partition table {table!r} instead of "
                                   "one partitioned table",
                                   fix="point s3_target.path at the table root (the folder above "
                                       "the key=value partition folders)"))
        if paths and grouping != "CombineCompatibleSchemas":
            example = crawler_table_name(c.table_prefix, "s3://b/ingest_year_2025/")
            out.append(Finding("LG-CONS-003", "medium", res.address,
                               f"crawler {c.name} has no CombineCompatibleSchemas table grouping: "
                               "when partition folders differ in schema Glue creates per-folder "
                               f"tables such as {example!r}",
                               fix='set configuration = jsonencode({Version = 1.0, Grouping = '
                                   '{TableGroupingPolicy = "CombineCompatibleSchemas"}})'))
    for r in ctx.plan.of("aws_glue_catalog_table"):
        db, name = r.values.get("database_name"), r.values.get("name")
        if isinstance(db, str) and isinstance(name, str):
            produced.setdefault(db, set()).add(name.lower())
    if not any_crawler:
        return out
    for addr, io in ios.items():
        for db, table in io.catalog_reads:
            if table.lower() not in produced.get(db, set()):
                known = ", ".join(sorted(produced.get(db, set()))) or "none"
                out.append(Finding("LG-CONS-002", "high", addr,
                                   f"job {Job(ctx.plan.by_address[addr]).name} reads table {db}.{table} "
                                   f"but no crawler or catalog table in the plan creates it "
                                   f"(tables created in {db}: {known})",
                                   fix="make the job's table argument match the crawler's "
                                       "table_prefix + target folder name, or fix the crawler"))
    return out


def _crawler_after_job(ctx: Context, ios: dict[str, JobIO]) -> list[Finding]:
    out: list[Finding] = []
    io_by_job = {Job(ctx.plan.by_address[a]).name: io for a, io in ios.items()}
    for trig in ctx.plan.of("aws_glue_trigger"):
        t = Trigger(trig)
        jobs = [c.job_name for c in t.conditions if c.job_name]
        crawlers = [a.crawler_name for a in t.actions if a.crawler_name]
        for job in jobs:
            io = io_by_job.get(job)
            if io is None or not io.s3_writes:
                continue
            writes = {norm_prefix(w) for w in io.s3_writes}
            for cname in crawlers:
                cres = ctx.crawlers_by_name.get(cname)
                if cres is None:
                    continue
                targets, _ = ctx.resolver.try_value(cres, "s3_target")
                for p in (as_dict(x).get("path") for x in as_list(targets)):
                    if isinstance(p, str) and not any(norm_prefix(p).startswith(w) or
                                                      w.startswith(norm_prefix(p)) for w in writes):
                        out.append(Finding("LG-CONS-001", "high", cres.address,
                                           f"crawler {cname} runs after job {job} (trigger "
                                           f"{t.name}) but crawls {p}, which the job does not write "
                                           f"(it writes {', '.join(sorted(writes))})",
                                           fix="point the crawler's s3_target at the job's output "
                                               "path"))
    return out

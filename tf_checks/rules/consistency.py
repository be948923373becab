"""Pipeline consistency: do crawlers, jobs, scripts and SQL headers agree with each other?

What a job reads and writes comes from :func:`tf_checks.scripts.job_io` (its script, the
``-- lakegate:`` SQL header, a ``lakegate.toml`` declaration); the rules below compare it with the
crawlers and tables of the plan. Each rule is declared once in :mod:`tf_checks.registry`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from lakegate.glue_naming import crawler_table_name  # noqa: F401 (re-exported for callers)
from tf_checks.findings import Finding
from tf_checks.model import Crawler, Job, Resource, Trigger, as_dict, as_list
from tf_checks.registry import check, declare, declare_family
from tf_checks.rules import Context, extra_py_files, norm_prefix
from tf_checks.scripts import GLUE_PROVIDED_ARGS, JobIO, job_io, provided_check

declare_family("LG-CONS", "Pipeline consistency",
               "Crawler targets match job outputs, the tables jobs read are created by a crawler "
               "or declared, script arguments are passed, uploaded scripts exist and parse, and "
               "what each job reads and writes is known.")

CONS_001 = declare(
    "LG-CONS-001", "Crawler after a job crawls a path the job does not write", "high", "LG-CONS",
    "A crawler started by a trigger that waits on a job crawls an S3 path the job does not write "
    "(what the job writes comes from its script, its SQL header or a `lakegate.toml` "
    "declaration). The crawler then catalogs stale or no data. Fix: point `s3_target.path` at the "
    "job's output, or the job at the crawled path.")
CONS_002 = declare(
    "LG-CONS-002", "Job reads a catalog table nothing creates", "high", "LG-CONS",
    "A job reads a Glue catalog table (`from_catalog`, `spark.table`, `spark.sql`, SQL header "
    "`catalog=`) that no crawler, `aws_glue_catalog_table` or job of the plan creates. Crawler "
    "table = `table_prefix` (lower-cased, kept as is) + the include path's last folder "
    "(lower-cased, characters other than `[a-z0-9_]` -> `_`) -- `lakegate.glue_naming`. Only "
    "checked when the plan has crawlers (tables may come from elsewhere otherwise).")
CONS_003 = declare(
    "LG-CONS-003", "Crawler would create per-partition tables", "high", "LG-CONS",
    "high: the include path points inside a `key=value` partition folder (Glue then creates one "
    "table per partition such as `bronze_ingest_year_2025`), or the crawler `configuration` is not "
    "JSON. medium: the crawled data is partitioned (a job writes it with `partitionBy`/"
    "`partitionKeys`/SQL header `partition_by`, or a catalog table there has partition keys) and "
    "the crawler has no `CombineCompatibleSchemas` table grouping -- partition folders whose "
    "schemas differ then become separate tables. Not reported for unpartitioned targets.")
CONS_004 = declare(
    "LG-CONS-004", "Script reads a job argument the job does not pass", "high", "LG-CONS",
    "The script reads an argument (`getResolvedOptions`, `argparse`, `sys.argv[sys.argv.index(...)"
    " + 1]`; also through a function of a `.py` module shipped with `--extra-py-files`) that is "
    "not in the job's `default_arguments` (Glue passes `JOB_NAME`, `JOB_ID`, `JOB_RUN_ID` itself): "
    "the run fails. medium when the script's own `getResolvedOptions` list cannot be evaluated, "
    "or when the script was not found while its I/O is known from a SQL header or declaration; "
    "high when a read through a shipped module cannot be followed.")
CONS_005 = declare(
    "LG-CONS-005", "Uploaded script, SQL or module missing or broken", "high", "LG-CONS",
    "A script, SQL file or `--extra-py-files` `.py` module uploaded by an `aws_s3_object` of the "
    "plan does not exist at its `source`, does not parse, or its `-- lakegate:` SQL header is "
    "invalid for the job's arguments. A file uploaded outside Terraform is not a finding by "
    "itself (it is looked up by name, see LG-CONS-008).")
CONS_006 = declare(
    "LG-CONS-006", "Bookmarks enabled but a catalog read has no transformation_ctx", "high", "LG-CONS",
    "Job bookmarks are enabled but a `from_catalog` read has no `transformation_ctx`, so the "
    "bookmark never advances and every run reprocesses all data.")
CONS_007 = declare(
    "LG-CONS-007", "Script checks skipped: no Terraform directory", "info", "LG-CONS",
    "The plan has Glue jobs but neither the Terraform directory (`--tf-dir`) nor `--scripts` is "
    "known, so scripts, SQL headers and arguments were not checked.")
CONS_008 = declare(
    "LG-CONS-008", "Cannot verify what a job reads and writes", "high", "LG-CONS",
    "The gate could not tell which S3 paths and tables a job reads, writes or deletes: a Scala "
    "job, a script that was not found (not uploaded by the plan, not in `--scripts`, not found by "
    "name in the repository), an import whose source it cannot read, or a path computed at run "
    "time. The IAM check of the job's data access is skipped (its script, temp dir and logs are "
    "still checked) -- never guessed, never passed silently. Fix: pass `--scripts DIR`, or declare "
    "the job's I/O in `lakegate.toml`: `[gate.jobs.\"<name glob>\"] reads = [\"s3://b/in/\", "
    "\"db.table\"] writes = [\"s3://b/out/\"]` (also `deletes`, `lists`).")

_PARTITION_FOLDER = re.compile(r"^[A-Za-z0-9_\-]+=[^/]*$")


@check("consistency", order=30)
def run(ctx: Context) -> Iterable[Finding]:
    findings: list[Finding] = []
    ios: dict[str, JobIO] = {}
    for res in ctx.plan.of("aws_glue_job"):
        io, errs = job_io(ctx, res)
        findings += [f for f in errs if f.rule_id != "LG-RESOLVE-001"]  # the IAM rule reports those
        if io is None:
            continue
        ios[res.address] = io
        if io.unknown:
            name = Job(res).name
            declare_it = (f"declare it in lakegate.toml: [gate.jobs.\"{name}\"] reads = "
                          f"[\"s3://<bucket>/<prefix>/\", \"<database>.<table>\"] writes = "
                          f"[\"s3://<bucket>/<prefix>/\"] (deletes/lists too when it deletes or lists)")
            fix = declare_it if io.script_path is not None or "Scala" in io.unknown else \
                f"pass --scripts DIR (the folder holding the job's scripts), or {declare_it}"
            findings.append(CONS_008.finding(
                res.address, f"cannot verify what job {name} reads/writes: {io.unknown}", fix=fix))
        findings += _script_checks(ctx, res, io)
    findings += _crawler_naming(ctx, ios)
    findings += _crawler_after_job(ctx, ios)
    if ctx.tf_dir is None and ctx.scripts_dir is None and ctx.plan.of("aws_glue_job"):
        findings.append(CONS_007.finding("(plan)", "script, SQL and argument checks were skipped: "
                                                   "the Terraform directory is not known",
                                         fix="pass --tf-dir with the plan (or --scripts DIR)"))
    return findings


def _shipped_modules(ctx: Context, res: Resource, io: JobIO) -> tuple[dict[str, Path], list[Finding]]:
    """The ``.py`` modules the job ships with ``--extra-py-files`` (module name -> local file);
    LG-CONS-005 for one uploaded by the plan whose file is missing. Other files (``.zip``) are not
    read: a script importing from them is reported as unreadable."""
    name = Job(res).name
    libraries: dict[str, Path] = {}
    out: list[Finding] = []
    for url in extra_py_files(io.args):
        base = url.rstrip("/").rsplit("/", 1)[-1]
        if not base.endswith(".py"):
            continue
        loc = ctx.locate(url)
        if loc.path is None:
            continue   # not found anywhere: an import of it is unreadable (LG-CONS-004/008)
        if not loc.path.is_file() and not str(loc.path).startswith("<plan>"):
            out.append(CONS_005.finding(loc.obj.address if loc.obj else res.address,
                                        f"the module {loc.path} uploaded to {url} for job {name} "
                                        "(--extra-py-files) does not exist",
                                        fix="create the file or fix the aws_s3_object source"))
        else:
            libraries[base[:-3]] = loc.path
    return libraries, out


def _script_checks(ctx: Context, res: Resource, io: JobIO) -> list[Finding]:
    if ctx.tf_dir is None and ctx.scripts_dir is None:
        return []
    name = Job(res).name
    loc = ctx.locate(io.script_location)
    if io.script_location.lower().endswith(".scala") or \
            str(io.args.get("--job-language", "")).lower() == "scala":
        return []   # LG-CONS-008 says so (or the I/O is declared)
    if loc.path is None:
        if io.unknown is None:   # I/O known from a SQL header or a declaration, arguments not
            return [CONS_004.finding(
                res.address,
                f"cannot compare the arguments job {name} passes with what its script reads: "
                f"the script {io.script_location} was not found ({loc.why})",
                fix="pass --scripts DIR (the folder holding the job's scripts)", severity="medium")]
        return []   # LG-CONS-008 says so
    path = loc.path
    libraries, out = _shipped_modules(ctx, res, io)
    cmd, _ = ctx.resolver.try_value(res, "command")
    from tf_checks.model import first_block
    gv, _ = ctx.resolver.try_value(res, "glue_version")
    provided = provided_check(gv if isinstance(gv, str) else None,
                              as_dict(first_block(cmd)).get("name"), io.args)
    info = ctx.script_info(io.script_location, libraries, provided)
    if info is None or (not str(path).startswith("<plan>") and not path.is_file()):
        return out + [CONS_005.finding(loc.obj.address if loc.obj else res.address,
                                       f"the script {path} uploaded for job {name} does not exist",
                                       fix="create the file or fix the aws_s3_object source")]
    if info.error:
        if any(f.rule_id == "LG-CONS-005" and "does not parse" in f.message for f in out):
            return out
        return out   # job_io reported the parse error once
    if True:   # the arguments (LG-CONS-004) and the I/O (LG-CONS-008) are both unknown then
        for module, why in info.unreadable_imports:
            out.append(CONS_004.finding(
                res.address,
                f"cannot tell which arguments {path.name} (job {name}) reads: it imports {module}, "
                f"whose source the gate cannot read ({why})",
                fix=f"add {module} to --additional-python-modules if it is a PyPI package, or ship "
                    f"it as a .py file with --extra-py-files"))
    passed = {k[2:] for k in io.args if k.startswith("--")} | GLUE_PROVIDED_ARGS
    if info.args is None:
        out.append(CONS_004.finding(
            res.address,
            f"{info.args_unknown or 'the arguments read by ' + path.name + ' are unknown'}; "
            "cannot compare them with the job's default_arguments",
            severity=info.args_unknown_severity))
        lacking: list[str] = []
    else:
        lacking = [a for a in info.args if a not in passed]
    # argparse / sys.argv reads the analysis found without a value
    for ev in io.evidence:
        m = re.search(r": needs --(\S+) \(LG-CONS-004\)$", ev)
        if m and m.group(1) not in passed and m.group(1) not in lacking:
            lacking.append(m.group(1))
    if lacking:
        add = ", ".join(f'"--{a}" = "..."' for a in lacking)
        out.append(CONS_004.finding(
            res.address,
            f"script {path.name} reads argument(s) {', '.join(lacking)} that job {name} does not "
            "pass (the run fails when it reads them)",
            fix=f"add to default_arguments: {add}"))
    if Job(res).bookmarks_enabled or io.args.get("--job-bookmark-option") == "job-bookmark-enable":
        for where in info.catalog_reads_without_ctx:
            out.append(CONS_006.finding(
                res.address,
                f"job {name} has bookmarks enabled but the catalog read at {where} has no "
                "transformation_ctx, so the bookmark never advances and every run reprocesses all data",
                fix="pass transformation_ctx=\"<input name>\" to from_catalog"))
    return out


def _partitioned_prefixes(ctx: Context, ios: dict[str, JobIO]) -> list[str]:
    out = [norm_prefix(p) for io in ios.values() for p in io.partitioned_writes]
    for r in ctx.plan.of("aws_glue_catalog_table"):
        keys, _ = ctx.resolver.try_value(r, "partition_keys")
        sd, _ = ctx.resolver.try_value(r, "storage_descriptor")
        from tf_checks.model import first_block
        loc = as_dict(first_block(sd)).get("location")
        if as_list(keys) and isinstance(loc, str):
            out.append(norm_prefix(loc))
    return out


def _crawler_naming(ctx: Context, ios: dict[str, JobIO]) -> list[Finding]:
    out: list[Finding] = []
    produced: dict[str, set[str]] = {}   # database -> tables crawlers/tables/jobs create
    any_crawler = False
    partitioned = _partitioned_prefixes(ctx, ios)
    for res in ctx.plan.of("aws_glue_crawler"):
        any_crawler = True
        c = Crawler(res)
        db, _ = ctx.resolver.try_value(res, "database_name")
        targets, _ = ctx.resolver.try_value(res, "s3_target")
        paths = [p for p in (as_dict(t).get("path") for t in as_list(targets)) if isinstance(p, str)]
        conf_text, _ = ctx.resolver.try_value(res, "configuration")
        grouping = None
        if isinstance(conf_text, str) and conf_text:
            try:
                grouping = as_dict(as_dict(json.loads(conf_text)).get("Grouping")).get("TableGroupingPolicy")
            except ValueError:
                out.append(CONS_003.finding(res.address, f"crawler {c.name} configuration is not valid JSON",
                                            fix="write configuration = jsonencode({...})"))
        for p in paths:
            table = crawler_table_name(c.table_prefix, p)
            if isinstance(db, str):
                produced.setdefault(db, set()).add(table)
            segs = [s for s in p.split("://", 1)[-1].split("/")[1:] if s]
            if segs and _PARTITION_FOLDER.match(segs[-1]):
                out.append(CONS_003.finding(
                    res.address,
                    f"crawler {c.name} include path {p} points inside a partition folder: it "
                    f"creates a per-partition table {table!r} instead of one partitioned table",
                    fix="point s3_target.path at the table root (the folder above the key=value "
                        "partition folders)"))
        part_paths = [p for p in paths if any(norm_prefix(p).startswith(q) or q.startswith(norm_prefix(p))
                                              for q in partitioned)]
        if part_paths and grouping != "CombineCompatibleSchemas":
            example = crawler_table_name(c.table_prefix, "s3://b/ingest_year_2025/")
            out.append(CONS_003.finding(
                res.address,
                f"crawler {c.name} crawls partitioned data ({', '.join(part_paths)}) without "
                "CombineCompatibleSchemas table grouping: when partition folders differ in schema "
                f"Glue creates per-folder tables such as {example!r}",
                fix='set configuration = jsonencode({Version = 1.0, Grouping = '
                    '{TableGroupingPolicy = "CombineCompatibleSchemas"}})',
                severity="medium"))
    for r in ctx.plan.of("aws_glue_catalog_table"):
        db, _ = ctx.resolver.try_value(r, "database_name")
        name, _ = ctx.resolver.try_value(r, "name")
        if isinstance(db, str) and isinstance(name, str):
            produced.setdefault(db, set()).add(name.lower())
    for io in ios.values():
        for db, table in io.catalog_writes:
            produced.setdefault(db, set()).add(table.lower())
    if not any_crawler:
        return out
    for addr, io in ios.items():
        for db, table in io.catalog_reads:
            if table.lower() not in produced.get(db, set()):
                known = ", ".join(sorted(produced.get(db, set()))) or "none"
                out.append(CONS_002.finding(
                    addr,
                    f"job {Job(ctx.plan.by_address[addr]).name} reads table {db}.{table} but no "
                    f"crawler, catalog table or job in the plan creates it (tables created in "
                    f"{db}: {known})",
                    fix="make the job read the table the crawler creates (table_prefix + target "
                        "folder name), or fix the crawler"))
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
            if io is None or io.unknown or not io.s3_writes:
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
                        out.append(CONS_001.finding(
                            cres.address,
                            f"crawler {cname} runs after job {job} (trigger {t.name}) but crawls "
                            f"{p}, which the job does not write (it writes {', '.join(sorted(writes))})",
                            fix="point the crawler's s3_target at the job's output path"))
    return out


def check(ctx: Context) -> list[Finding]:
    """Compatibility: the family's findings as a list (the engine runs :func:`run` itself)."""
    return list(run(ctx))

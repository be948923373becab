"""Job I/O: what a Glue job reads, writes, deletes and lists -- the contract of DESIGN.md
"Job I/O" (``job_io(ctx, res) -> (JobIO | None, findings)``).

Sources, in this order, all recorded in ``JobIO.evidence``:

1. a declaration in ``lakegate.toml`` (``[gate.jobs."<name glob>"] reads/writes/deletes/lists``);
2. the job's script, found in the plan (``aws_s3_object``/``aws_s3_bucket_object`` ``source`` or
   ``content``), in ``--scripts DIR``, in the Terraform directory or in the repository that holds
   it (by file name, when exactly one file matches) -- analysed by :mod:`tf_checks.scripts.analyze`
   together with the ``.py`` modules shipped with ``--extra-py-files``;
3. a ``-- lakegate:`` SQL header of a ``.sql`` file the job gets as an argument: its inputs and
   output are added, and I/O the script does with values the gate cannot follow (a driver that
   reads its paths from the header) is attributed to it.

A catalog table read or written adds the table's storage location (``aws_glue_catalog_table``
``storage_descriptor.location``, or the S3 target of the crawler that creates it). When the I/O
still cannot be known, ``JobIO.unknown`` says why; then LG-CONS-008 reports it once and the IAM
check of the job's data access is skipped -- nothing is guessed.
"""

from __future__ import annotations

import ast
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from tf_checks.findings import Finding
from tf_checks.model import Job, Resource, as_dict, first_block
from tf_checks.scripts.analyze import Unknown, Wild, analyze
from tf_checks.scripts.args import _read_tree, extra_py_files
from tf_checks.scripts.libraries import provided_check

GLUE_PROVIDED_ARGS = frozenset({"JOB_NAME", "JOB_ID", "JOB_RUN_ID"})


@dataclass
class JobIO:
    args: dict[str, str]
    script_location: str
    catalog_reads: list[tuple[str, str]] = field(default_factory=list)
    s3_reads: list[str] = field(default_factory=list)
    s3_writes: list[str] = field(default_factory=list)
    output_path: str | None = None
    from_sql: bool = False
    catalog_writes: list[tuple[str, str]] = field(default_factory=list)
    s3_deletes: list[str] = field(default_factory=list)
    s3_lists: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    unknown: str | None = None
    partitioned_writes: list[str] = field(default_factory=list)  # writes with partition columns
    script_path: Path | None = None   # the local file analysed (None: not found / Scala / declared)
    script_found: str = ""            # how it was found (for messages)


@dataclass(frozen=True)
class JobDeclaration:
    pattern: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    source: str = "lakegate.toml"


def load_declarations(config: Path | None) -> list[JobDeclaration]:
    """``[gate.jobs."<glob>"]`` tables of ``lakegate.toml``; bad entries -> LakegateError (exit 2)."""
    if config is None:
        return []
    import tomllib

    try:
        doc = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LakegateError(f"cannot read {config}: {err}", where=str(config),
                            fix="fix the TOML syntax") from None
    jobs = as_dict(as_dict(doc.get("gate")).get("jobs"))
    out = []
    for pattern, spec in jobs.items():
        where = f"{config} [gate.jobs.{pattern!r}]"
        if not isinstance(spec, dict):
            raise LakegateError(f"{where} is not a table", where=where,
                                fix='write [gate.jobs."<name glob>"] with reads = [...] writes = [...]')
        unknown_keys = set(spec) - {"reads", "writes", "deletes", "lists"}
        if unknown_keys:
            raise LakegateError(f"{where}: unknown key(s) {', '.join(sorted(unknown_keys))}", where=where,
                                fix="use reads, writes, deletes, lists")
        vals: dict[str, tuple[str, ...]] = {}
        for key in ("reads", "writes", "deletes", "lists"):
            items = spec.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, str) and _is_target(i) for i in items):
                raise LakegateError(f"{where}: {key} must be a list of s3://bucket/prefix URLs or "
                                    "catalog tables 'database.table'", where=where,
                                    fix=f'{key} = ["s3://my-bucket/curated/", "analytics.orders"]')
            vals[key] = tuple(items)
        out.append(JobDeclaration(pattern, source=str(config), **vals))
    return out


def _is_target(s: str) -> bool:
    if s.startswith("s3://"):
        return len(s) > 5 and not s[5:].startswith("/")
    parts = s.split(".")
    return len(parts) == 2 and all(parts)


# ----------------------------------------------------------------------------- finding files

_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", ".terraform", "__pycache__", ".tox",
              ".mypy_cache", ".pytest_cache", "site-packages", ".venv-checkov"}


def file_index(root: Path) -> dict[str, list[Path]]:
    """basename -> files under ``root`` (hidden and dependency folders skipped)."""
    out: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        for f in filenames:
            if f.endswith((".py", ".sql", ".scala", ".zip")):
                out.setdefault(f, []).append(Path(dirpath) / f)
    return out


def repo_root(start: Path) -> Path | None:
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


# ----------------------------------------------------------------------------- job_io

def job_io(ctx: Any, res: Resource) -> tuple[JobIO | None, list[Finding]]:
    """What job ``res`` reads and writes (see the module docstring). Cached per job on ``ctx``."""
    cache = ctx.__dict__.setdefault("_job_io_cache", {})
    if res.address not in cache:
        cache[res.address] = _job_io(ctx, res)
    io, errs = cache[res.address]
    return io, list(errs)


def _job_io(ctx: Any, res: Resource) -> tuple[JobIO | None, list[Finding]]:
    from tf_checks.rules import cannot_verify

    raw, why = ctx.resolver.try_value(res, "default_arguments")
    if raw is None and why is None:
        raw = {}                       # a job without default_arguments is valid
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        return None, [cannot_verify(res.address, "the job's arguments", why or "not a map of strings")]
    args = dict(raw)
    cmd, why = ctx.resolver.try_value(res, "command")
    command = as_dict(first_block(cmd))
    script = command.get("script_location")
    if not isinstance(script, str):
        return None, [cannot_verify(res.address, "the job's script location", why or "unknown")]
    io = JobIO(args, script)
    name = Job(res).name or res.address
    errs: list[Finding] = []

    decl = next((d for d in ctx.job_declarations if fnmatch.fnmatchcase(name, d.pattern)), None)
    if decl is not None:
        _apply_declaration(io, decl)
        _add_locations(ctx, io)
        return io, errs

    # the SQL header(s) of .sql files passed as arguments
    header_found = _sql_headers(ctx, res, io, errs)

    language = str(args.get("--job-language", "")).lower()
    if language == "scala" or script.lower().endswith(".scala"):
        if not header_found:
            io.unknown = ("it is a Scala job; lakegate reads Python scripts only")
        _add_locations(ctx, io)
        return io, errs

    loc = ctx.locate(script)
    if loc.path is None:
        if not header_found:
            io.unknown = f"its script {script} was not found ({loc.why})"
        _add_locations(ctx, io)
        return io, errs
    io.script_path, io.script_found = loc.path, loc.how
    io.evidence.append(f"script {script}: {loc.how}")
    tree, error = _read_tree(loc.path)
    if tree is None:
        errs.append(ctx.rule("LG-CONS-005").finding(
            loc.obj.address if loc.obj else res.address,
            f"the script for job {name} does not parse: {error}", fix="fix the Python syntax"))
        io.unknown = f"its script {loc.path.name} does not parse"
        return io, errs
    modules: dict[str, tuple[Path, ast.Module]] = {}
    for url in extra_py_files(args):
        base = url.rstrip("/").rsplit("/", 1)[-1]
        if not base.endswith(".py"):
            continue
        mloc = ctx.locate(url)
        if mloc.path is None or not mloc.path.is_file():
            continue      # reported by LG-CONS-005 / as an unreadable import when imported
        mtree, _ = _read_tree(mloc.path)
        if mtree is not None:
            modules[base[:-3]] = (mloc.path, mtree)
            io.evidence.append(f"--extra-py-files {url}: {mloc.how}")
    provided = provided_check(_glue_version(ctx, res), command.get("name"), args)
    imported = _imports_needing_source(tree, modules, provided)
    if imported:
        io.unknown = (f"{loc.path.name} imports {', '.join(imported)}, whose source the gate cannot "
                      "read (not provided by the job's Glue version, not in --additional-python-modules, "
                      "not a .py shipped with --extra-py-files)")
        _add_locations(ctx, io)
        return io, errs
    try:
        analysis = analyze(loc.path, tree, modules, args)
    except Exception as err:  # noqa: BLE001 - fail closed on a script the analysis cannot handle
        io.unknown = (f"the gate's analysis of {loc.path.name} failed ({type(err).__name__}: "
                      f"{str(err)[:120]})")
        _add_locations(ctx, io)
        return io, errs
    unknown: list[str] = []
    for op in analysis.ops:
        if isinstance(op.target, Unknown):
            if op.target.missing_arg:
                io.evidence.append(f"{op.where()} {op.what}: needs {op.target.missing_arg} (LG-CONS-004)")
                continue
            if header_found:
                io.evidence.append(f"{op.where()} {op.what}: dynamic ({op.target.why}); taken from "
                                   "the SQL header")
                continue
            unknown.append(f"{op.where()} {op.what}: {op.target.why}")
            continue
        _add_op(io, op.kind, op.target)
        if op.partitioned and op.target not in io.partitioned_writes:
            io.partitioned_writes.append(str(op.target))
        io.evidence.append(f"{op.where()} {op.what} -> {op.kind} {op.target}")
    io.evidence += analysis.notes
    if unknown:
        more = f" (and {len(unknown) - 2} more)" if len(unknown) > 2 else ""
        io.unknown = "; ".join(unknown[:2]) + more
    _add_locations(ctx, io)
    if io.output_path is None:
        writes = list(dict.fromkeys(io.s3_writes))
        io.output_path = writes[0] if len(writes) == 1 else None
    return io, errs


def _glue_version(ctx: Any, res: Resource) -> str | None:
    v, _ = ctx.resolver.try_value(res, "glue_version")
    return v if isinstance(v, str) else None


def _imports_needing_source(tree: ast.Module, modules: dict[str, Any], provided: Any) -> list[str]:
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")] if node.level else [(node.module or "").split(".")[0]]
        for n in names:
            if n and not provided(n) and n not in modules and n not in out:
                out.append(n)
    return out


def _add_op(io: JobIO, kind: str, target: str) -> None:
    if kind in ("catalog_read", "catalog_write", "catalog_delete"):
        db, _, table = target.partition(".")
        pair = (db, table)
        lst = io.catalog_reads if kind == "catalog_read" else io.catalog_writes
        if kind == "catalog_delete":
            io.__dict__.setdefault("_catalog_deletes", []).append(pair)
            return
        if pair not in lst:
            lst.append(pair)
        return
    url = str(target)
    if isinstance(target, Wild):
        url = url if url.endswith("/") or not url.rsplit("/", 1)[-1] else url
    lst = {"read": io.s3_reads, "write": io.s3_writes, "delete": io.s3_deletes,
           "list": io.s3_lists}[kind]
    if url not in lst:
        lst.append(url)


def _apply_declaration(io: JobIO, decl: JobDeclaration) -> None:
    io.evidence.append(f"declared in {decl.source} [gate.jobs.{decl.pattern!r}]")
    for kind, items in (("read", decl.reads), ("write", decl.writes), ("delete", decl.deletes),
                        ("list", decl.lists)):
        for item in items:
            if item.startswith("s3://"):
                _add_op(io, kind, item)
            elif kind in ("read", "write"):
                _add_op(io, "catalog_" + kind, item)
            elif kind == "delete":
                _add_op(io, "catalog_delete", item)
    if len(io.s3_writes) == 1:
        io.output_path = io.s3_writes[0]


def _sql_headers(ctx: Any, res: Resource, io: JobIO, errs: list[Finding]) -> bool:
    """Read the ``-- lakegate:`` header of every ``.sql`` S3 URL among the job's arguments."""
    found = False
    name = Job(res).name
    for key, url in io.args.items():
        if not (url.startswith("s3://") and url.lower().endswith(".sql")):
            continue
        loc = ctx.locate(url)
        if loc.path is None:
            continue
        try:
            from lakegate.sqlrun import parse_job_sql, resolve
        except ImportError:   # lakegate without its SQL extras: the header is not read
            return False
        if not loc.path.is_file():
            errs.append(ctx.rule("LG-CONS-005").finding(
                loc.obj.address if loc.obj else res.address,
                f"the SQL file {loc.path} uploaded to {url} does not exist",
                fix="create the file or fix the aws_s3_object source"))
            continue
        try:
            text = loc.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            errs.append(ctx.rule("LG-CONS-005").finding(res.address, f"cannot read {loc.path}: {err}"))
            continue
        if "-- lakegate:" not in text:
            io.evidence.append(f"{key} {url}: {loc.how}; no lakegate header")
            continue
        try:
            job_sql = resolve(parse_job_sql(text, source=str(loc.path)), io.args)
        except LakegateError as err:
            errs.append(ctx.rule("LG-CONS-005").finding(
                loc.obj.address if loc.obj else res.address,
                f"the SQL header of {loc.path.name} is invalid for job {name}: {err.what}",
                fix=err.fix or ""))
            continue
        found = io.from_sql = True
        io.evidence.append(f"{key} {url}: lakegate SQL header ({loc.how})")
        for inp in job_sql.inputs:
            if inp.kind == "catalog" and inp.database and inp.table:
                _add_op(io, "catalog_read", f"{inp.database}.{inp.table}")
            elif inp.kind == "path" and inp.path:
                _add_op(io, "read", inp.path)
        out = job_sql.output
        _add_op(io, "write", out.path)
        if out.partition_by:
            io.partitioned_writes.append(out.path)
        if out.mode in ("overwrite", "overwrite_partitions"):
            _add_op(io, "delete", out.path)
            _add_op(io, "list", out.path)
        io.output_path = out.path
    return found


def _add_locations(ctx: Any, io: JobIO) -> None:
    """Catalog tables -> their S3 storage locations (when the configuration says where)."""
    for db, table in io.catalog_reads:
        loc = ctx.table_location(db, table)
        if loc:
            _add_op(io, "read", loc)
            _add_op(io, "list", loc)
            io.evidence.append(f"table {db}.{table} is stored at {loc}")
    for db, table in io.catalog_writes:
        loc = ctx.table_location(db, table)
        if loc:
            _add_op(io, "write", loc)
            io.evidence.append(f"table {db}.{table} is stored at {loc}")
    for db, table in io.__dict__.pop("_catalog_deletes", []):
        loc = ctx.table_location(db, table)
        if loc:
            _add_op(io, "delete", loc)
            _add_op(io, "list", loc)


__all__ = ["JobIO", "JobDeclaration", "job_io", "load_declarations", "file_index", "repo_root",
           "GLUE_PROVIDED_ARGS"]

"""Glue job SQL kept as data: parse the ``-- lakegate:`` header, resolve it, run it on DuckDB.

Each job's transformation lives in ``terraform/glue_jobs/<short>.sql`` as Spark SQL. The Glue
script runs it with ``spark.sql``; the local runtime runs the *same text* here, transpiled by
sqlglot (``read="spark"``, ``write="duckdb"``). The header at the top of the file is the job's I/O
contract (see docs/DESIGN.md, "The SQL header")::

    -- lakegate:input bronze_batch catalog={database_name}.{bronze_table} incremental
    -- lakegate:input silver_existing path={silver_path} format=parquet optional
    -- lakegate:output path={silver_path} format=parquet partition_by=a,b mode=overwrite_partitions
    -- lakegate:param engine_temp_limit number default=100

This module is deliberately independent of AWS: the caller (local runtime, tests) reads the
inputs, registers them in a DuckDB connection under the input names and writes the result.

Optional inputs
    DESIGN.md says a missing optional input is "an empty view with the output's schema". The
    output's schema depends on the SQL, so the rule the job SQL follows (and the Glue scripts
    follow too) is: an optional input ``X`` is consumed exactly as a union branch
    ``UNION ALL SELECT * FROM X``. Dropping that branch gives a query whose result has the
    output's schema; :func:`register_missing_optional_inputs` registers ``X`` as its zero-row
    result, so the full SQL then runs unchanged.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from typing import Literal

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError

from lakegate.errors import LakegateError

HEADER_PREFIX = "-- lakegate:"
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARG_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PARAM_PLACEHOLDER_RE = re.compile(r"\$\{([^}]*)\}")
# A plain SQL numeric literal: no exponent games, no expressions, nothing to inject.
_NUMBER_RE = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_FORMATS = ("parquet",)
_MODES = ("overwrite", "overwrite_partitions", "append")
_PARAM_TYPES = ("number", "string")

InputKind = Literal["catalog", "path"]
OutputMode = Literal["overwrite", "overwrite_partitions", "append"]


@dataclass(frozen=True)
class SqlInput:
    """One ``input`` header line: a temp view the SQL body reads under ``name``."""

    name: str
    kind: InputKind
    database: str | None = None
    table: str | None = None
    path: str | None = None
    incremental: bool = False
    optional: bool = False
    format: str | None = None


@dataclass(frozen=True)
class SqlOutput:
    """The ``output`` header line: where and how the job writes the body's result."""

    path: str
    format: str
    partition_by: list[str] = field(default_factory=list)
    mode: OutputMode = "overwrite"


@dataclass(frozen=True)
class SqlParam:
    """A ``param`` header line: ``${name}`` in the body, from job argument ``--name``."""

    name: str
    type: Literal["number", "string"]
    default: str | None = None


@dataclass(frozen=True)
class JobSql:
    """A parsed job SQL file: header (inputs, output, params) and the Spark SQL body."""

    inputs: list[SqlInput]
    output: SqlOutput
    params: list[SqlParam]
    body: str
    source: str = "<sql>"

    def input(self, name: str) -> SqlInput:
        """The input called ``name`` (KeyError if none)."""
        for item in self.inputs:
            if item.name == name:
                return item
        raise KeyError(name)


# --------------------------------------------------------------------------- parsing

def _err(source: str, lineno: int, what: str, fix: str) -> LakegateError:
    return LakegateError(what, where=f"{source}:{lineno}", fix=fix)


def _split_options(tokens: list[str], source: str, lineno: int,
                   allowed_keys: set[str], allowed_flags: set[str]) -> tuple[dict[str, str], set[str]]:
    """Split ``key=value`` options and bare flags; reject unknown, duplicate or empty ones."""
    options: dict[str, str] = {}
    flags: set[str] = set()
    for token in tokens:
        if "=" in token:
            key, _, value = token.partition("=")
            if key not in allowed_keys:
                raise _err(source, lineno, f"unknown option '{key}'",
                           f"allowed options here: {', '.join(sorted(allowed_keys))}")
            if key in options:
                raise _err(source, lineno, f"option '{key}' given twice", "keep one")
            if value == "":
                raise _err(source, lineno, f"option '{key}' has an empty value",
                           f"write {key}=<value>")
            options[key] = value
        else:
            if token not in allowed_flags:
                allowed = ", ".join(sorted(allowed_flags)) or "none"
                raise _err(source, lineno, f"unknown flag '{token}'", f"allowed flags here: {allowed}")
            if token in flags:
                raise _err(source, lineno, f"flag '{token}' given twice", "keep one")
            flags.add(token)
    return options, flags


def _check_name(name: str, what: str, source: str, lineno: int) -> None:
    if not _NAME_RE.match(name):
        raise _err(source, lineno, f"{what} name '{name}' is not a SQL identifier",
                   "use letters, digits and underscores, starting with a letter or underscore")


def _parse_input(tokens: list[str], source: str, lineno: int) -> SqlInput:
    if not tokens:
        raise _err(source, lineno, "input line has no name",
                   "write: -- lakegate:input NAME catalog=DB.TABLE [incremental] | "
                   "path=URL format=parquet [optional]")
    name, rest = tokens[0], tokens[1:]
    _check_name(name, "input", source, lineno)
    options, flags = _split_options(rest, source, lineno, {"catalog", "path", "format"},
                                    {"incremental", "optional"})
    if ("catalog" in options) == ("path" in options):
        raise _err(source, lineno, f"input '{name}' needs exactly one of catalog= or path=",
                   "catalog inputs: catalog=DB.TABLE; file inputs: path=URL format=parquet")
    if "catalog" in options:
        if "format" in options or "optional" in flags:
            raise _err(source, lineno, f"catalog input '{name}' takes only the flag 'incremental'",
                       "format= and optional belong to path= inputs")
        db, dot, table = options["catalog"].partition(".")
        if not dot or not db or not table or "." in table:
            raise _err(source, lineno, f"catalog value '{options['catalog']}' is not DB.TABLE",
                       "write catalog=<database>.<table> (exactly one dot)")
        return SqlInput(name=name, kind="catalog", database=db, table=table,
                        incremental="incremental" in flags)
    if "incremental" in flags:
        raise _err(source, lineno, f"path input '{name}' cannot be incremental",
                   "job bookmarks apply to catalog inputs; drop 'incremental'")
    fmt = options.get("format")
    if fmt is None:
        raise _err(source, lineno, f"path input '{name}' has no format=", "add format=parquet")
    if fmt not in _FORMATS:
        raise _err(source, lineno, f"unsupported format '{fmt}'", "use format=parquet")
    return SqlInput(name=name, kind="path", path=options["path"], format=fmt,
                    optional="optional" in flags)


def _parse_output(tokens: list[str], source: str, lineno: int) -> SqlOutput:
    options, _ = _split_options(tokens, source, lineno, {"path", "format", "partition_by", "mode"},
                                set())
    for key in ("path", "format", "mode"):
        if key not in options:
            raise _err(source, lineno, f"output line has no {key}=",
                       "write: -- lakegate:output path=URL format=parquet "
                       "[partition_by=a,b] mode=overwrite|overwrite_partitions|append")
    if options["format"] not in _FORMATS:
        raise _err(source, lineno, f"unsupported format '{options['format']}'", "use format=parquet")
    if options["mode"] not in _MODES:
        raise _err(source, lineno, f"unknown mode '{options['mode']}'",
                   f"use one of: {', '.join(_MODES)}")
    partition_by: list[str] = []
    if "partition_by" in options:
        partition_by = options["partition_by"].split(",")
        for col in partition_by:
            _check_name(col, "partition column", source, lineno)
        if len(set(partition_by)) != len(partition_by):
            raise _err(source, lineno, "partition_by repeats a column", "list each column once")
    if options["mode"] == "overwrite_partitions" and not partition_by:
        raise _err(source, lineno, "mode=overwrite_partitions needs partition_by=",
                   "add partition_by=... or use mode=overwrite")
    return SqlOutput(path=options["path"], format=options["format"], partition_by=partition_by,
                     mode=options["mode"])  # type: ignore[arg-type]


def _parse_param(tokens: list[str], source: str, lineno: int) -> SqlParam:
    if len(tokens) < 2:
        raise _err(source, lineno, "param line needs a name and a type",
                   "write: -- lakegate:param NAME number|string [default=V]")
    name, ptype, rest = tokens[0], tokens[1], tokens[2:]
    _check_name(name, "param", source, lineno)
    if ptype not in _PARAM_TYPES:
        raise _err(source, lineno, f"param '{name}' has unknown type '{ptype}'",
                   "use number or string")
    options, _ = _split_options(rest, source, lineno, {"default"}, set())
    default = options.get("default")
    if default is not None:
        _check_param_value(name, ptype, default, where=f"{source}:{lineno}")
    return SqlParam(name=name, type=ptype, default=default)  # type: ignore[arg-type]


def _check_param_value(name: str, ptype: str, value: str, *, where: str) -> None:
    """Validate a param value; it is pasted into SQL text, so accept only safe literals."""
    if ptype == "number":
        ok = bool(_NUMBER_RE.match(value.strip())) and math.isfinite(float(value))
        if not ok:
            raise LakegateError(f"param '{name}' must be a number, got '{value}'", where=where,
                                fix=f"pass --{name} as a plain number, e.g. 100 or 99.5")
    elif "'" in value or "\\" in value:
        raise LakegateError(f"string param '{name}' contains a quote or backslash", where=where,
                            fix="string params are pasted inside SQL quotes; remove ' and \\")


def parse_job_sql(text: str, *, source: str = "<sql>") -> JobSql:
    """Parse a job SQL file: leading ``-- lakegate:`` header lines, then the Spark SQL body.

    The header is the block of comment and blank lines at the top of the file; ``-- lakegate:``
    lines are directives, other comments are documentation. A directive after the body has
    started is an error (it would be silently ignored by a reader that stops at the header).
    """
    inputs: list[SqlInput] = []
    outputs: list[tuple[int, SqlOutput]] = []
    params: list[SqlParam] = []
    input_lines: list[int] = []
    param_lines: list[int] = []
    lines = text.splitlines()
    body_start = len(lines)
    for idx, raw in enumerate(lines):
        lineno = idx + 1
        line = raw.strip()
        if line.startswith(HEADER_PREFIX):
            directive = line[len(HEADER_PREFIX):].split()
            if not directive:
                raise _err(source, lineno, "empty lakegate directive",
                           "write -- lakegate:input|output|param ...")
            kind, tokens = directive[0], directive[1:]
            if kind == "input":
                inputs.append(_parse_input(tokens, source, lineno))
                input_lines.append(lineno)
            elif kind == "output":
                outputs.append((lineno, _parse_output(tokens, source, lineno)))
            elif kind == "param":
                params.append(_parse_param(tokens, source, lineno))
                param_lines.append(lineno)
            else:
                raise _err(source, lineno, f"unknown lakegate directive '{kind}'",
                           "use input, output or param")
        elif line.lower().startswith("--") and line[2:].strip().lower().startswith("lakegate"):
            raise _err(source, lineno, f"malformed lakegate header line: {line!r}",
                       "write exactly '-- lakegate:<directive> ...' (one space, then a colon)")
        elif line == "" or line.startswith("--"):
            continue
        else:
            body_start = idx
            break
    for idx in range(body_start, len(lines)):
        if lines[idx].strip().startswith(HEADER_PREFIX):
            raise _err(source, idx + 1, "lakegate header line after the SQL body started",
                       "move all -- lakegate: lines to the top of the file")
    if not inputs:
        raise _err(source, 1, "no '-- lakegate:input' line", "declare every view the SQL reads")
    if len(outputs) != 1:
        line_no = outputs[1][0] if len(outputs) > 1 else 1
        raise _err(source, line_no, f"expected exactly one '-- lakegate:output' line, found {len(outputs)}",
                   "declare one output")
    seen: set[str] = set()
    for item, item_line in zip(inputs, input_lines):
        if item.name.lower() in seen:
            raise _err(source, item_line, f"input '{item.name}' declared twice", "give each input its own name")
        seen.add(item.name.lower())
    pseen: set[str] = set()
    for p, p_line in zip(params, param_lines):
        if p.name in pseen:
            raise _err(source, p_line, f"param '{p.name}' declared twice", "declare each param once")
        pseen.add(p.name)
    body = "\n".join(lines[body_start:]).strip()
    if not body:
        raise _err(source, len(lines) or 1, "the SQL file has a header but no SQL body",
                   "write the SELECT after the header")
    for match in _PARAM_PLACEHOLDER_RE.finditer(body):
        if match.group(1) not in pseen:
            lineno = body_start + body[: match.start()].count("\n") + 1
            raise _err(source, lineno, f"'${{{match.group(1)}}}' used but no such param declared",
                       f"add '-- lakegate:param {match.group(1)} number|string default=...'")
    return JobSql(inputs=inputs, output=outputs[0][1], params=params, body=body, source=source)


def load_job_sql(path: str | os.PathLike[str]) -> JobSql:
    """Read and parse a job SQL file; unreadable files are LakegateErrors."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise LakegateError(f"cannot read job SQL file: {exc}", where=str(path),
                            fix="check the path and that the file is UTF-8 text") from exc
    return parse_job_sql(text, source=str(path))


# --------------------------------------------------------------------------- resolving

def _normalise_args(job_args: dict[str, str]) -> dict[str, str]:
    return {str(k)[2:] if str(k).startswith("--") else str(k): str(v) for k, v in job_args.items()}


def _fill(value: str | None, args: dict[str, str], source: str, what: str) -> str | None:
    if value is None:
        return None

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in args:
            raise LakegateError(f"{what} uses '{{{key}}}' but job argument --{key} is not set",
                                where=source, fix=f"pass --{key} in the job's default_arguments")
        return args[key]

    filled = _ARG_PLACEHOLDER_RE.sub(sub, value)
    if "{" in filled or "}" in filled:
        raise LakegateError(f"{what} has an unbalanced or invalid placeholder: {value!r}",
                            where=source, fix="write placeholders as {argument_name}")
    return filled


def resolve(job_sql: JobSql, job_args: dict[str, str]) -> JobSql:
    """Fill ``{arg}`` in inputs/output and ``${param}`` in the body from job arguments.

    Keys may be given with or without the leading ``--`` (Glue's ``default_arguments`` use it,
    ``getResolvedOptions`` drops it). A param without an argument takes its default; without
    either it is an error, as is a number param that is not a plain number.
    """
    args = _normalise_args(job_args)
    src = job_sql.source
    inputs = []
    for item in job_sql.inputs:
        what = f"input '{item.name}'"
        inputs.append(replace(item, database=_fill(item.database, args, src, what),
                              table=_fill(item.table, args, src, what),
                              path=_fill(item.path, args, src, what)))
    output = replace(job_sql.output, path=_fill(job_sql.output.path, args, src, "output") or "")
    values: dict[str, str] = {}
    params = []
    for p in job_sql.params:
        value = args.get(p.name, p.default)
        if value is None:
            raise LakegateError(f"param '{p.name}' has no job argument --{p.name} and no default",
                                where=src, fix=f"pass --{p.name} or declare default=... in the header")
        _check_param_value(p.name, p.type, value, where=f"{src} (--{p.name})")
        values[p.name] = value.strip() if p.type == "number" else value
        params.append(replace(p, default=values[p.name]))
    body = _PARAM_PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], job_sql.body)
    return JobSql(inputs=inputs, output=output, params=params, body=body, source=src)


# --------------------------------------------------------------------------- running

def to_duckdb(spark_sql: str) -> str:
    """Transpile one Spark SQL statement to DuckDB SQL; parse/unsupported errors are clear."""
    try:
        statements = [s for s in sqlglot.parse(spark_sql, read="spark") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f"line {first.get('line')}, column {first.get('col')}" if first else None
        raise LakegateError(f"cannot parse the job SQL as Spark SQL: {first.get('description', exc)}",
                            where=where, fix="fix the SQL syntax (it must be valid Spark SQL)") from exc
    except SqlglotError as exc:
        raise LakegateError(f"cannot parse the job SQL as Spark SQL: {exc}",
                            fix="fix the SQL syntax (it must be valid Spark SQL)") from exc
    if len(statements) != 1:
        raise LakegateError(f"the job SQL must be exactly one statement, found {len(statements)}",
                            fix="spark.sql() runs one statement: use CTEs instead of several queries")
    try:
        return statements[0].sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise LakegateError(f"the job SQL uses Spark SQL that cannot run on DuckDB: {exc}",
                            fix="rewrite that expression with functions both engines support") from exc


def register_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Register an Arrow table as view ``name`` (replacing any previous one)."""
    if not _NAME_RE.match(name):
        raise LakegateError(f"view name '{name}' is not a SQL identifier",
                            fix="use letters, digits and underscores")
    try:
        con.unregister(name)
    except duckdb.Error:
        pass
    con.register(name, table)


def _view_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT 1 FROM duckdb_views() WHERE lower(view_name) = lower(?) "
        "UNION ALL SELECT 1 FROM duckdb_tables() WHERE lower(table_name) = lower(?)",
        [name, name]).fetchall()
    return bool(rows)


def _check_resolved(job_sql: JobSql) -> None:
    if _PARAM_PLACEHOLDER_RE.search(job_sql.body):
        raise LakegateError("the job SQL body still has ${param} placeholders", where=job_sql.source,
                            fix="call lakegate.sqlrun.resolve(job_sql, job_args) first")


def drop_optional_branch(body: str, name: str) -> str:
    """The body without its ``UNION ALL SELECT * FROM <name>`` branch (see module docstring)."""
    pattern = re.compile(r"\s+UNION\s+ALL\s+SELECT\s+\*\s+FROM\s+" + re.escape(name) + r"\b",
                         re.IGNORECASE)
    pruned, count = pattern.subn("", body)
    if count != 1:
        raise LakegateError(
            f"optional input '{name}' must appear exactly once as 'UNION ALL SELECT * FROM {name}'"
            f" (found {count})",
            fix="read optional inputs only through that union branch, so an empty view with the "
                "output's schema can be made when there are no files yet")
    return pruned


def register_missing_optional_inputs(con: duckdb.DuckDBPyConnection, job_sql: JobSql) -> list[str]:
    """Register each optional input not yet in ``con`` as an empty view with the output's schema.

    Returns the names registered. Required inputs that are missing are an error.
    """
    _check_resolved(job_sql)
    missing_optional = [i.name for i in job_sql.inputs if not _view_exists(con, i.name)]
    for item in job_sql.inputs:
        if item.name in missing_optional and not item.optional:
            raise LakegateError(f"input '{item.name}' is not registered", where=job_sql.source,
                                fix="register every required input (register_arrow) before running")
    body = job_sql.body
    for name in missing_optional:
        body = drop_optional_branch(body, name)
    for name in missing_optional:
        schema_sql = f"SELECT * FROM ({to_duckdb(body)}) AS lakegate_schema_probe LIMIT 0"
        empty = con.sql(schema_sql).to_arrow_table()
        register_arrow(con, name, empty)
    return missing_optional


def run_job_sql(con: duckdb.DuckDBPyConnection, job_sql: JobSql) -> pa.Table:
    """Run the resolved body against views named after the inputs; return the result.

    Missing optional inputs are registered as empty views first (see module docstring).
    """
    _check_resolved(job_sql)
    register_missing_optional_inputs(con, job_sql)
    sql = to_duckdb(job_sql.body)
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise LakegateError(f"the job SQL failed on DuckDB: {exc}", where=job_sql.source,
                            fix="check the input views' columns against the SQL") from exc


def read_parquet_dir(path: str | os.PathLike[str], partition_columns: list[str] | None = None) -> pa.Table:
    """Read a local Parquet folder with Hive partitions, partition columns kept as *strings*.

    Spark (with partition type inference off, as the Glue scripts set it) and the job SQL treat
    ``event_month=01`` as the string ``"01"``; pyarrow/DuckDB would otherwise infer integers
    and ``01`` would come back as ``1``.
    """
    import pyarrow.dataset as ds

    root = os.fspath(path)
    if not os.path.isdir(root):
        raise LakegateError("Parquet folder does not exist", where=root, fix="check the path")
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
             if f.endswith(".parquet") and not f.startswith((".", "_"))]
    if not files:
        raise LakegateError("no Parquet files in folder", where=root,
                            fix="write data first, or treat the input as absent")
    cols = partition_columns
    if cols is None:
        rel = os.path.relpath(os.path.dirname(sorted(files)[0]), root)
        cols = [part.split("=", 1)[0] for part in rel.split(os.sep) if "=" in part]
    partitioning = ds.partitioning(pa.schema([(c, pa.string()) for c in cols]), flavor="hive") if cols else None
    dataset = ds.dataset(sorted(files), format="parquet", partitioning=partitioning, partition_base_dir=root)
    return dataset.to_table()

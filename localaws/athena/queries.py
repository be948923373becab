"""Athena that runs the SQL: Trino SQL → sqlglot → DuckDB over the Glue catalog's S3 data.

moto's Athena ignores the SQL, returns nothing unless seeded and does not inherit the
workgroup's output location. These overrides implement the query lifecycle the AWS way:

* ``StartQueryExecution``: workgroup must exist; output location from the request or the
  workgroup (the workgroup's wins when ``EnforceWorkGroupConfiguration`` is true, as on AWS);
  state QUEUED, then on the runtime's pool RUNNING → SUCCEEDED / FAILED (durations from the
  timing profile: ``athena_queue``, ``athena``).
* The query: parsed as Trino (Athena engine v3) by sqlglot; every referenced table resolves in
  ``awsdatacatalog`` (unqualified names in ``QueryExecutionContext.Database``), is read with
  :func:`localaws.tabledata.read_table` (projected onto the catalog schema, cached by etags) and
  registered in a fresh DuckDB connection; the SQL is rewritten for DuckDB and run.
* Errors carry Athena's texts: ``TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.t' does
  not exist``, ``COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved or requester is not
  authorized to access requested resources``, ``line 1:1: mismatched input ...`` (syntax),
  ``HIVE_BAD_DATA: ...``; ``AthenaError.ErrorCategory`` 2 (USER) with ``ErrorType`` 1000
  (user error) or 1001 (data error), from the Athena error catalog.
* Results: ``<output>/<id>.csv`` (every field quoted, header row, nulls empty — Athena's CSV)
  and ``<id>.csv.metadata`` (column info as JSON; AWS writes a binary file here, readers of it
  are not supported). ``GetQueryResults`` pages with ``MaxResults`` (≤ 1000) / ``NextToken``,
  header row first, nulls without ``VarCharValue``, ``ResultSetMetadata.ColumnInfo`` with Athena
  type names.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from localaws._lazy import lazy

# imported on first use (a query), not at server start (localaws/_lazy.py)
duckdb = lazy("duckdb")
pa = lazy("pyarrow")
sqlglot = lazy("sqlglot")
exp = lazy("sqlglot.expressions")
tabledata = lazy("localaws.tabledata")
from localaws.dispatch import Ctx, override
from localaws.athena.exceptions import InternalServerException, InvalidRequestException

CATALOG = "awsdatacatalog"
ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}
MAX_PAGE = 1000


class QueryError(Exception):
    """A failed query: Athena's message and error type (1000 user, 1001 data, 100 internal)."""

    def __init__(self, message: str, error_type: int = 1000, category: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.category = category


@dataclass
class Query:
    id: str
    sql: str
    workgroup: str
    database: str
    catalog: str
    output: str  # the query's result file URL
    submitted: float
    state: str = "QUEUED"
    reason: str | None = None
    error: QueryError | None = None
    started: float | None = None
    completed: float | None = None
    scanned: int = 0
    engine_ms: int = 0
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    statement_type: str = "DML"
    substatement: str = "SELECT"


def _store(ctx: Ctx) -> dict[str, Query]:
    rt = ctx.runtime
    if rt is None:
        raise InternalServerException("the Athena runtime is not available")
    return rt.state.setdefault("athena", {}).setdefault((ctx.account_id, ctx.region), {})


def _workgroup(ctx: Ctx, name: str) -> Any:
    wg = ctx.backend("athena").work_groups.get(name)
    if wg is None:
        raise InvalidRequestException(f"WorkGroup {name} is not found.")
    return wg


# --------------------------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------------------------


def _pos(sql: str, start: int) -> tuple[int, int]:
    line = sql.count("\n", 0, start) + 1
    last_nl = sql.rfind("\n", 0, start)
    return line, start - last_nl


def _node_pos(sql: str, node: exp.Expression) -> tuple[int, int]:
    parts = node.parts if isinstance(node, (exp.Column, exp.Table)) else [node]
    for p in parts:
        meta = getattr(p, "meta", None) or {}
        if "start" in meta:
            return _pos(sql, meta["start"])
    return 1, 1


_STARTS = {"ALTER", "ANALYZE", "CALL", "CREATE", "DEALLOCATE", "DELETE", "DESC", "DESCRIBE",
           "DROP", "EXECUTE", "EXPLAIN", "GRANT", "INSERT", "MERGE", "MSCK", "PREPARE", "REFRESH",
           "RESET", "REVOKE", "ROLLBACK", "SELECT", "SET", "SHOW", "START", "UNLOAD", "UPDATE",
           "USE", "VALUES", "WITH", "TABLE", "("}
_STATEMENT_STARTS = ", ".join(f"'{s}'" for s in sorted(_STARTS - {"("})) + ", <query>"


def parse(sql: str) -> exp.Expression:
    """Parse Athena (Trino) SQL; syntax errors become Athena-style messages."""
    stripped = sql.lstrip()
    first = re.match(r"[A-Za-z_]+|\S", stripped)
    if first is None:
        raise QueryError("line 1:1: mismatched input '<EOF>'. Expecting: " + _STATEMENT_STARTS)
    if first.group(0).upper() not in _STARTS:
        line, col = _pos(sql, len(sql) - len(stripped))
        raise QueryError(f"line {line}:{col}: mismatched input '{first.group(0)}'. Expecting: "
                         + _STATEMENT_STARTS)
    try:
        statements = [s for s in sqlglot.parse(sql, read="trino") if s is not None]
    except sqlglot.errors.ParseError as err:
        e = err.errors[0] if err.errors else {}
        hl = e.get("highlight") or ""
        line, col = e.get("line", 1), e.get("col", 1)
        col = max(1, col - len(hl) + 1)
        desc = e.get("description", str(err))
        raise QueryError(f"line {line}:{col}: mismatched input '{hl}'. {desc}") from err
    except sqlglot.errors.SqlglotError as err:
        raise QueryError(f"line 1:1: {err}") from err
    if not statements:
        raise QueryError("line 1:1: mismatched input '<EOF>'. Expecting: a statement")
    if len(statements) > 1:
        raise QueryError("Only one sql statement is allowed. Got: " + str(len(statements)))
    stmt = statements[0]
    if not isinstance(stmt, exp.Query):
        kind = stmt.key.upper()
        raise QueryError(f"NOT_SUPPORTED: {kind} statements are not supported by the local "
                         "Athena (only SELECT/WITH queries)")
    return stmt


def _cte_names(tree: exp.Expression) -> set[str]:
    return {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}


def plan_tables(tree: exp.Expression, sql: str, database: str,
                exists: Any) -> list[tuple[exp.Table, str, str]]:
    """Referenced catalog tables as (node, db, table); unknown → TABLE_NOT_FOUND."""
    ctes = _cte_names(tree)
    out = []
    for t in tree.find_all(exp.Table):
        if not t.name:
            continue
        if not t.db and t.name.lower() in ctes:
            continue
        catalog = (t.catalog or CATALOG).lower()
        db = t.db or database
        name = t.name
        if catalog != CATALOG or not exists(db, name):
            line, col = _node_pos(sql, t)
            raise QueryError(f"TABLE_NOT_FOUND: line {line}:{col}: Table "
                             f"'{catalog}.{db.lower()}.{name.lower()}' does not exist")
        out.append((t, db, name))
    return out


_DUCK_COL_RE = [
    re.compile(r'Referenced column "([^"]+)" not found', re.I),
    re.compile(r'Could not find key "([^"]+)" in struct', re.I),
    re.compile(r'Referenced table "([^"]+)" not found', re.I),
    re.compile(r'Column "([^"]+)" referenced that exists in the SELECT clause', re.I),
    re.compile(r'column "([^"]+)" not found', re.I),
]


def _column_error(tree: exp.Expression, sql: str, message: str) -> QueryError | None:
    for rx in _DUCK_COL_RE:
        m = rx.search(message)
        if not m:
            continue
        missing = m.group(1).lower()
        for col in tree.find_all(exp.Column):
            names = [p.name.lower() for p in col.parts]
            if missing in names:
                line, col_no = _node_pos(sql, col)
                shown = ".".join(names)
                return QueryError(f"COLUMN_NOT_FOUND: line {line}:{col_no}: Column '{shown}' "
                                  "cannot be resolved or requester is not authorized to access "
                                  "requested resources")
        return QueryError(f"COLUMN_NOT_FOUND: line 1:1: Column '{missing}' cannot be resolved or "
                          "requester is not authorized to access requested resources")
    return None


def athena_type(t: pa.DataType) -> tuple[str, int, int]:
    """(Athena type name, precision, scale) for a result column."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return "varchar", 2147483647, 0
    if pa.types.is_boolean(t):
        return "boolean", 0, 0
    if pa.types.is_int8(t):
        return "tinyint", 3, 0
    if pa.types.is_int16(t):
        return "smallint", 5, 0
    if pa.types.is_int32(t):
        return "integer", 10, 0
    if pa.types.is_integer(t):
        return "bigint", 19, 0
    if pa.types.is_float32(t):
        return "real", 24, 0
    if pa.types.is_floating(t):
        return "double", 53, 0
    if pa.types.is_decimal(t):
        return "decimal", t.precision, t.scale
    if pa.types.is_timestamp(t):
        return "timestamp", 3, 0
    if pa.types.is_date(t):
        return "date", 0, 0
    if pa.types.is_struct(t):
        return "row", 0, 0
    if pa.types.is_map(t):
        return "map", 0, 0
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "array", 0, 0
    if pa.types.is_binary(t):
        return "varbinary", 0, 0
    return "varchar", 0, 0


def render(value: Any) -> str | None:
    """A value as Athena prints it in VarCharValue and CSV."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        text = repr(value)
        if "e" in text:
            mant, _, ex = text.partition("e")
            if "." not in mant:
                mant += ".0"
            return f"{mant}E{int(ex)}"
        return text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render_inner(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(x, tuple) and len(x) == 2 for x in value):  # map
            return "{" + ", ".join(f"{k}={render_inner(v)}" for k, v in value) + "}"
        return "[" + ", ".join(render_inner(v) for v in value) + "]"
    if isinstance(value, bytes):
        return value.hex(" ")
    return str(value)


def render_inner(value: Any) -> str:
    r = render(value)
    return "null" if r is None else r


def _cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the server's one in-memory DuckDB (:func:`localaws.tabledata.duckdb_cursor`,
    shared with job runs). Each query registers its tables under unique names and unregisters
    them."""
    return tabledata.duckdb_cursor()


def execute(ctx: Ctx, sql: str, database: str) -> tuple[list[dict[str, Any]], list[list[str | None]], int]:
    """Run Athena SQL over the catalog; (ColumnInfo list, rendered rows, bytes scanned)."""
    tree = parse(sql)
    glue = ctx.backend("glue")

    def exists(db: str, name: str) -> bool:
        with ctx.runtime.lock:
            dbs = glue.databases
            d = dbs.get(db) or next((v for k, v in dbs.items() if k.lower() == db.lower()), None)
            if d is None:
                return False
            return name in d.tables or any(k.lower() == name.lower() for k in d.tables)

    def real_names(db: str, name: str) -> tuple[str, str]:
        with ctx.runtime.lock:
            dbs = glue.databases
            dbname = db if db in dbs else next(k for k in dbs if k.lower() == db.lower())
            tables = dbs[dbname].tables
            tname = name if name in tables else next(k for k in tables if k.lower() == name.lower())
        return dbname, tname

    refs = plan_tables(tree, sql, database, exists)
    con = _cursor()
    tag = uuid.uuid4().hex[:10]
    scanned = 0
    registered: dict[tuple[str, str], str] = {}
    try:
        for node, db, name in refs:
            dbname, tname = real_names(db, name)
            key = (dbname, tname)
            if key not in registered:
                files = tabledata.list_table_files(ctx, dbname, tname)
                scanned += sum(f.size for f in files)
                try:
                    data = tabledata.read_table(ctx, dbname, tname, files)
                except tabledata.TableDataError as err:
                    raise QueryError(str(err) if str(err).startswith("HIVE_") else
                                     f"HIVE_BAD_DATA: {err}", 1001) from err
                view = f"__lg_{tag}_{len(registered)}"
                con.register(view, data)
                registered[key] = view
            alias = node.alias
            new = exp.to_table(registered[key])
            if alias:
                new.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
            else:
                # keep the table's own name usable as a qualifier (t.col)
                new.set("alias", exp.TableAlias(this=exp.to_identifier(node.name)))
            node.replace(new)
        duck_sql = tree.sql(dialect="duckdb")
        try:
            result = con.sql(duck_sql).to_arrow_table()
        except duckdb.Error as err:
            msg = str(err)
            col_err = _column_error(parse(sql), sql, msg)
            if col_err is not None:
                raise col_err from err
            if isinstance(err, (duckdb.ConversionException, duckdb.InvalidInputException)):
                raise QueryError(f"INVALID_CAST_ARGUMENT: {msg.splitlines()[0]}", 1000) from err
            raise QueryError(f"GENERIC_USER_ERROR: {msg.splitlines()[0]}", 1000) from err
    finally:
        for view in registered.values():
            try:
                con.unregister(view)
            except duckdb.Error:
                pass
        con.close()
    columns = []
    for f in result.schema:
        typ, precision, scale = athena_type(f.type)
        columns.append({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": f.name,
                        "Label": f.name, "Type": typ, "Precision": precision, "Scale": scale,
                        "Nullable": "UNKNOWN", "CaseSensitive": typ == "varchar"})
    names = result.column_names
    rows = [[render(r[i]) for i in range(len(names))] for r in
            (tuple(d.values()) for d in result.to_pylist())] if names else []
    return columns, rows, scanned


def to_csv(columns: list[dict[str, Any]], rows: list[list[str | None]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow([c["Name"] for c in columns])
    for r in rows:
        out.write(",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in r) + "\n")
    return out.getvalue().encode()


# --------------------------------------------------------------------------------------------
# lifecycle
# --------------------------------------------------------------------------------------------


def _finish_failed(q: Query, err: QueryError) -> None:
    q.state = "FAILED"
    q.error = err
    q.reason = err.message
    q.completed = time.time()


def _run(ctx: Ctx, q: Query) -> None:
    rt = ctx.runtime
    with rt.lock:
        if q.state != "QUEUED":
            return
        q.state = "RUNNING"
        q.started = time.time()
    t0 = time.perf_counter()
    try:
        bucket, _ = tabledata.parse_s3_url(q.output)
        with rt.lock:
            if bucket not in ctx.backend("s3").buckets:
                raise QueryError(f"Unable to verify/create output bucket {bucket}", 1000)
        columns, rows, scanned = execute(ctx, q.sql, q.database)
    except QueryError as err:
        with rt.lock:
            if q.state == "RUNNING":
                _finish_failed(q, err)
        return
    except Exception as err:  # noqa: BLE001 - a local bug must still end the query
        with rt.lock:
            if q.state == "RUNNING":
                _finish_failed(q, QueryError(f"GENERIC_INTERNAL_ERROR: {type(err).__name__}: {err}",
                                             200, 1))
        raise
    engine = time.perf_counter() - t0
    remaining = rt.duration("athena") - engine
    if remaining > 0:
        time.sleep(remaining)
    data = to_csv(columns, rows)
    meta = json.dumps({"ColumnInfo": columns}).encode()
    bucket, key = tabledata.parse_s3_url(q.output)
    with rt.lock:
        if q.state != "RUNNING":
            return  # cancelled meanwhile
        s3 = ctx.backend("s3")
        s3.put_object(bucket, key, data)
        s3.put_object(bucket, key + ".metadata", meta)
        q.columns, q.rows, q.scanned = columns, rows, scanned
        q.engine_ms = int(engine * 1000)
        q.state = "SUCCEEDED"
        q.completed = time.time()


def _get(ctx: Ctx, qid: Any) -> Query:
    if not isinstance(qid, str) or not qid:
        raise InvalidRequestException("QueryExecutionId is required")
    q = _store(ctx).get(qid)
    if q is None:
        raise InvalidRequestException(f"QueryExecution {qid} was not found")
    return q


def describe(q: Query) -> dict[str, Any]:
    status: dict[str, Any] = {"State": q.state, "SubmissionDateTime": q.submitted}
    if q.completed is not None:
        status["CompletionDateTime"] = q.completed
    if q.reason:
        status["StateChangeReason"] = q.reason
    if q.error is not None:
        status["AthenaError"] = {"ErrorCategory": q.error.category, "ErrorType": q.error.error_type,
                                 "Retryable": False, "ErrorMessage": q.error.message}
    end = q.completed or time.time()
    queue_ms = int(((q.started or end) - q.submitted) * 1000)
    total_ms = int((end - q.submitted) * 1000)
    stats = {"EngineExecutionTimeInMillis": q.engine_ms, "DataScannedInBytes": q.scanned,
             "TotalExecutionTimeInMillis": total_ms, "QueryQueueTimeInMillis": queue_ms,
             "ServicePreProcessingTimeInMillis": 0, "QueryPlanningTimeInMillis": 0,
             "ServiceProcessingTimeInMillis": max(0, total_ms - queue_ms - q.engine_ms),
             "ResultReuseInformation": {"ReusedPreviousResult": False}}
    return {
        "QueryExecutionId": q.id, "Query": q.sql, "StatementType": q.statement_type,
        "ResultConfiguration": {"OutputLocation": q.output},
        "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
        "QueryExecutionContext": {"Database": q.database, "Catalog": q.catalog},
        "Status": status, "Statistics": stats, "WorkGroup": q.workgroup,
        "EngineVersion": dict(ENGINE_VERSION), "SubstatementType": q.substatement,
    }


@override("athena", "StartQueryExecution", errors=(InvalidRequestException, InternalServerException))
def start_query_execution(ctx: Ctx, params: dict) -> dict:
    sql = params.get("QueryString")
    if not isinstance(sql, str) or not sql.strip():
        raise InvalidRequestException("QueryString is required")
    wg_name = params.get("WorkGroup") or "primary"
    wg = _workgroup(ctx, wg_name)
    if getattr(wg, "state", "ENABLED") == "DISABLED":
        raise InvalidRequestException(f"WorkGroup {wg_name} is disabled.")
    wg_out = ((wg.configuration or {}).get("ResultConfiguration") or {}).get("OutputLocation")
    req_out = (params.get("ResultConfiguration") or {}).get("OutputLocation")
    enforce = (wg.configuration or {}).get("EnforceWorkGroupConfiguration", True)
    out = wg_out if (enforce and wg_out) else (req_out or wg_out)
    if not out:
        raise InvalidRequestException("No output location provided. An output location is required either "
                       "through the Workgroup result configuration setting or as an API input.")
    qctx = params.get("QueryExecutionContext") or {}
    qid = str(uuid.uuid4())
    q = Query(id=qid, sql=sql, workgroup=wg_name, database=qctx.get("Database") or "default",
              catalog=qctx.get("Catalog") or "AwsDataCatalog",
              output=out.rstrip("/") + f"/{qid}.csv", submitted=time.time())
    _store(ctx)[qid] = q
    ctx.runtime.later(ctx.runtime.duration("athena_queue"), _run, ctx, q)
    return {"QueryExecutionId": qid}


@override("athena", "GetQueryExecution", errors=(InvalidRequestException, InternalServerException))
def get_query_execution(ctx: Ctx, params: dict) -> dict:
    return {"QueryExecution": describe(_get(ctx, params.get("QueryExecutionId")))}


@override("athena", "BatchGetQueryExecution", errors=(InvalidRequestException, InternalServerException))
def batch_get_query_execution(ctx: Ctx, params: dict) -> dict:
    found, missing = [], []
    for qid in params.get("QueryExecutionIds") or []:
        q = _store(ctx).get(qid)
        if q is None:
            missing.append({"QueryExecutionId": qid, "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": f"QueryExecution {qid} was not found"})
        else:
            found.append(describe(q))
    return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _offset(token: Any) -> int:
    if token in (None, ""):
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(str(token).encode()))["o"])
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidRequestException("The NextToken is invalid") from err


@override("athena", "GetQueryResults", errors=(InvalidRequestException, InternalServerException))
def get_query_results(ctx: Ctx, params: dict) -> dict:
    q = _get(ctx, params.get("QueryExecutionId"))
    if q.state == "FAILED":
        raise InvalidRequestException(q.reason or "Query failed")
    if q.state == "CANCELLED":
        raise InvalidRequestException("Query was cancelled")
    if q.state != "SUCCEEDED":
        raise InvalidRequestException(f"Query has not yet finished. Current state: {q.state}")
    limit = params.get("MaxResults", MAX_PAGE)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidRequestException(f"MaxResults must be between 1 and {MAX_PAGE}, got {limit}")
    all_rows = [[c["Name"] for c in q.columns]] + q.rows
    start = _offset(params.get("NextToken"))
    page = all_rows[start:start + limit]
    out: dict[str, Any] = {
        "UpdateCount": 0,
        "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in r]} for r in page],
            "ResultSetMetadata": {"ColumnInfo": q.columns},
        },
    }
    if start + limit < len(all_rows):
        out["NextToken"] = _token(start + limit)
    return out


@override("athena", "StopQueryExecution", errors=(InvalidRequestException, InternalServerException))
def stop_query_execution(ctx: Ctx, params: dict) -> dict:
    q = _get(ctx, params.get("QueryExecutionId"))
    if q.state in ("QUEUED", "RUNNING"):
        q.state = "CANCELLED"
        q.reason = "Query cancelled by user"
        q.completed = time.time()
    return {}


@override("athena", "ListQueryExecutions", errors=(InvalidRequestException, InternalServerException))
def list_query_executions(ctx: Ctx, params: dict) -> dict:
    wg = params.get("WorkGroup") or "primary"
    _workgroup(ctx, wg)
    ids = [q.id for q in sorted(_store(ctx).values(), key=lambda q: q.submitted, reverse=True)
           if q.workgroup == wg]
    limit = params.get("MaxResults", 50)
    if not isinstance(limit, int) or not 0 < limit <= 50:
        raise InvalidRequestException("MaxResults must be between 0 and 50")
    start = _offset(params.get("NextToken"))
    out: dict[str, Any] = {"QueryExecutionIds": ids[start:start + limit]}
    if start + limit < len(ids):
        out["NextToken"] = _token(start + limit)
    return out

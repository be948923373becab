"""Job runs that run: StartJobRun / GetJobRun / GetJobRuns / BatchStopJobRun answered the AWS
way, and the run itself — the job's SQL (``--sql_path``, the file Terraform uploaded) parsed by
:mod:`lakegate.sqlrun`, inputs read from the catalog (incremental inputs filtered by the job
bookmark) and from S3 paths, the body run on DuckDB, the result written as Parquet, logs in the
job's log group, errors worded like Glue's. Jobs without ``--sql_path`` run their own script
instead (local PySpark or Python, :mod:`localaws.glue.script_runtime`).

States: STARTING -> RUNNING -> SUCCEEDED | FAILED | STOPPED | TIMEOUT (STOPPING in between when
BatchStopJobRun asks), moved only through :data:`localaws.glue.lifecycles.JOB_RUN`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from typing import Any

from localaws.dispatch import AwsError, Ctx, override
from localaws.glue.exceptions import ConcurrentRunsExceededException, EntityNotFoundException, InvalidInputException
from localaws.glue import bookmarks, script_runtime
from localaws.glue.lifecycles import JOB_RUN
from localaws.glue.state import (
    JobRun,
    background_ctx,
    duration,
    get_job,
    get_object,
    glue_state,
    jsonable,
    later,
    lock,
    notify_finished,
    now,
    put_logs,
    submit,
)

FINAL = tuple(sorted(JOB_RUN.final))                        # SUCCEEDED, FAILED, STOPPED, ...
ACTIVE = tuple(sorted(JOB_RUN.states - JOB_RUN.final)) + ("WAITING",)   # WAITING: AWS's, unused


class RunFailed(Exception):
    """The run ends FAILED with this text as ``ErrorMessage``."""


# --- error wording -----------------------------------------------------------------------------

_STRUCT_KEY = re.compile(r'Could not find key "([^"]+)" in struct')
_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')
_TABLE = re.compile(r"Table with name (\S+) does not exist")


def glue_error(message: str, body: str, columns: set[str] = frozenset()) -> str:
    """A DuckDB error as Spark on Glue words it (``AnalysisException: Column 'a.b' does not exist``).

    For a missing struct field the full dotted path is recovered from the SQL text, dropping
    leading qualifiers (view names/aliases) that are not top-level columns of an input."""
    m = _STRUCT_KEY.search(message)
    if m:
        key = m.group(1)
        chain = re.search(r"([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\." + re.escape(key) + r"\b", body, re.IGNORECASE)
        if chain:
            parts = chain.group(1).split(".")
            lower_cols = {c.lower() for c in columns}
            while len(parts) > 1 and parts[0].lower() not in lower_cols:
                parts = parts[1:]
            path = ".".join(parts + [chain.group(0).split(".")[-1]])
        else:
            path = key
        return f"AnalysisException: Column '{path}' does not exist"
    m = _COLUMN.search(message)
    if m:
        return f"AnalysisException: Column '{m.group(1)}' does not exist"
    m = _TABLE.search(message)
    if m:
        return f"AnalysisException: Table or view not found: {m.group(1)}"
    first = message.strip().splitlines()[0] if message.strip() else message
    if "Binder Error" in first or "Parser Error" in first or "Catalog Error" in first:
        return f"AnalysisException: {first.split(':', 1)[-1].strip()}"
    return first


# --- the run -----------------------------------------------------------------------------------

_job = get_job   # the job definition (moto's), EntityNotFoundException when missing


def _read_path(ctx: Ctx, url: str) -> Any:
    """Rows of every Parquet object under ``url`` (Hive folders become string columns)."""
    import pyarrow as pa

    from localaws import tabledata

    try:
        files = tabledata._files_under(ctx, url)
    except tabledata.TableDataError:
        return None
    tables = []
    for f in files:
        with lock(ctx):
            data = get_object(ctx, f.bucket, f.key)
        t = tabledata.parse_object(data, f.url)
        for k, v in f.partition_values.items():
            if k not in t.column_names:
                t = t.append_column(k, pa.array([v] * t.num_rows, pa.string()))
        tables.append(t)
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def execute(ctx: Ctx, run: JobRun) -> tuple[list[str], int]:
    """Do the work of ``run`` (no lock held except around moto access).

    Returns (log lines, rows written). Raises :class:`RunFailed`."""
    import duckdb

    from lakegate.errors import LakegateError
    from lakegate.sqlrun import parse_job_sql, register_arrow, resolve, run_job_sql
    from localaws import tabledata
    from localaws.iam import enforce as iam_enforce
    from localaws.glue import naming
    from tf_checks.rules import extra_py_files

    t_begin = time.monotonic()
    logs: list[str] = []
    args = run.arguments
    with lock(ctx):
        job = _job(ctx, run.job_name)
        bm = bookmarks.get_bookmark(ctx, run.job_name)
    try:
        opt = bookmarks.option(args)
    except ValueError as exc:
        raise RunFailed(str(exc)) from exc
    sql_path = args.get("--sql_path")
    if not sql_path:
        raise RunFailed("IllegalArgumentException: job argument --sql_path is not set (the job's SQL file)")
    try:
        bucket, key = naming.parse_s3_url(sql_path)
        with lock(ctx):
            text = get_object(ctx, bucket, key).decode("utf-8")
        job_sql = resolve(parse_job_sql(text, source=sql_path), args)
    except AwsError as exc:
        raise RunFailed(f"{exc.code}: {exc.message}") from exc
    except (LakegateError, ValueError, UnicodeDecodeError) as exc:
        raise RunFailed(f"IllegalArgumentException: {exc}") from exc

    catalog_reads = [(i.database, i.table) for i in job_sql.inputs if i.kind == "catalog"]
    path_reads = [i.path for i in job_sql.inputs if i.kind == "path" and i.path]
    try:
        with lock(ctx):
            s3_reads = []
            for db, table in catalog_reads:
                loc = (tabledata.get_catalog_table(ctx, db, table).get("StorageDescriptor") or {}).get("Location")
                if loc:
                    s3_reads.append(loc if loc.endswith("/") else loc + "/")
            iam_enforce.check_job_run(ctx, job, args, database=args.get("--database_name"),
                                      catalog_reads=catalog_reads, s3_reads=s3_reads + path_reads,
                                      s3_writes=[job_sql.output.path],
                                      # the job role downloads the SQL and the
                                      # --extra-py-files modules (the shared driver)
                                      extra_s3_reads=[sql_path, *extra_py_files(args)])
    except (iam_enforce.AccessDenied, iam_enforce.RoleUnusable) as exc:
        raise RunFailed(str(exc)) from exc
    except Exception as exc:  # table not found in the catalog
        code = getattr(exc, "error_type", None) or getattr(exc, "code", "")
        if "EntityNotFound" in str(code) or "TableNotFound" in type(exc).__name__:
            db, table = next(((d, t) for d, t in catalog_reads), ("", ""))
            raise RunFailed(f"AnalysisException: Table or view not found: {db}.{table}") from exc
        raise

    t_read = time.monotonic()
    con = tabledata.duckdb_cursor()   # own connection to the shared database (TEMP views only)
    # Catalog inputs whose Parquet objects already have the catalog's columns and types are
    # scanned by DuckDB directly (copies in this folder); see tabledata.register_parquet_view.
    scratch = tempfile.mkdtemp(prefix="localaws-job-")
    try:
        processed: dict[str, list[Any]] = {}
        incremental_rows = 0
        has_incremental = False
        columns: set[str] = set()
        for item in job_sql.inputs:
            if item.kind == "catalog":
                files = tabledata.list_table_files(ctx, item.database, item.table)
                chosen = bookmarks.unprocessed(bm, item.name, files, opt) if item.incremental else files
                direct = tabledata.register_parquet_view(ctx, con, item.name, item.database, item.table,
                                                         chosen, scratch)
                if direct is None:
                    table = tabledata.read_table(ctx, item.database, item.table, files=chosen)
                    register_arrow(con, item.name, table)
                    nrows, names, how = table.num_rows, table.column_names, ""
                else:
                    (nrows, names), how = direct, " (direct Parquet scan)"
                if item.incremental:
                    has_incremental = True
                    incremental_rows += nrows
                    processed[item.name] = chosen
                logs.append(f"INFO: input {item.name}: {item.database}.{item.table}, {len(chosen)} of "
                            f"{len(files)} files, {nrows} rows{how}")
                columns |= set(names)
            else:
                table = _read_path(ctx, item.path)
                if table is None:
                    if not item.optional:
                        raise RunFailed(f"AnalysisException: Path does not exist: {item.path}")
                    logs.append(f"INFO: input {item.name}: no files at {item.path} (optional)")
                    continue
                logs.append(f"INFO: input {item.name}: {item.path}, {table.num_rows} rows")
                columns |= set(table.column_names)
                register_arrow(con, item.name, table)
        if has_incremental and incremental_rows == 0:
            logs.append("INFO: no new data since the last bookmark; nothing to write")
            run.processed = processed
            return logs, 0
        t_sql = time.monotonic()
        try:
            result = run_job_sql(con, job_sql)
        except (LakegateError, duckdb.Error) as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            raise RunFailed(glue_error(str(cause), job_sql.body, columns)) from exc
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    t_write = time.monotonic()
    out = job_sql.output
    try:
        written = tabledata.write_parquet(ctx, out.path, result, out.partition_by, out.mode)
    except tabledata.TableDataError as exc:
        raise RunFailed(f"AnalysisException: {exc}") from exc
    logs.append(f"INFO: wrote {result.num_rows} rows in {len(written)} files to {out.path} (mode {out.mode})")
    # Phase timings: where a run's time goes (bench/bench_silver.py reports them).
    logs.append(f"INFO: timing setup={t_read - t_begin:.3f}s read_inputs={t_sql - t_read:.3f}s sql={t_write - t_sql:.3f}s "
                f"write={time.monotonic() - t_write:.3f}s")
    run.processed = processed
    return logs, result.num_rows


def _log_group(run: JobRun) -> str:
    return run.arguments.get("--continuous-log-logGroup") or f"/aws-glue/jobs/{run.job_name}"


def start_run(ctx: Ctx, name: str, arguments: dict[str, str] | None = None, *,
              workflow_run_id: str | None = None, trigger_name: str | None = None,
              hold: bool = False, timeout: int | None = None) -> JobRun:
    """StartJobRun semantics (caller holds the lock)."""
    job = _job(ctx, name)
    st = glue_state(ctx)
    runs = st.job_runs.setdefault(name, [])
    limit = int((job.execution_property or {}).get("MaxConcurrentRuns", 1) or 1)
    if sum(1 for r in runs if r.state in ACTIVE) >= limit:
        raise ConcurrentRunsExceededException(f"Concurrent runs exceeded for {name}")
    args = dict(job.default_arguments or {})
    args.update(arguments or {})
    args.update(job.non_overridable_arguments or {})
    t = now(ctx)
    run = JobRun(job_name=name, arguments=args, started_on=t, last_modified_on=t,
                 workflow_run_id=workflow_run_id, trigger_name=trigger_name, hold=hold,
                 timeout_minutes=timeout or job.timeout or 2880, worker_type=job.worker_type,
                 number_of_workers=job.number_of_workers, glue_version=job.glue_version,
                 max_capacity=job.max_capacity,
                 previous_run_id=runs[-1].id if runs else None)
    runs.append(run)
    bctx = background_ctx(ctx)
    later(bctx, duration(bctx, "job_starting"), lambda: _to_running(bctx, run))
    return run


def _to_running(ctx: Ctx, run: JobRun) -> None:
    with lock(ctx):
        if run.state != "STARTING":
            return
        JOB_RUN.move(run, "state", "RUNNING")
        run.last_modified_on = now(ctx)
        if run.hold:
            return  # stuck-run fault: stays RUNNING until BatchStopJobRun
    submit(ctx, lambda: _work(ctx, run))


def _work(ctx: Ctx, run: JobRun) -> None:
    t0 = time.monotonic()
    error: str | None = None
    lines: list[str] = []
    try:
        with lock(ctx):
            kind = script_runtime.runtime_for(_job(ctx, run.job_name), run.arguments)
        if kind == "sql":
            lines, _ = execute(ctx, run)
        else:  # the user's own script: local PySpark or Python (localaws.glue.script_runtime)
            lines = script_runtime.execute(ctx, run, kind, RunFailed)
    except RunFailed as exc:
        error = str(exc)
    except Exception as exc:  # a run never takes the server down: it fails, as on AWS
        error = f"{type(exc).__name__}: {exc}"
    remaining = max(0.0, duration(ctx, "job") - (time.monotonic() - t0))
    later(ctx, remaining, lambda: _finish(ctx, run, error, lines))


def _finish(ctx: Ctx, run: JobRun, error: str | None, lines: list[str]) -> None:
    with lock(ctx):
        if run.state in FINAL:
            return
        t = now(ctx)
        group = _log_group(run)
        elapsed = t - run.started_on
        if run.state == "STOPPING" or run.stop_requested:
            JOB_RUN.move(run, "state", "STOPPED")
        elif run.timeout_minutes and elapsed > run.timeout_minutes * 60:
            JOB_RUN.move(run, "state", "TIMEOUT")
            run.error_message = f"Job run timed out after {run.timeout_minutes} minutes"
        elif error:
            JOB_RUN.move(run, "state", "FAILED")
            run.error_message = error
        else:
            JOB_RUN.move(run, "state", "SUCCEEDED")
            opt = bookmarks.option(run.arguments) if run.arguments.get("--job-bookmark-option") in (
                bookmarks.ENABLE, bookmarks.DISABLE, bookmarks.PAUSE) else bookmarks.DISABLE
            bookmarks.advance(ctx, run.job_name, run.id, run.processed, opt)
        run.completed_on = t
        run.last_modified_on = t
        put_logs(ctx, group, f"{run.id}-driver", lines + [f"INFO: job run {run.id} {run.state}"])
        if run.error_message:
            put_logs(ctx, group, f"{run.id}-error", [f"ERROR: {run.error_message}"])
        notify_finished(ctx, "job", run.job_name, run.id)


def stop_run(ctx: Ctx, run: JobRun) -> None:
    """BatchStopJobRun on one run (caller holds the lock)."""
    run.stop_requested = True
    if JOB_RUN.allows(run.state, "STOPPING"):
        JOB_RUN.move(run, "state", "STOPPING")
        run.last_modified_on = now(ctx)
        bctx = background_ctx(ctx)
        later(bctx, duration(bctx, "job_starting"), lambda: _finish(bctx, run, None, ["INFO: stopped"]))


def find_run(ctx: Ctx, job_name: str, run_id: str) -> JobRun | None:
    for r in glue_state(ctx).job_runs.get(job_name) or []:
        if r.id == run_id:
            return r
    return None


def run_dict(ctx: Ctx, r: JobRun) -> dict[str, Any]:
    end = r.completed_on if r.completed_on is not None else now(ctx)
    d: dict[str, Any] = {
        "Id": r.id,
        "Attempt": r.attempt,
        "JobName": r.job_name,
        "StartedOn": r.started_on,
        "LastModifiedOn": r.last_modified_on,
        "JobRunState": r.state,
        "Arguments": r.arguments,
        "PredecessorRuns": [],
        "ExecutionTime": int(end - r.started_on),
        "Timeout": r.timeout_minutes,
        "LogGroupName": _log_group(r),
        "GlueVersion": r.glue_version,
        "WorkerType": r.worker_type,
        "NumberOfWorkers": r.number_of_workers,
        "MaxCapacity": r.max_capacity,
    }
    if r.completed_on is not None:
        d["CompletedOn"] = r.completed_on
    if r.error_message:
        d["ErrorMessage"] = r.error_message
    if r.previous_run_id:
        d["PreviousRunId"] = r.previous_run_id
    if r.trigger_name:
        d["TriggerName"] = r.trigger_name
    if r.workflow_run_id:
        d["WorkflowRunId"] = r.workflow_run_id
    return jsonable(d)


# --- handlers ----------------------------------------------------------------------------------

@override("glue", "StartJobRun", errors=(EntityNotFoundException, ConcurrentRunsExceededException))
def h_start_job_run(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        run = start_run(ctx, params.get("JobName") or "", params.get("Arguments") or {},
                        timeout=params.get("Timeout"))
        return {"JobRunId": run.id}


@override("glue", "GetJobRun", errors=(EntityNotFoundException,))
def h_get_job_run(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        name = params.get("JobName") or ""
        _job(ctx, name)
        run = find_run(ctx, name, params.get("RunId") or "")
        if run is None:
            raise EntityNotFoundException(f"Job run {params.get('RunId')} not found")
        return {"JobRun": run_dict(ctx, run)}


@override("glue", "GetJobRuns", errors=(EntityNotFoundException,))
def h_get_job_runs(ctx: Ctx, params: dict) -> dict:
    with lock(ctx):
        name = params.get("JobName") or ""
        _job(ctx, name)
        runs = list(reversed(glue_state(ctx).job_runs.get(name) or []))  # newest first, as AWS
        return {"JobRuns": [run_dict(ctx, r) for r in runs[: int(params.get("MaxResults") or 200)]]}


@override("glue", "BatchStopJobRun", errors=(InvalidInputException,))
def h_batch_stop_job_run(ctx: Ctx, params: dict) -> dict:
    """Per-run outcome in ``Errors``; botocore's model lists no EntityNotFoundException for this
    operation, so an unknown job is a per-run error for each id too (not an exception)."""
    with lock(ctx):
        name = params.get("JobName") or ""
        if not name:
            raise InvalidInputException("JobName is required")
        known = name in ctx.backend("glue").jobs
        ok, errors = [], []
        for rid in params.get("JobRunIds") or []:
            run = find_run(ctx, name, rid) if known else None
            if run is None:
                what = f"Job run {rid} not found" if known else f"Job with name {name} not found"
                errors.append({"JobName": name, "JobRunId": rid, "ErrorDetail": {
                    "ErrorCode": "EntityNotFoundException", "ErrorMessage": what}})
            elif run.state in FINAL:
                errors.append({"JobName": name, "JobRunId": rid, "ErrorDetail": {
                    "ErrorCode": "InvalidInputException",
                    "ErrorMessage": f"Job run {rid} is in a final state ({run.state}) and cannot be stopped"}})
            else:
                stop_run(ctx, run)
                ok.append({"JobName": name, "JobRunId": rid})
        return {"SuccessfulSubmissions": ok, "Errors": errors}

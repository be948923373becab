"""The runbook's operations (PASSO 1-8) as functions over boto3 clients — one code path for live
AWS and the local AWS. Each returns a small result object that carries its evidence (ids, states,
timings) so steps, ``lakegate recover`` and reports can show *why* something passed or failed.

Waiting is polling (:mod:`lakegate.polling`) with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from botocore.exceptions import ClientError

from lakegate.names import PipelineNames
from lakegate.polling import Poller, PollTimeout

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _ts(value: Any) -> float | None:
    """AWS timestamps (datetime from boto3, or epoch numbers) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- PASSO 1: workflow status ------------------------------------------------------------------

@dataclass
class WorkflowRunStatus:
    workflow: str
    run_id: str | None
    status: str | None
    statistics: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    started: float | None = None
    completed: float | None = None

    @property
    def failed_actions(self) -> int:
        s = self.statistics
        return sum(int(s.get(k, 0)) for k in ("FailedActions", "TimeoutActions", "ErroredActions", "StoppedActions"))

    @property
    def healthy(self) -> bool:
        """COMPLETED with every action succeeded (a COMPLETED run with failed actions is Symptom 1)."""
        s = self.statistics
        return (self.status == "COMPLETED" and self.failed_actions == 0
                and int(s.get("SucceededActions", 0)) == int(s.get("TotalActions", -1)) > 0)

    def evidence(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}


def _run_status(workflow: str, run: dict[str, Any]) -> WorkflowRunStatus:
    return WorkflowRunStatus(
        workflow=workflow, run_id=run.get("WorkflowRunId"), status=run.get("Status"),
        statistics={k: int(v) for k, v in (run.get("Statistics") or {}).items() if isinstance(v, (int, float))},
        error=run.get("ErrorMessage"), started=_ts(run.get("StartedOn")), completed=_ts(run.get("CompletedOn")),
    )


def last_workflow_run(clients: Any, names: PipelineNames) -> WorkflowRunStatus:
    """PASSO 1: the newest run of the workflow (status None when it never ran)."""
    runs = clients.glue.get_workflow_runs(Name=names.workflow, MaxResults=1).get("Runs", [])
    if not runs:
        return WorkflowRunStatus(workflow=names.workflow, run_id=None, status=None)
    return _run_status(names.workflow, runs[0])


def recent_run_ids(clients: Any, names: PipelineNames) -> dict[str, Any]:
    """The baseline before an update (runbook: "Documentar Run IDs antes da atualização")."""
    out: dict[str, Any] = {"workflow": None, "jobs": {}, "crawlers": {}}
    runs = clients.glue.get_workflow_runs(Name=names.workflow, MaxResults=1).get("Runs", [])
    out["workflow"] = runs[0].get("WorkflowRunId") if runs else None
    for job in names.all_jobs:
        jr = clients.glue.get_job_runs(JobName=job, MaxResults=1).get("JobRuns", [])
        out["jobs"][job] = jr[0]["Id"] if jr else None
    for crawler in names.crawlers.values():
        last = clients.glue.get_crawler(Name=crawler)["Crawler"].get("LastCrawl") or {}
        out["crawlers"][crawler] = {"status": last.get("Status"), "started": str(last.get("StartTime", ""))}
    return out


# --- PASSO 2: crawler --------------------------------------------------------------------------

@dataclass
class CrawlResult:
    crawler: str
    state: str
    last_status: str | None
    error: str | None
    started: float
    finished: float
    tables_created: int | None = None
    tables_updated: int | None = None
    log_group: str | None = None
    log_stream: str | None = None
    already_running: bool = False

    @property
    def succeeded(self) -> bool:
        return self.state == "READY" and self.last_status == "SUCCEEDED"

    def evidence(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration_s"] = round(self.finished - self.started, 3)
        return {k: v for k, v in d.items() if v is not None}


def run_crawler(clients: Any, crawler: str, *, timeout: float = 900, poller: Poller | None = None,
                progress: Progress = _noop) -> CrawlResult:
    """Start ``crawler`` (or join the crawl already running) and wait until it is READY again."""
    poller = poller or Poller(initial=1.0, max_interval=10.0)
    started = time.time()
    already = False
    try:
        clients.glue.start_crawler(Name=crawler)
        progress(f"crawler {crawler}: started")
    except ClientError as err:
        if error_code(err) != "CrawlerRunningException":
            raise
        already = True
        progress(f"crawler {crawler}: already running, waiting for that crawl")

    def probe() -> dict[str, Any]:
        return clients.glue.get_crawler(Name=crawler)["Crawler"]

    def report(c: dict[str, Any], elapsed: float) -> None:
        progress(f"crawler {crawler}: {c.get('State')} ({elapsed:.0f}s)")

    # A crawl that has just been started may still read READY for a moment: wait for it to leave
    # READY or for LastCrawl.StartTime to move past our start.
    def done(c: dict[str, Any]) -> bool:
        if c.get("State") != "READY":
            return False
        last = c.get("LastCrawl") or {}
        st = _ts(last.get("StartTime"))
        return st is not None and st >= started - 5

    c = poller.wait_for(f"crawler {crawler} to finish", probe, done, timeout, on_poll=report)
    last = c.get("LastCrawl") or {}
    metrics: dict[str, Any] = {}
    try:
        ms = clients.glue.get_crawler_metrics(CrawlerNameList=[crawler]).get("CrawlerMetricsList", [])
        metrics = ms[0] if ms else {}
    except ClientError:
        metrics = {}
    return CrawlResult(
        crawler=crawler, state=c.get("State", "?"), last_status=last.get("Status"),
        error=last.get("ErrorMessage"), started=started, finished=time.time(),
        tables_created=metrics.get("TablesCreated"), tables_updated=metrics.get("TablesUpdated"),
        log_group=last.get("LogGroup"), log_stream=last.get("LogStream"), already_running=already,
    )


# --- PASSO 3: bookmarks ------------------------------------------------------------------------

@dataclass
class BookmarkReset:
    job: str
    outcome: str          # "reset" | "never-run" | "dry-run" | "restored" | "failed"
    detail: str = ""
    backup: str | None = None


def get_bookmark(clients: Any, job: str) -> dict[str, Any] | None:
    """The job's bookmark entry, or None when the job never ran (EntityNotFoundException)."""
    try:
        return clients.glue.get_job_bookmark(JobName=job).get("JobBookmarkEntry")
    except ClientError as err:
        if error_code(err) == "EntityNotFoundException":
            return None
        raise


def backup_bookmarks(clients: Any, jobs: list[str], backup_dir: Path) -> Path:
    """Save the current bookmarks (with a timestamp) before anything resets them."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = backup_dir / f"bookmarks-{stamp}.json"
    data = {"taken_at": stamp, "bookmarks": {job: get_bookmark(clients, job) for job in jobs}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)
    return path


def restore_bookmarks(clients: Any, backup: Path, jobs: list[str] | None = None, *,
                      progress: Progress = _noop) -> list[BookmarkReset]:
    """Put each job's bookmark back to the run recorded in ``backup`` (``ResetJobBookmark`` with
    ``RunId``). A job whose backup holds no bookmark (it had never run) is reset to the start, which
    is the state it was in; a job not in the backup is an error."""
    from lakegate.errors import LakegateError

    fix = "pass a file written before a reset (bookmarks-*.json from recover / the AA2 scenario)"
    try:
        data = json.loads(Path(backup).read_text())
    except FileNotFoundError:
        raise LakegateError(f"{backup} does not exist", where="--restore-bookmarks", fix=fix) from None
    except (OSError, json.JSONDecodeError) as err:
        raise LakegateError(f"cannot read the bookmark backup: {err}", where=str(backup), fix=fix) from None
    saved = data.get("bookmarks") if isinstance(data, dict) else None
    if not isinstance(saved, dict):
        raise LakegateError("the file is not a bookmark backup (no \"bookmarks\" object)", where=str(backup), fix=fix)
    wanted = list(saved) if jobs is None else jobs
    unknown = [j for j in wanted if j not in saved]
    if unknown:
        raise LakegateError(f"the backup holds no bookmark for {', '.join(unknown)}", where=str(backup),
                            fix=f"it holds: {', '.join(saved) or '(none)'}")
    out = []
    for job in wanted:
        entry = saved[job] or {}
        run_id = entry.get("RunId") if isinstance(entry, dict) else None
        try:
            if run_id:
                clients.glue.reset_job_bookmark(JobName=job, RunId=run_id)
                out.append(BookmarkReset(job, "restored", f"to run {run_id}", str(backup)))
                progress(f"bookmark of {job}: restored to run {run_id}")
            else:
                clients.glue.reset_job_bookmark(JobName=job)
                out.append(BookmarkReset(job, "reset", "the backup holds no run: back to the start", str(backup)))
                progress(f"bookmark of {job}: no run in the backup, reset to the start")
        except ClientError as err:
            if error_code(err) != "EntityNotFoundException":
                raise
            msg = err.response.get("Error", {}).get("Message", "")
            out.append(BookmarkReset(job, "failed", f"EntityNotFoundException: {msg}", str(backup)))
    return out


def reset_bookmarks(clients: Any, jobs: list[str], *, progress: Progress = _noop) -> list[BookmarkReset]:
    """PASSO 3. A job that never ran answers EntityNotFoundException: expected, reported as such."""
    out = []
    for job in jobs:
        try:
            clients.glue.reset_job_bookmark(JobName=job)
            out.append(BookmarkReset(job, "reset"))
            progress(f"bookmark of {job}: reset")
        except ClientError as err:
            if error_code(err) != "EntityNotFoundException":
                raise
            msg = err.response.get("Error", {}).get("Message", "")
            out.append(BookmarkReset(job, "never-run", f"EntityNotFoundException: {msg} (expected for a job that never ran)"))
            progress(f"bookmark of {job}: none yet (job never ran) — nothing to reset")
    return out


# --- PASSO 5-6: workflow run ------------------------------------------------------------------

#: Refusals a start call gets when the account is busy; botocore's standard retries cover
#: ThrottlingException, not these — lakegate polls through them.
BUSY_CODES = ("ConcurrentRunsExceededException", "ThrottlingException", "OperationTimeoutException")


def start_workflow(clients: Any, names: PipelineNames, *, timeout: float = 300,
                   poller: Poller | None = None, progress: Progress = _noop) -> str:
    """StartWorkflowRun, retried with backoff while AWS answers ConcurrentRunsExceededException
    (another run still holds the workflow's MaxConcurrentRuns) or throttles."""
    poller = poller or Poller(initial=1.0, max_interval=15.0)
    last: dict[str, Any] = {}

    def attempt() -> str | None:
        try:
            return clients.glue.start_workflow_run(Name=names.workflow)["RunId"]
        except ClientError as err:
            if error_code(err) not in BUSY_CODES:
                raise
            last["error"] = f"{error_code(err)}: {err.response.get('Error', {}).get('Message', '')}"
            progress(f"workflow {names.workflow}: {last['error']} — retrying")
            return None

    return poller.wait_for(f"workflow {names.workflow} to accept a new run", attempt, lambda r: r is not None,
                           timeout)


def get_workflow_run(clients: Any, names: PipelineNames, run_id: str, graph: bool = False) -> dict[str, Any]:
    return clients.glue.get_workflow_run(Name=names.workflow, RunId=run_id, IncludeGraph=graph)["Run"]


def monitor_workflow(clients: Any, names: PipelineNames, run_id: str, *, timeout: float = 1800,
                     poller: Poller | None = None, progress: Progress = _noop) -> WorkflowRunStatus:
    """PASSO 6: poll until the run leaves RUNNING/STOPPING; raises PollTimeout with the last status."""
    poller = poller or Poller(initial=2.0, max_interval=30.0)

    def probe() -> dict[str, Any]:
        return get_workflow_run(clients, names, run_id)

    def report(run: dict[str, Any], elapsed: float) -> None:
        s = run.get("Statistics") or {}
        progress(f"workflow {run.get('Status')}: succeeded {s.get('SucceededActions', 0)}/{s.get('TotalActions', 0)}, "
                 f"failed {s.get('FailedActions', 0)}, running {s.get('RunningActions', 0)} ({elapsed:.0f}s)")

    run = poller.wait_for(f"workflow run {run_id}", probe,
                          lambda r: r.get("Status") not in ("RUNNING", "STOPPING"), timeout, on_poll=report)
    return _run_status(names.workflow, run)


@dataclass
class NodeRun:
    name: str
    type: str                    # JOB | CRAWLER
    state: str | None
    started: float | None
    finished: float | None
    error: str | None = None
    run_id: str | None = None


def workflow_node_runs(clients: Any, names: PipelineNames, run_id: str) -> list[NodeRun]:
    """Every job run and crawl of one workflow run, from its graph."""
    run = get_workflow_run(clients, names, run_id, graph=True)
    out: list[NodeRun] = []
    for node in (run.get("Graph") or {}).get("Nodes", []):
        if node.get("Type") == "JOB":
            for jr in (node.get("JobDetails") or {}).get("JobRuns", []):
                out.append(NodeRun(node.get("Name", ""), "JOB", jr.get("JobRunState"), _ts(jr.get("StartedOn")),
                                   _ts(jr.get("CompletedOn")), jr.get("ErrorMessage"), jr.get("Id")))
        elif node.get("Type") == "CRAWLER":
            for cr in (node.get("CrawlerDetails") or {}).get("Crawls", []):
                out.append(NodeRun(node.get("Name", ""), "CRAWLER", cr.get("State"), _ts(cr.get("StartedOn")),
                                   _ts(cr.get("CompletedOn")), cr.get("ErrorMessage"), cr.get("LogStream")))
    return out


def intervals_overlap(a: NodeRun, b: NodeRun) -> bool:
    if None in (a.started, a.finished, b.started, b.finished):
        return False
    return max(a.started, b.started) < min(a.finished, b.finished)  # type: ignore[type-var]


# --- PASSO 7: catalog tables -------------------------------------------------------------------

@dataclass
class TableCheck:
    database: str
    expected: list[str]
    present: dict[str, dict[str, Any]]     # name -> {created, updated, columns, partitions?}

    @property
    def missing(self) -> list[str]:
        return [t for t in self.expected if t not in self.present]

    def updated_since(self, table: str, since: float) -> bool:
        info = self.present.get(table) or {}
        stamp = info.get("updated") or info.get("created")
        return stamp is not None and stamp >= since - 1

    @property
    def unexpected_partition_tables(self) -> list[str]:
        """Per-partition tables such as ``bronze_ingest_year_2025`` (the old broken crawler setup:
        one table per partition folder, named after the folder ``<key>=<value>``): a table the
        pipeline does not expect whose name ends in ``_<partition key>_<value>``, for the partition
        keys of the catalog's tables or the ``key=value`` folders its crawlers met."""
        import re

        keys = {k.lower() for info in self.present.values() for k in info.get("partition_keys") or []}
        out = []
        for name in self.present:
            if name in self.expected:
                continue
            m = re.search(r"_([a-z][a-z0-9_]*?)_([0-9]+)$", name.lower())
            if not m:
                continue
            words = m.group(1)
            if any(words == k or words.endswith("_" + k) for k in keys) or \
                    words.endswith(("year", "month", "day", "date")):
                out.append(name)
        return out


def validate_tables(clients: Any, names: PipelineNames) -> TableCheck:
    present: dict[str, dict[str, Any]] = {}
    paginator = clients.glue.get_paginator("get_tables")
    for page in paginator.paginate(DatabaseName=names.database):
        for t in page.get("TableList", []):
            sd = t.get("StorageDescriptor") or {}
            present[t["Name"]] = {
                "created": _ts(t.get("CreateTime")), "updated": _ts(t.get("UpdateTime")),
                "columns": len(sd.get("Columns", [])), "location": sd.get("Location"),
                "partition_keys": [k["Name"] for k in t.get("PartitionKeys", [])],
            }
    return TableCheck(names.database, list(names.expected_tables), present)


@dataclass
class Freshness:
    """Whether a table got this run's data: its definition, its partitions or its files changed
    since ``since`` (a crawler leaves an unchanged table alone, as Glue does)."""
    table: str
    since: float
    table_updated: float | None = None       # UpdateTime (or CreateTime) of the table
    newest_partition: float | None = None    # newest partition CreationTime
    newest_object: float | None = None       # newest LastModified under the table's location
    location: str | None = None
    present: bool = True

    @property
    def updated(self) -> bool:
        stamps = [s for s in (self.table_updated, self.newest_partition, self.newest_object) if s is not None]
        return self.present and any(s >= self.since - 1 for s in stamps)

    def evidence(self) -> dict[str, Any]:
        def iso(v: float | None) -> str | None:
            return dt.datetime.fromtimestamp(v, dt.timezone.utc).isoformat(timespec="seconds") if v else None
        return {"table": self.table, "run_started": iso(self.since), "table_updated": iso(self.table_updated),
                "newest_partition": iso(self.newest_partition), "newest_object": iso(self.newest_object),
                "location": self.location, "updated": self.updated}


def table_freshness(clients: Any, names: PipelineNames, table: str, since: float) -> Freshness:
    try:
        t = clients.glue.get_table(DatabaseName=names.database, Name=table)["Table"]
    except ClientError as err:
        if error_code(err) != "EntityNotFoundException":
            raise
        return Freshness(table, since, present=False)
    sd = t.get("StorageDescriptor") or {}
    out = Freshness(table, since, table_updated=_ts(t.get("UpdateTime")) or _ts(t.get("CreateTime")),
                    location=sd.get("Location"))
    if t.get("PartitionKeys"):
        newest = None
        for page in clients.glue.get_paginator("get_partitions").paginate(DatabaseName=names.database, TableName=table):
            for part in page.get("Partitions", []):
                stamp = _ts(part.get("CreationTime"))
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        out.newest_partition = newest
    if out.location and out.location.startswith("s3://"):
        bucket, _, prefix = out.location[5:].partition("/")
        newest = None
        for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                stamp = _ts(obj.get("LastModified"))
                if stamp is not None and (newest is None or stamp > newest):
                    newest = stamp
        out.newest_object = newest
    return out


# --- BA4: the bronze data itself ------------------------------------------------------------------

DATA_SUFFIXES = (".parquet", ".snappy.parquet", ".json", ".jsonl", ".csv", ".orc", ".avro", ".gz")


@dataclass
class BronzeLayout:
    path: str
    objects: int = 0
    data_files: list[str] = field(default_factory=list)
    partition_keys: list[str] = field(default_factory=list)       # the one Hive layout, if consistent
    layouts: dict[str, int] = field(default_factory=dict)         # "k1/k2/k3" -> files
    outside: list[str] = field(default_factory=list)              # data files outside the layout
    sample_rows: int | None = None
    sample_file: str | None = None

    def evidence(self) -> dict[str, Any]:
        return {"path": self.path, "objects": self.objects, "data_files": len(self.data_files),
                "partition_keys": self.partition_keys, "layouts": self.layouts,
                "outside_layout": self.outside[:5], "sample": self.data_files[:3],
                "sample_file": self.sample_file, "sample_rows": self.sample_rows}


def bronze_layout(clients: Any, names: PipelineNames, *, read_sample: bool = True) -> BronzeLayout:
    """What is under the bronze data path: data files, their Hive partition layout and, from one
    Parquet file, that it holds rows — from the data itself, no manifest."""
    import re

    url = names.bronze_data_path
    bucket, _, prefix = (url[5:] if url.startswith("s3://") else url).partition("/")
    out = BronzeLayout(url)
    part = re.compile(r"^([A-Za-z0-9_]+)=[^/]*$")
    for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out.objects += 1
            key = obj["Key"]
            name = key.rsplit("/", 1)[-1]
            if key.endswith("/") or name.startswith(("_", ".")) or "$folder$" in name or not obj.get("Size"):
                continue
            if not name.lower().endswith(DATA_SUFFIXES):
                continue
            out.data_files.append(key)
            folders = key[len(prefix):].lstrip("/").split("/")[:-1]
            keys = [m.group(1) for f in folders if (m := part.match(f))]
            if len(keys) != len(folders) or not keys:
                out.outside.append(key)
                continue
            layout = "/".join(keys)
            out.layouts[layout] = out.layouts.get(layout, 0) + 1
    if len(out.layouts) == 1:
        out.partition_keys = next(iter(out.layouts)).split("/")
    parquet = [k for k in out.data_files if k.endswith(".parquet")]
    if read_sample and parquet:
        import io

        import pyarrow.parquet as pq

        out.sample_file = parquet[-1]
        body = clients.s3.get_object(Bucket=bucket, Key=out.sample_file)["Body"].read()
        out.sample_rows = pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
    return out


# --- FV6: the alert types the data implies ---------------------------------------------------------

#: The alert types the runbook expects (PASSO 8: OVERHEAT_ENGINE, OVERHEAT_OIL, SPEEDING_ALERT) and
#: the pipeline's rule for them (terraform/README: one alert per silver row, by priority, strict
#: comparisons): the measured column, the alerts job argument holding its limit, the documented
#: default when the argument is absent.
ALERT_RULES: tuple[tuple[str, str, str, float], ...] = (
    ("OVERHEAT_ENGINE", "engineTempCelsius", "--engine_temp_limit", 100.0),
    ("OVERHEAT_OIL", "oilTempCelsius", "--oil_temp_limit", 110.0),
    ("SPEEDING_ALERT", "tripMaxSpeedKm", "--speed_limit", 120.0),
)


def alert_limits(clients: Any, names: PipelineNames) -> dict[str, Any]:
    """The limits the deployed alerts job runs with: its DefaultArguments (GetJob), falling back to
    the Terraform output, then the documented defaults; each with where it came from."""
    deployed: dict[str, str] = {}
    try:
        deployed = clients.glue.get_job(JobName=names.gold_alerts_job)["Job"].get("DefaultArguments") or {}
    except ClientError as err:
        if error_code(err) != "EntityNotFoundException":
            raise
    exported = names.job_arguments(names.gold_alerts_job)
    out: dict[str, Any] = {}
    for alert, column, arg, default in ALERT_RULES:
        for source, args in (("job arguments (GetJob)", deployed), ("terraform output job_arguments", exported)):
            if arg in args:
                try:
                    out[alert] = {"column": column, "argument": arg, "limit": float(args[arg]), "source": source}
                    break
                except ValueError:
                    from lakegate.errors import LakegateError

                    raise LakegateError(f"{arg} of job {names.gold_alerts_job} is not a number: {args[arg]!r}",
                                        where=source, fix=f"set {arg} to a number") from None
        else:
            out[alert] = {"column": column, "argument": arg, "limit": default, "source": "documented default"}
    return out


def implied_alerts_sql(table: str, limits: dict[str, Any]) -> str:
    """Athena SQL over the silver table: how many rows fall under each alert rule (priority order)."""
    whens = " ".join(f"WHEN {v['column']} > {v['limit']!r} THEN '{alert}'" for alert, v in limits.items())
    return (f"SELECT alert_type, COUNT(*) AS total FROM (SELECT CASE {whens} END AS alert_type "
            f"FROM {table} WHERE carChassis IS NOT NULL) implied WHERE alert_type IS NOT NULL "
            f"GROUP BY alert_type ORDER BY alert_type")


# --- PASSO 8: Athena -------------------------------------------------------------------------------

@dataclass
class QueryResult:
    query_id: str
    state: str
    sql: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0

    def evidence(self) -> dict[str, Any]:
        return {"query_id": self.query_id, "state": self.state, "sql": self.sql, "columns": self.columns,
                "rows": self.rows[:20], "row_count": len(self.rows), "error": self.error,
                "duration_s": round(self.duration_s, 3)}


def athena_query(clients: Any, names: PipelineNames, sql: str, *, timeout: float = 300,
                 poller: Poller | None = None) -> QueryResult:
    poller = poller or Poller(initial=0.2, max_interval=5.0)
    t0 = time.time()
    qid = clients.athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": names.database},
        ResultConfiguration={"OutputLocation": names.athena_output}, WorkGroup=names.workgroup,
    )["QueryExecutionId"]

    def probe() -> dict[str, Any]:
        return clients.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]

    status = poller.wait_for(f"Athena query {qid}", probe,
                             lambda s: s.get("State") in ("SUCCEEDED", "FAILED", "CANCELLED"), timeout)
    state = status["State"]
    if state != "SUCCEEDED":
        return QueryResult(qid, state, sql, error=status.get("StateChangeReason")
                           or (status.get("AthenaError") or {}).get("ErrorMessage"), duration_s=time.time() - t0)
    columns: list[str] = []
    rows: list[list[str | None]] = []
    token = None
    first = True
    while True:
        kw = {"QueryExecutionId": qid, "MaxResults": 1000}
        if token:
            kw["NextToken"] = token
        page = clients.athena.get_query_results(**kw)
        if not columns:
            columns = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        for i, row in enumerate(page["ResultSet"]["Rows"]):
            if first and i == 0:
                continue  # Athena's header row
            rows.append([d.get("VarCharValue") for d in row["Data"]])
        first = False
        token = page.get("NextToken")
        if not token:
            break
    return QueryResult(qid, state, sql, columns, rows, duration_s=time.time() - t0)


# --- Logs ----------------------------------------------------------------------------------------

CRITICAL_PATTERN = "?ERROR ?CRITICAL ?Exception ?FATAL"


@dataclass
class LogHit:
    group: str
    stream: str
    timestamp: float
    message: str


def critical_log_events(clients: Any, groups: list[str], since: float, *, limit: int = 50) -> list[LogHit]:
    """Events matching ERROR/CRITICAL/Exception/FATAL in ``groups`` since ``since`` (epoch s)."""
    hits: list[LogHit] = []
    for group in groups:
        kw: dict[str, Any] = {"logGroupName": group, "filterPattern": CRITICAL_PATTERN,
                              "startTime": int(since * 1000)}
        try:
            while True:
                page = clients.logs.filter_log_events(**kw)
                for ev in page.get("events", []):
                    hits.append(LogHit(group, ev.get("logStreamName", ""), ev.get("timestamp", 0) / 1000,
                                       ev.get("message", "").strip()))
                if len(hits) >= limit or not page.get("nextToken"):
                    break
                kw["nextToken"] = page["nextToken"]
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
    return hits[:limit]


__all__ = [
    "BookmarkReset", "BronzeLayout", "CrawlResult", "Freshness", "alert_limits", "bronze_layout",
    "implied_alerts_sql", "restore_bookmarks", "table_freshness", "LogHit", "NodeRun", "PollTimeout", "QueryResult", "TableCheck",
    "WorkflowRunStatus", "athena_query", "backup_bookmarks", "critical_log_events", "get_bookmark",
    "intervals_overlap", "last_workflow_run", "monitor_workflow", "recent_run_ids", "reset_bookmarks",
    "run_crawler", "start_workflow", "validate_tables", "workflow_node_runs",
]

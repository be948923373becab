"""Contract tests for the Glue runtime operations through the real ``aws`` CLI (v1) against a
running local AWS (``python -m localaws serve`` started through :func:`lakegate.localenv.start`).

Why the CLI and not only boto3: the runbook is a list of ``aws glue ...`` commands, and users
(and CI scripts) run exactly those. The CLI has its own parameter names (``--include-graph``,
``--job-name``), its own JSON printing and its own exit codes (v1: 255 for a service error, v2:
254), so a response shape or an error code that boto3 accepts can still break a runbook command.

The pipeline is built once per module with boto3 (``make_pipeline`` from this folder's
conftest: buckets, lakegate.datagen bronze data, database, roles with inline policies, 4
crawlers, 3 jobs with the SQL from terraform/glue_jobs/, the workflow and its 5 triggers). The
server runs the ``fast`` profile scaled x16 so that a crawl lasts long enough (~4.8 s RUNNING) for
a CLI call to observe it RUNNING (x8 failed under CI's load when every call exec'd ``aws``: ~1 s of
interpreter start-up, 2-4 s under load). The calls go through the preloaded CLI of
``tests/_awscli.py`` (the aws program forked from an interpreter that already imported it: ~0.3 s
and ~0.25 CPU-s per call); ``tests/localaws_core/test_awscli_helper.py`` proves it prints and exits
exactly as the ``aws`` binary does.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from lakegate import localenv
from tests import _awscli

from .conftest import ACCOUNT, CRAWLERS, DB, JOB_NAMES, SCRIPTS, TRUST, WORKFLOW
from .served_pipeline import start_served_pipeline

pytestmark = pytest.mark.slow

TIME_SCALE = 16.0
BRONZE_CRAWLER = CRAWLERS["bronze"][0]
SILVER_JOB = JOB_NAMES["silver_consolidation"]
NEVER_RUN_JOB = "lakegate-cli-contract-never-run"
STAT_KEYS = {"TotalActions", "TimeoutActions", "FailedActions", "StoppedActions", "SucceededActions",
             "RunningActions", "ErroredActions", "WaitingActions"}
# AWS CLI v1 exits 255 on a service error; v2 exits 254 (documented "Return codes" page)
SERVICE_ERROR_CODES = (254, 255)


@dataclass
class CliEnv:
    state: localenv.LocalState
    clients: dict[str, Any]
    rows: int

    def aws(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """``aws --endpoint-url URL --region us-east-1 --output json ARGS`` with the test keys."""
        env = localenv.aws_env(self.state)
        env["AWS_PAGER"] = ""
        env["AWS_MAX_ATTEMPTS"] = "1"  # an unexpected 5xx must show up, not be retried away
        # the preloaded CLI (tests/_awscli.py: the aws program minus its start-up; skips, i.e.
        # fails under CI, when aws is not installed)
        proc = _awscli.run(["--endpoint-url", self.state.endpoint, "--region", localenv.REGION,
                            "--output", "json", *args], env=env, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def aws_json(self, *args: str) -> dict[str, Any]:
        out = self.aws(*args).stdout.strip()
        return json.loads(out) if out else {}


def assert_service_error(proc: subprocess.CompletedProcess, code: str, operation: str,
                         message: str | None = None) -> None:
    """The CLI's rendering of a service error: exit 254/255 and
    ``An error occurred (CODE) when calling the OPERATION operation: MESSAGE`` on stderr."""
    assert proc.returncode in SERVICE_ERROR_CODES, (proc.returncode, proc.stdout, proc.stderr)
    assert f"An error occurred ({code}) when calling the {operation} operation" in proc.stderr, proc.stderr
    if message is not None:
        assert message in proc.stderr, proc.stderr
    assert proc.stdout.strip() == "", proc.stdout


def poll(fn, timeout: float, interval: float = 0.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> CliEnv:
    served = start_served_pipeline(tmp_path_factory.mktemp("cli-contract"), TIME_SCALE)
    st, clients = served.state, served.clients
    try:
        # a job that is never started by any test: the bookmark contract for "never ran"
        clients["iam"].create_role(RoleName=f"{NEVER_RUN_JOB}-role", AssumeRolePolicyDocument=TRUST)
        clients["glue"].create_job(
            Name=NEVER_RUN_JOB, Role=f"arn:aws:iam::{ACCOUNT}:role/{NEVER_RUN_JOB}-role", GlueVersion="4.0",
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{SCRIPTS}/jobs/silver_consolidation.py"},
            DefaultArguments={"--job-bookmark-option": "job-bookmark-enable"})
        yield CliEnv(state=st, clients=clients, rows=served.rows)
    finally:
        _awscli.shared().close()
        localenv.stop(path=served.state_file)


def _crawler(env: CliEnv) -> dict[str, Any]:
    return env.aws_json("glue", "get-crawler", "--name", BRONZE_CRAWLER)["Crawler"]


@pytest.fixture(scope="module")
def bronze_crawled(env: CliEnv) -> None:
    """Tests that run jobs need the bronze table; crawl once with boto3 if no test did it yet."""
    glue = env.clients["glue"]
    try:
        glue.get_table(DatabaseName=DB, Name="bronze_car_data")
        return
    except glue.exceptions.EntityNotFoundException:
        pass
    if glue.get_crawler(Name=BRONZE_CRAWLER)["Crawler"]["State"] == "READY":
        glue.start_crawler(Name=BRONZE_CRAWLER)
    poll(lambda: (c := glue.get_crawler(Name=BRONZE_CRAWLER)["Crawler"])["State"] == "READY"
         and c.get("LastCrawl"), timeout=60, interval=0.05)
    glue.get_table(DatabaseName=DB, Name="bronze_car_data")


# --- crawler -----------------------------------------------------------------------------------

def test_start_crawler_states_over_time_twice_running_and_metrics(env: CliEnv) -> None:
    glue = env.clients["glue"]
    seen_boto: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # a fine-grained observer next to the CLI's coarse one
        while not stop.is_set():
            s = glue.get_crawler(Name=BRONZE_CRAWLER)["Crawler"]["State"]
            if not seen_boto or seen_boto[-1] != s:
                seen_boto.append(s)
            time.sleep(0.05)  # 16 samples in the 0.8 s of STOPPING (0.05 s x 16)

    before = _crawler(env)
    assert before["State"] == "READY" and "LastCrawl" not in before
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # The CLI calls run side by side: two start-crawler calls 0.3 s apart (whichever lands second
    # finds it running) and two get-crawler pollers, staggered, sampling the states.
    seen_cli: dict[int, list[tuple[str, bool]]] = {0: [], 1: []}
    pollers_stop = threading.Event()

    def cli_poll(n: int) -> None:
        time.sleep(0.4 * n)
        while not pollers_stop.is_set():
            c = _crawler(env)
            sample = (c["State"], "LastCrawl" in c)
            if not seen_cli[n] or seen_cli[n][-1] != sample:
                seen_cli[n].append(sample)
            if sample == ("READY", True):
                return
            # a call takes ~0.3 s here (the preloaded CLI, tests/_awscli.py) against ~4.8 s of
            # RUNNING: sample every ~0.9 s (5+ samples of RUNNING per poller), not back to back
            pollers_stop.wait(0.6)

    pollers = [threading.Thread(target=cli_poll, args=(n,), daemon=True) for n in (0, 1)]
    results: list[subprocess.CompletedProcess] = []

    def start_once(delay: float) -> None:
        time.sleep(delay)
        results.append(env.aws("glue", "start-crawler", "--name", BRONZE_CRAWLER, check=False))

    starters = [threading.Thread(target=start_once, args=(d,)) for d in (0.0, 0.3)]
    for t in starters + pollers:
        t.start()
    for t in starters:
        t.join(60)
    ok = [r for r in results if r.returncode == 0]
    refused = [r for r in results if r.returncode != 0]
    assert len(ok) == 1 and len(refused) == 1, [(r.returncode, r.stderr) for r in results]
    assert ok[0].stdout.strip() in ("", "{}"), ok[0].stdout
    assert_service_error(refused[0], "CrawlerRunningException", "StartCrawler", BRONZE_CRAWLER)

    for t in pollers:
        t.join(60)
    pollers_stop.set()
    crawler = _crawler(env)
    stop.set()
    watcher.join(5)
    order = [("READY", False), ("RUNNING", False), ("STOPPING", False), ("READY", True)]
    for samples in seen_cli.values():
        # each CLI poller saw states in the documented order and ended READY with a LastCrawl
        assert samples == [x for x in order if x in samples] and samples[-1] == ("READY", True), seen_cli
    # between them the CLI pollers saw the crawl in progress (not only before/after)
    assert {s for v in seen_cli.values() for s, _ in v} & {"RUNNING", "STOPPING"}, seen_cli
    assert seen_boto == ["READY", "RUNNING", "STOPPING", "READY"], seen_boto

    for key in ("Name", "Role", "Targets", "DatabaseName", "State", "TablePrefix", "SchemaChangePolicy",
                "CreationTime", "LastUpdated", "Version", "LastCrawl"):
        assert key in crawler, (key, sorted(crawler))
    last = crawler["LastCrawl"]
    assert last["Status"] == "SUCCEEDED", last
    assert last["LogGroup"] == "/aws-glue/crawlers" and last["LogStream"] == BRONZE_CRAWLER, last
    assert {"MessagePrefix", "StartTime"} <= set(last), last
    assert "ErrorMessage" not in last
    assert crawler["Targets"]["S3Targets"][0]["Path"].endswith("/bronze/car_data/")

    metrics = env.aws_json("glue", "get-crawler-metrics", "--crawler-name-list", BRONZE_CRAWLER)
    (m,) = metrics["CrawlerMetricsList"]
    assert set(m) >= {"CrawlerName", "TimeLeftSeconds", "StillEstimating", "LastRuntimeSeconds",
                      "MedianRuntimeSeconds", "TablesCreated", "TablesUpdated", "TablesDeleted"}, m
    assert m["CrawlerName"] == BRONZE_CRAWLER and m["StillEstimating"] is False
    assert (m["TablesCreated"], m["TablesDeleted"]) == (1, 0), m
    # the crawl lasted about the scaled crawler duration (0.3 s x 16 + stopping), not 0 and not minutes
    assert 1.0 < m["LastRuntimeSeconds"] < 30, m

    tables = env.aws_json("glue", "get-tables", "--database-name", DB)["TableList"]
    bronze = [t for t in tables if t["Name"] == "bronze_car_data"]
    assert bronze and [k["Name"] for k in bronze[0]["PartitionKeys"]] == ["ingest_year", "ingest_month", "ingest_day"]

    missing = env.aws("glue", "get-crawler", "--name", "no-such-crawler", check=False)
    assert_service_error(missing, "EntityNotFoundException", "GetCrawler")


# --- bookmarks on a job that never ran -------------------------------------------------------------

def test_job_bookmark_of_a_never_run_job_is_entity_not_found(env: CliEnv) -> None:
    got = env.aws("glue", "get-job-bookmark", "--job-name", NEVER_RUN_JOB, check=False)
    assert_service_error(got, "EntityNotFoundException", "GetJobBookmark",
                         f"Continuation for job {NEVER_RUN_JOB} not found")
    reset = env.aws("glue", "reset-job-bookmark", "--job-name", NEVER_RUN_JOB, check=False)
    assert_service_error(reset, "EntityNotFoundException", "ResetJobBookmark",
                         f"Continuation for job {NEVER_RUN_JOB} not found")
    unknown = env.aws("glue", "get-job-bookmark", "--job-name", "no-such-job", check=False)
    assert_service_error(unknown, "EntityNotFoundException", "GetJobBookmark", "no-such-job")


# --- job runs -----------------------------------------------------------------------------------

def _wait_job(env: CliEnv, job: str, run_id: str, timeout: float = 60) -> tuple[dict, list[str]]:
    """Follow the run with boto3 (cheap, fine-grained: the states it went through), then read
    the final run through the CLI (the shape a script sees)."""
    glue = env.clients["glue"]
    seen: list[str] = []

    def final() -> bool:
        state = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]["JobRunState"]
        if not seen or seen[-1] != state:
            seen.append(state)
        return state not in ("STARTING", "RUNNING", "STOPPING", "WAITING")

    poll(final, timeout, interval=0.02)
    return env.aws_json("glue", "get-job-run", "--job-name", job, "--run-id", run_id)["JobRun"], seen


def test_job_run_lifecycle_bookmark_batch_stop_and_reset(env: CliEnv, bronze_crawled: None) -> None:
    run_id = env.aws_json("glue", "start-job-run", "--job-name", SILVER_JOB)["JobRunId"]
    assert run_id.startswith("jr_"), run_id
    run, seen = _wait_job(env, SILVER_JOB, run_id)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert seen[-1] == "SUCCEEDED" and seen[0] in ("STARTING", "RUNNING"), seen
    assert seen == [x for x in ("STARTING", "RUNNING", "SUCCEEDED") if x in seen], seen
    for key in ("Id", "Attempt", "JobName", "StartedOn", "LastModifiedOn", "CompletedOn", "JobRunState",
                "Arguments", "ExecutionTime", "Timeout", "GlueVersion"):
        assert key in run, (key, sorted(run))
    assert run["Id"] == run_id and run["JobName"] == SILVER_JOB and run["Attempt"] == 0
    assert run["Arguments"]["--bronze_table"] == "bronze_car_data"
    assert isinstance(run["ExecutionTime"], int) and run["ExecutionTime"] >= 1
    assert run["CompletedOn"] >= run["StartedOn"]
    assert "ErrorMessage" not in run

    runs = env.aws_json("glue", "get-job-runs", "--job-name", SILVER_JOB)["JobRuns"]
    assert runs[0]["Id"] == run_id  # newest first
    assert all(r["JobName"] == SILVER_JOB for r in runs)

    entry = env.aws_json("glue", "get-job-bookmark", "--job-name", SILVER_JOB)["JobBookmarkEntry"]
    assert {"JobName", "Version", "Run", "Attempt", "RunId", "JobBookmark"} <= set(entry), entry
    assert entry["JobName"] == SILVER_JOB and entry["RunId"] == run_id and entry["Run"] >= 1
    bookmark = json.loads(entry["JobBookmark"])
    assert bookmark["bronze_batch"]["processedFiles"] >= 1, bookmark

    # BatchStopJobRun: a final run and an unknown id are per-run errors, not an exception
    resp = env.aws_json("glue", "batch-stop-job-run", "--job-name", SILVER_JOB,
                        "--job-run-ids", run_id, "jr_doesnotexist")
    assert set(resp) == {"SuccessfulSubmissions", "Errors"}, resp
    assert resp["SuccessfulSubmissions"] == []
    errs = {e["JobRunId"]: e for e in resp["Errors"]}
    assert set(errs) == {run_id, "jr_doesnotexist"}
    for e in errs.values():
        assert e["JobName"] == SILVER_JOB and set(e["ErrorDetail"]) == {"ErrorCode", "ErrorMessage"}
    assert errs["jr_doesnotexist"]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    assert errs[run_id]["ErrorDetail"]["ErrorCode"] == "InvalidInputException"

    # ... and a run that is still going is stopped: STOPPING/STOPPED, then STOPPED. The run is held
    # RUNNING by the stuck-run fault (it holds the first job of the next workflow run), so the
    # CLI's start-up (seconds on a loaded machine) cannot race a run that finishes first.
    glue = env.clients["glue"]
    wait_idle_silver(env)
    before = glue.get_job_bookmark(JobName=SILVER_JOB)["JobBookmarkEntry"]
    status, body = localenv.admin_post(env.state, "fault/stuck-run")
    assert status == 200 and body["ok"] and body["detail"]["held"] == SILVER_JOB, body
    try:
        wf_run = glue.start_workflow_run(Name=WORKFLOW)["RunId"]
        second = poll(lambda: next((r["Id"] for r in glue.get_job_runs(JobName=SILVER_JOB)["JobRuns"]
                                    if r["JobRunState"] == "RUNNING"), None), timeout=60, interval=0.05)
        assert second != run_id
        stopped = env.aws_json("glue", "batch-stop-job-run", "--job-name", SILVER_JOB, "--job-run-ids", second)
        assert stopped == {"SuccessfulSubmissions": [{"JobName": SILVER_JOB, "JobRunId": second}], "Errors": []}
        run2, seen2 = _wait_job(env, SILVER_JOB, second)
        assert run2["JobRunState"] == "STOPPED", run2
        assert seen2 == [x for x in ("STARTING", "RUNNING", "STOPPING", "STOPPED") if x in seen2], seen2
        # a stopped run does not move the bookmark
        after_stop = env.aws_json("glue", "get-job-bookmark", "--job-name", SILVER_JOB)["JobBookmarkEntry"]
        assert after_stop["RunId"] == before["RunId"] and after_stop["Run"] == before["Run"], (before, after_stop)
        assert after_stop["RunId"] != second
        try:  # the workflow run ends by itself once its held job stopped; stop it if it has not yet
            glue.stop_workflow_run(Name=WORKFLOW, RunId=wf_run)
        except glue.exceptions.IllegalWorkflowStateException:
            pass
        _wait_workflow(env, wf_run, timeout=60)
    finally:
        localenv.admin_post(env.state, "fault/stuck-run/clear")

    concurrent = env.aws("glue", "start-job-run", "--job-name", "no-such-job", check=False)
    assert_service_error(concurrent, "EntityNotFoundException", "StartJobRun")

    reset = env.aws_json("glue", "reset-job-bookmark", "--job-name", SILVER_JOB)
    r_entry = reset["JobBookmarkEntry"]
    assert r_entry["JobName"] == SILVER_JOB and r_entry["Run"] == 0 and r_entry["Version"] > entry["Version"]
    assert json.loads(r_entry["JobBookmark"]) == {}
    got = env.aws_json("glue", "get-job-bookmark", "--job-name", SILVER_JOB)["JobBookmarkEntry"]
    assert got["Run"] == 0 and json.loads(got["JobBookmark"]) == {}


# --- workflows -----------------------------------------------------------------------------------

def _wait_workflow(env: CliEnv, run_id: str, timeout: float = 120) -> dict:
    """Wait with boto3 (a CLI poll costs ~1 s of start-up here), then read the finished run with
    its graph through the CLI."""
    glue = env.clients["glue"]
    poll(lambda: glue.get_workflow_run(Name=WORKFLOW, RunId=run_id)["Run"]["Status"] not in ("RUNNING", "STOPPING"),
         timeout, interval=0.05)
    return env.aws_json("glue", "get-workflow-run", "--name", WORKFLOW, "--run-id", run_id,
                        "--include-graph")["Run"]


def _assert_stats(stats: dict[str, int]) -> None:
    assert set(stats) == STAT_KEYS, stats
    parts = sum(v for k, v in stats.items() if k != "TotalActions")
    assert parts == stats["TotalActions"], stats


def test_workflow_run_statistics_graph_and_runs(env: CliEnv, bronze_crawled: None) -> None:
    wait_idle_silver(env)
    run_id = env.aws_json("glue", "start-workflow-run", "--name", WORKFLOW)["RunId"]
    first = env.aws_json("glue", "get-workflow-run", "--name", WORKFLOW, "--run-id", run_id)["Run"]
    assert first["Status"] == "RUNNING" and "Graph" not in first
    _assert_stats(first["Statistics"])
    assert first["Statistics"]["RunningActions"] >= 1

    run = _wait_workflow(env, run_id)
    assert run["Status"] == "COMPLETED", run
    for key in ("Name", "WorkflowRunId", "StartedOn", "CompletedOn", "Status", "Statistics", "Graph",
                "WorkflowRunProperties"):
        assert key in run, (key, sorted(run))
    s = run["Statistics"]
    _assert_stats(s)
    assert (s["TotalActions"], s["SucceededActions"], s["RunningActions"]) == (6, 6, 0), s
    nodes = run["Graph"]["Nodes"]
    by_type: dict[str, list[dict]] = {}
    for n in nodes:
        assert {"Type", "Name", "UniqueId"} <= set(n), n
        by_type.setdefault(n["Type"], []).append(n)
    assert {k: len(v) for k, v in by_type.items()} == {"TRIGGER": 5, "JOB": 3, "CRAWLER": 3}
    for n in by_type["JOB"]:
        (jr,) = n["JobDetails"]["JobRuns"]
        assert jr["JobRunState"] == "SUCCEEDED" and jr["Arguments"]["--WORKFLOW_RUN_ID"] == run_id
    for n in by_type["CRAWLER"]:
        (crawl,) = n["CrawlerDetails"]["Crawls"]
        assert crawl["State"] == "SUCCEEDED", crawl
    ids = {n["UniqueId"] for n in nodes}
    edges = run["Graph"]["Edges"]
    # 1 start edge + 4 conditional triggers x (condition edge + action edges) = 1 + 2 + 3 + 2 + 2
    assert len(edges) == 10 and all(e["SourceId"] in ids and e["DestinationId"] in ids for e in edges)

    runs = env.aws_json("glue", "get-workflow-runs", "--name", WORKFLOW)["Runs"]
    assert runs[0]["WorkflowRunId"] == run_id and "Graph" not in runs[0]
    for r in runs:
        _assert_stats(r["Statistics"])
    tables = {t["Name"] for t in env.aws_json("glue", "get-tables", "--database-name", DB)["TableList"]}
    assert tables == {"bronze_car_data", "silver_car_telemetry", "gold_car_current_state", "performance_alerts_log"}

    missing = env.aws("glue", "get-workflow-run", "--name", WORKFLOW, "--run-id", "wr_nope", check=False)
    assert_service_error(missing, "EntityNotFoundException", "GetWorkflowRun", "wr_nope")


def wait_idle_silver(env: CliEnv) -> None:
    """The silver job allows one concurrent run: wait until no run of it is active."""
    glue = env.clients["glue"]
    poll(lambda: all(r["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR")
                     for r in glue.get_job_runs(JobName=SILVER_JOB)["JobRuns"]), timeout=60, interval=0.05)


def test_stop_workflow_run_held_by_stuck_run_fault(env: CliEnv, bronze_crawled: None) -> None:
    wait_idle_silver(env)
    status, body = localenv.admin_post(env.state, "fault/stuck-run")
    assert status == 200 and body["ok"] and body["detail"]["held"] == SILVER_JOB, body
    try:
        run_id = env.aws_json("glue", "start-workflow-run", "--name", WORKFLOW)["RunId"]
        # the held silver run reaches RUNNING and stays there well past a job's duration
        poll(lambda: env.clients["glue"].get_workflow_run(Name=WORKFLOW, RunId=run_id)["Run"]["Statistics"]
             ["RunningActions"] == 1 and all(r["JobRunState"] == "RUNNING" for r in env.clients["glue"].get_job_runs(
                 JobName=SILVER_JOB)["JobRuns"][:1]), timeout=30, interval=0.05)
        time.sleep(0.25 * TIME_SCALE)  # > the fast job duration (0.2 s) x scale
        held = env.aws_json("glue", "get-workflow-run", "--name", WORKFLOW, "--run-id", run_id)["Run"]
        assert held["Status"] == "RUNNING" and held["Statistics"]["RunningActions"] == 1, held

        assert env.aws_json("glue", "stop-workflow-run", "--name", WORKFLOW, "--run-id", run_id) == {}
        right_after = env.aws_json("glue", "get-workflow-run", "--name", WORKFLOW, "--run-id", run_id)["Run"]
        assert right_after["Status"] in ("STOPPING", "STOPPED"), right_after
        run = _wait_workflow(env, run_id, timeout=60)
        assert run["Status"] == "STOPPED", run
        s = run["Statistics"]
        _assert_stats(s)
        assert (s["TotalActions"], s["StoppedActions"], s["RunningActions"]) == (1, 1, 0), s
        (job,) = [n for n in run["Graph"]["Nodes"] if n["Type"] == "JOB" and n["JobDetails"].get("JobRuns")]
        assert job["Name"] == SILVER_JOB and job["JobDetails"]["JobRuns"][0]["JobRunState"] == "STOPPED"

        again = env.aws("glue", "stop-workflow-run", "--name", WORKFLOW, "--run-id", run_id, check=False)
        assert_service_error(again, "IllegalWorkflowStateException", "StopWorkflowRun", run_id)
    finally:
        localenv.admin_post(env.state, "fault/stuck-run/clear")
    health = localenv.health(env.state.endpoint)
    assert health is not None and health["background_errors"] == [], health

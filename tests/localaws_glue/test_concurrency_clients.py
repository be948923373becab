"""8 clients at once against one running local AWS with the reference pipeline in it, for a
bounded ~12 s: 2 threads start workflow runs and poll them, 2 run Athena queries on the catalog
tables, 2 invoke the ``aws`` CLI (get-tables / get-workflow-runs), 2 do mixed boto3 reads
(get-crawler, get-job-runs, get-workflow). Afterwards: no client saw an error, every workflow run
ended COMPLETED with Statistics that add up, the job runs the server lists agree with the runs
the workflows started, and the server kept no background error.

Overlapping workflow runs are allowed (the workflow sets no MaxConcurrentRuns) but each job
allows one concurrent run, so an action that finds its job or crawler busy is an *errored*
action with ``ConcurrentRunsExceededException``/``CrawlerRunningException`` in the run's
ErrorMessage — exactly what AWS does — and the run still COMPLETES.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any, Callable

import pytest

from lakegate import localenv
from tests import _awscli

from .conftest import CRAWLERS, DB, JOB_NAMES, WORKFLOW
from .served_pipeline import ServedPipeline, start_served_pipeline

pytestmark = pytest.mark.slow

PHASE_SECONDS = 12.0
WORKGROUP = "concurrency-wg"
RESULTS_BUCKET = "concurrency-athena-results"
TABLES = {"bronze_car_data", "silver_car_telemetry", "gold_car_current_state", "performance_alerts_log"}
FINAL_JOB = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}
BUSY = ("ConcurrentRunsExceededException", "CrawlerRunningException")


def _poll(fn: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def _athena(athena: Any, sql: str) -> list[list[str]]:
    qid = athena.start_query_execution(QueryString=sql, WorkGroup=WORKGROUP,
                                       QueryExecutionContext={"Database": DB})["QueryExecutionId"]
    q = _poll(lambda: (x := athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"])["Status"]["State"]
              not in ("QUEUED", "RUNNING") and x, timeout=30, interval=0.01)
    if q["Status"]["State"] != "SUCCEEDED":
        raise AssertionError(f"{sql}: {q['Status']}")
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows]


def _wait_run(glue: Any, run_id: str, timeout: float = 60) -> dict:
    return _poll(lambda: (r := glue.get_workflow_run(Name=WORKFLOW, RunId=run_id)["Run"])["Status"]
                 not in ("RUNNING", "STOPPING") and r, timeout)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> ServedPipeline:
    sp = start_served_pipeline(tmp_path_factory.mktemp("concurrency"), time_scale=1.0)
    try:
        glue, s3, athena = sp.clients["glue"], sp.clients["s3"], sp.clients["athena"]
        s3.create_bucket(Bucket=RESULTS_BUCKET)
        athena.create_work_group(Name=WORKGROUP, Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS_BUCKET}/q/"}})
        bronze = CRAWLERS["bronze"][0]
        glue.start_crawler(Name=bronze)
        crawler = _poll(lambda: (c := glue.get_crawler(Name=bronze)["Crawler"])["State"] == "READY"
                        and c.get("LastCrawl") and c, timeout=30)
        assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
        # one run alone first, so that every catalog table exists before the clients start
        first = _wait_run(glue, glue.start_workflow_run(Name=WORKFLOW)["RunId"])
        assert first["Statistics"]["SucceededActions"] == 6, first["Statistics"]
        yield sp
    finally:
        _awscli.shared().close()
        localenv.stop(path=sp.state_file)


def test_eight_clients_workflows_queries_cli_and_reads(served: ServedPipeline) -> None:
    st = served.state
    _awscli.require()  # skips (fails under CI) when the aws CLI is not installed
    before = {j: len(served.clients["glue"].get_job_runs(JobName=j)["JobRuns"]) for j in JOB_NAMES.values()}
    alerts_expected = {k: v for k, v in served.expected_alerts.items() if v}
    deadline = time.monotonic() + PHASE_SECONDS
    errors: list[str] = []
    started: list[str] = []
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def guarded(kind: str, body: Callable[[Any], None]) -> Callable[[], None]:
        def run() -> None:
            # each thread its own clients (boto3 clients are thread-safe, sessions are not)
            c = {s: localenv.client(s, st) for s in ("glue", "athena")}
            while time.monotonic() < deadline:
                try:
                    body(c)
                    with lock:
                        counts[kind] += 1
                except Exception as err:  # noqa: BLE001 - every failure is collected and asserted
                    with lock:
                        errors.append(f"{kind}: {type(err).__name__}: {err}")
        return run

    def workflows(c: dict) -> None:
        rid = c["glue"].start_workflow_run(Name=WORKFLOW)["RunId"]
        with lock:
            started.append(rid)
        run = _wait_run(c["glue"], rid)
        assert run["Status"] == "COMPLETED", run

    def queries(c: dict) -> None:
        rows = _athena(c["athena"], "SELECT COUNT(*) AS n FROM bronze_car_data")
        assert rows == [["n"], [str(served.rows)]], rows
        rows = _athena(c["athena"], "SELECT ingest_day, COUNT(DISTINCT carChassis) AS cars FROM bronze_car_data "
                                    "GROUP BY ingest_day ORDER BY ingest_day")
        assert rows[0] == ["ingest_day", "cars"] and len(rows) == 4, rows

    def cli(c: dict) -> None:
        env = localenv.aws_env(st)
        env.update({"AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"})
        base = ["--endpoint-url", st.endpoint, "--region", localenv.REGION, "--output", "json", "glue"]
        for args in (["get-tables", "--database-name", DB], ["get-workflow-runs", "--name", WORKFLOW]):
            proc = _awscli.run(base + args, env=env, timeout=60)  # the preloaded CLI (tests/_awscli.py)
            assert proc.returncode == 0, (args, proc.returncode, proc.stderr)
            out = json.loads(proc.stdout)
            if args[0] == "get-tables":
                assert {t["Name"] for t in out["TableList"]} == TABLES, out
            else:
                for r in out["Runs"]:
                    s = r["Statistics"]
                    assert s["TotalActions"] == sum(v for k, v in s.items() if k != "TotalActions"), s
        # an exec'd aws CLI spent ~1 s starting before each request; the preloaded one does not, so
        # pause about that long to keep the CLI clients' request rate (and this phase's CPU) as before
        time.sleep(1.0)

    def reads(c: dict) -> None:
        for name, *_ in CRAWLERS.values():
            cr = c["glue"].get_crawler(Name=name)["Crawler"]
            assert cr["State"] in ("READY", "RUNNING", "STOPPING"), cr["State"]
        for job in JOB_NAMES.values():
            for r in c["glue"].get_job_runs(JobName=job)["JobRuns"]:
                assert r["JobName"] == job and r["JobRunState"] in FINAL_JOB | {"STARTING", "RUNNING", "STOPPING"}
        wf = c["glue"].get_workflow(Name=WORKFLOW, IncludeGraph=True)["Workflow"]
        assert len(wf["Graph"]["Nodes"]) == 11, wf["Graph"]

    threads = [threading.Thread(target=guarded(kind, body), name=f"{kind}-{i}")
               for kind, body in (("workflow", workflows), ("athena", queries), ("cli", cli), ("boto3", reads))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PHASE_SECONDS + 90)
    assert not [t.name for t in threads if t.is_alive()], "a client thread hung"
    assert errors == [], errors[:10]
    # every kind of client did real work during the phase
    assert all(counts[k] >= 1 for k in ("workflow", "athena", "cli", "boto3")), counts
    assert len(started) >= 2, started

    glue = served.clients["glue"]
    runs = [_wait_run(glue, rid) for rid in started]
    graphs = [glue.get_workflow_run(Name=WORKFLOW, RunId=rid, IncludeGraph=True)["Run"] for rid in started]
    ours: Counter[str] = Counter()
    for run, full in zip(runs, graphs):
        s = run["Statistics"]
        assert run["Status"] == "COMPLETED", run
        assert s["TotalActions"] == sum(v for k, v in s.items() if k != "TotalActions"), s
        assert s["RunningActions"] == s["WaitingActions"] == 0, s
        assert s["FailedActions"] == s["TimeoutActions"] == s["StoppedActions"] == 0, run
        if s["ErroredActions"]:
            # busy job/crawler only, and nothing after an errored action fired
            assert all(any(b in part for b in BUSY) for part in run["ErrorMessage"].split("; ")), run
        else:
            assert (s["TotalActions"], s["SucceededActions"]) == (6, 6), s
        # the graph lists exactly the actions the statistics count (minus the errored ones)
        job_runs = {n["Name"]: n["JobDetails"]["JobRuns"] for n in full["Graph"]["Nodes"] if n["Type"] == "JOB"}
        crawls = [c for n in full["Graph"]["Nodes"] if n["Type"] == "CRAWLER" for c in n["CrawlerDetails"]["Crawls"]]
        assert sum(map(len, job_runs.values())) + len(crawls) == s["TotalActions"] - s["ErroredActions"], full
        for job, jrs in job_runs.items():
            ours[job] += len(jrs)
            assert all(r["Arguments"]["--WORKFLOW_RUN_ID"] == run["WorkflowRunId"] for r in jrs)
    # job runs the server lists: the ones before the phase + the ones our workflow runs started
    started_set = set(started)
    for job in JOB_NAMES.values():
        listed = glue.get_job_runs(JobName=job)["JobRuns"]
        assert all(r["JobRunState"] in FINAL_JOB for r in listed), job
        in_ours = [r for r in listed if r["Arguments"].get("--WORKFLOW_RUN_ID") in started_set]
        assert len(in_ours) == ours[job], (job, len(in_ours), ours[job])
        assert len(listed) == before[job] + ours[job], (job, len(listed), before[job], ours[job])
        assert len({r["Id"] for r in listed}) == len(listed)
    # every run started a silver job run or errored because the silver job was busy
    silver = JOB_NAMES["silver_consolidation"]
    busy_silver = sum(1 for r in runs if silver in (r.get("ErrorMessage") or ""))
    assert ours[silver] + busy_silver == len(started), (ours[silver], busy_silver, len(started))
    # the data the workflows produced is still queryable and right
    athena = served.clients["athena"]
    rows = _athena(athena, "SELECT alert_type, COUNT(*) FROM performance_alerts_log GROUP BY alert_type")
    assert {r[0] for r in rows[1:]} == set(alerts_expected), (rows, alerts_expected)
    health = localenv.health(st.endpoint)
    assert health is not None and health["background_errors"] == [], health
    print(f"calls per client kind {dict(counts)}; workflow runs {len(started)} "
          f"({sum(1 for r in runs if r['Statistics']['ErroredActions'])} with busy actions); job runs {dict(ours)}")

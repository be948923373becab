"""Job runs against moto in-process: the real job SQL, bookmarks, errors worded like Glue."""

from __future__ import annotations

import pytest

from localaws.dispatch import AwsError
from localaws.glue import bookmarks as bmk
from localaws.glue import crawler as cr
from localaws.glue import jobs

from .conftest import BRONZE, DB, SILVER, make_crawler, make_job, upload_generated, wait_for

CRAWLER = "datalake-pipeline-bronze-car-data-crawler-dev"


def _crawl(ctx):
    cr.h_start_crawler(ctx, {"Name": CRAWLER})
    wait_for(lambda: (c := cr.h_get_crawler(ctx, {"Name": CRAWLER})["Crawler"])["State"] == "READY" and "LastCrawl" in c)
    assert cr.h_get_crawler(ctx, {"Name": CRAWLER})["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"


def _run(ctx, name, **kw):
    rid = jobs.h_start_job_run(ctx, {"JobName": name, **kw})["JobRunId"]
    return wait_for(lambda: (r := jobs.h_get_job_run(ctx, {"JobName": name, "RunId": rid})["JobRun"])["JobRunState"]
                    in jobs.FINAL and r, timeout=30)


@pytest.fixture
def silver(ctx, clients, tmp_path):
    upload_generated(clients, tmp_path, rows=300)
    make_crawler(clients, CRAWLER, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data")
    _crawl(ctx)
    return make_job(clients, "silver_consolidation")


def _silver_keys(clients):
    return [o["Key"] for o in clients["s3"].list_objects_v2(Bucket=SILVER).get("Contents", [])]


def test_silver_run_writes_partitions_and_bookmark_advances(ctx, clients, silver):
    with pytest.raises(AwsError) as err:
        bmk.h_reset_job_bookmark(ctx, {"JobName": silver})
    assert (err.value.code, err.value.message) == ("EntityNotFoundException", f"Continuation for job {silver} not found")
    run = _run(ctx, silver)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["CompletedOn"] >= run["StartedOn"] and "ExecutionTime" in run
    assert run["Arguments"]["--bronze_table"] == "bronze_car_data"
    keys = _silver_keys(clients)
    assert keys and all(k.startswith("car_telemetry/event_year=") for k in keys)
    entry = bmk.h_get_job_bookmark(ctx, {"JobName": silver})["JobBookmarkEntry"]
    assert entry["JobName"] == silver and entry["Run"] == 1 and entry["RunId"] == run["Id"]
    assert "bronze_batch" in entry["JobBookmark"]
    # second run: nothing new -> SUCCEEDED and the silver files are untouched
    run2 = _run(ctx, silver)
    assert run2["JobRunState"] == "SUCCEEDED"
    assert _silver_keys(clients) == keys
    # disable reads everything again (rewrites the day partitions)
    run3 = _run(ctx, silver, Arguments={"--job-bookmark-option": "job-bookmark-disable"})
    assert run3["JobRunState"] == "SUCCEEDED" and _silver_keys(clients) != keys
    reset = bmk.h_reset_job_bookmark(ctx, {"JobName": silver})["JobBookmarkEntry"]
    assert reset["Run"] == 0 and reset["JobBookmark"] == "{}"
    logs = clients["logs"].get_log_events(logGroupName=f"/aws-glue/jobs/{silver}", logStreamName=f"{run['Id']}-driver")
    assert any("wrote" in e["message"] for e in logs["events"])


def test_stale_schema_fails_like_glue(ctx, clients, silver):
    glue = clients["glue"]
    t = glue.get_table(DatabaseName=DB, Name="bronze_car_data")["Table"]
    for c in t["StorageDescriptor"]["Columns"]:
        if c["Name"] == "metrics":
            c["Type"] = c["Type"].replace("engineTempCelsius:double,", "")
    tin = {k: t[k] for k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters")}
    glue.update_table(DatabaseName=DB, TableInput=tin)
    run = _run(ctx, silver)
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "AnalysisException: Column 'metrics.engineTempCelsius' does not exist"
    with pytest.raises(AwsError):  # the bookmark did not advance on FAILED
        bmk.h_get_job_bookmark(ctx, {"JobName": silver})


def test_concurrent_runs_and_stop(ctx, clients, silver):
    rid = jobs.h_start_job_run(ctx, {"JobName": silver})["JobRunId"]
    with pytest.raises(AwsError) as err:
        jobs.h_start_job_run(ctx, {"JobName": silver})
    assert err.value.code == "ConcurrentRunsExceededException"
    out = jobs.h_batch_stop_job_run(ctx, {"JobName": silver, "JobRunIds": [rid, "jr_nope"]})
    assert out["SuccessfulSubmissions"] == [{"JobName": silver, "JobRunId": rid}]
    assert out["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    wait_for(lambda: jobs.h_get_job_run(ctx, {"JobName": silver, "RunId": rid})["JobRun"]["JobRunState"] == "STOPPED")
    runs = jobs.h_get_job_runs(ctx, {"JobName": silver})["JobRuns"]
    assert [r["Id"] for r in runs] == [rid]


def test_missing_sql_object_fails(ctx, clients, silver):
    run = _run(ctx, silver, Arguments={"--sql_path": f"s3://{BRONZE}/nope.sql"})
    assert run["JobRunState"] == "FAILED" and "NoSuchKey" in run["ErrorMessage"]


def test_glue_error_wording():
    body = "SELECT b.metrics.trip.tripMaxSpeedKm FROM bronze_batch AS b"
    msg = 'Binder Error: Could not find key "tripMaxSpeedKm" in struct\n\nCandidate Entries: "a"'
    assert jobs.glue_error(msg, body, {"metrics"}) == "AnalysisException: Column 'metrics.trip.tripMaxSpeedKm' does not exist"
    assert jobs.glue_error('Binder Error: Referenced column "y" not found in FROM clause!', "") == \
        "AnalysisException: Column 'y' does not exist"

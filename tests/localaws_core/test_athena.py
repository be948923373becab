"""Athena contract: lifecycle, results shape, CSV/metadata, errors with Athena's texts (boto3 + CLI)."""

from __future__ import annotations

import json
import time

import pyarrow as pa
import pytest
from botocore.exceptions import ClientError

from localaws import athena as ath_mod
from tests.localaws_core.conftest import put_parquet, run_query, wait_for

ALERTS = pa.table({
    "alert_type": ["OVERHEAT_ENGINE", "SPEEDING_ALERT", "SPEEDING_ALERT", "OVERHEAT_OIL"],
    "carChassis": ["c1", "c2", "c3", "c1"],
    "metrics": [{"engineTempCelsius": 105.0, "speed": 80}, {"engineTempCelsius": 90.0, "speed": 130},
                None, {"engineTempCelsius": 95.5, "speed": 10}],
})


@pytest.fixture()
def lake(aws, uid: str) -> dict:
    s3, glue, athena = aws("s3"), aws("glue"), aws("athena")
    data, results, db, wg = f"data-{uid}", f"results-{uid}", f"db-{uid}", f"wg-{uid}"
    s3.create_bucket(Bucket=data)
    s3.create_bucket(Bucket=results)
    put_parquet(s3, data, "alerts/event_day=1/part-0.parquet", ALERTS)
    glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(DatabaseName=db, TableInput={
        "Name": "performance_alerts_log",
        "StorageDescriptor": {"Location": f"s3://{data}/alerts/", "Columns": [
            {"Name": "alert_type", "Type": "string"}, {"Name": "carchassis", "Type": "string"},
            {"Name": "metrics", "Type": "struct<speed:bigint>"}]},  # stale: no engineTempCelsius
        "PartitionKeys": [{"Name": "event_day", "Type": "int"}]})
    athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{results}/query-results/"},
        "EnforceWorkGroupConfiguration": True})
    return {"data": data, "results": results, "db": db, "wg": wg}


def test_runbook_query_lifecycle_results_and_files(aws, lake) -> None:
    athena, s3 = aws("athena"), aws("s3")
    sql = ("SELECT alert_type, COUNT(*) as total FROM performance_alerts_log "
           "GROUP BY alert_type ORDER BY alert_type")
    q = run_query(athena, sql, lake["db"], lake["wg"])
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    assert q["WorkGroup"] == lake["wg"] and q["Query"] == sql
    assert q["QueryExecutionContext"]["Database"] == lake["db"]
    out = q["ResultConfiguration"]["OutputLocation"]
    assert out == f"s3://{lake['results']}/query-results/{q['QueryExecutionId']}.csv"
    stats = q["Statistics"]
    assert stats["DataScannedInBytes"] > 0 and stats["TotalExecutionTimeInMillis"] >= 0
    assert "CompletionDateTime" in q["Status"]
    res = athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in res["ResultSet"]["Rows"]]
    assert rows == [["alert_type", "total"], ["OVERHEAT_ENGINE", "1"], ["OVERHEAT_OIL", "1"],
                    ["SPEEDING_ALERT", "2"]]
    cols = res["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in cols] == [("alert_type", "varchar"), ("total", "bigint")]
    key = out.split("/", 3)[3]
    csv_text = s3.get_object(Bucket=lake["results"], Key=key)["Body"].read().decode()
    assert csv_text.splitlines() == ['"alert_type","total"', '"OVERHEAT_ENGINE","1"',
                                     '"OVERHEAT_OIL","1"', '"SPEEDING_ALERT","2"']
    meta = json.loads(s3.get_object(Bucket=lake["results"], Key=key + ".metadata")["Body"].read())
    assert [c["Name"] for c in meta["ColumnInfo"]] == ["alert_type", "total"]


def test_states_go_queued_running_succeeded(aws, lake) -> None:
    athena = aws("athena")
    qid = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=lake["wg"])["QueryExecutionId"]
    first = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
    assert first in ("QUEUED", "RUNNING", "SUCCEEDED")
    wait_for(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
             ["State"] == "SUCCEEDED")
    assert qid in athena.list_query_executions(WorkGroup=lake["wg"])["QueryExecutionIds"]


def test_results_before_completion_and_nulls(aws, lake) -> None:
    athena = aws("athena")
    q = run_query(athena, "SELECT carchassis, metrics.speed AS speed FROM performance_alerts_log "
                  "ORDER BY carchassis, speed NULLS FIRST", lake["db"], lake["wg"])
    rows = athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"] == [{"VarCharValue": "c1"}, {"VarCharValue": "10"}]
    c3 = [r for r in rows if r["Data"][0].get("VarCharValue") == "c3"][0]
    assert c3["Data"][1] == {}  # null: no VarCharValue


def test_pagination(aws, lake) -> None:
    athena = aws("athena")
    q = run_query(athena, "SELECT * FROM UNNEST(sequence(1, 25)) AS t(n) ORDER BY n", lake["db"], lake["wg"])
    qid = q["QueryExecutionId"]
    seen, token = [], None
    while True:
        kw = {"QueryExecutionId": qid, "MaxResults": 10}
        if token:
            kw["NextToken"] = token
        page = athena.get_query_results(**kw)
        seen += [r["Data"][0].get("VarCharValue") for r in page["ResultSet"]["Rows"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["n"] + [str(i) for i in range(1, 26)]
    with pytest.raises(ClientError, match="MaxResults"):
        athena.get_query_results(QueryExecutionId=qid, MaxResults=5000)


@pytest.mark.parametrize("sql, message", [
    ("SELECT x FROM performance_alerts_log",
     "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved or requester is not authorized "
     "to access requested resources"),
    ("SELECT metrics.engineTempCelsius FROM performance_alerts_log",
     "COLUMN_NOT_FOUND: line 1:8: Column 'metrics.enginetempcelsius' cannot be resolved or "
     "requester is not authorized to access requested resources"),
    ("SELECT * FROM nope", "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{db}.nope' does not exist"),
    ("SELEC 1", "line 1:1: mismatched input 'SELEC'."),
    ("DROP TABLE performance_alerts_log", "NOT_SUPPORTED: DROP statements"),
])
def test_failures_carry_athena_texts(aws, lake, sql: str, message: str) -> None:
    athena = aws("athena")
    q = run_query(athena, sql, lake["db"], lake["wg"])
    status = q["Status"]
    assert status["State"] == "FAILED"
    expected = message.format(db=lake["db"])
    assert status["StateChangeReason"].startswith(expected), status["StateChangeReason"]
    assert status["AthenaError"]["ErrorCategory"] == 2
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]
    with pytest.raises(ClientError) as err:
        athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"


def test_workgroup_output_location_inherited_or_required(aws, lake, uid: str) -> None:
    athena = aws("athena")
    # enforced workgroup: the request's location is ignored
    qid = athena.start_query_execution(
        QueryString="SELECT 1", WorkGroup=lake["wg"],
        ResultConfiguration={"OutputLocation": "s3://elsewhere/x/"})["QueryExecutionId"]
    loc = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["ResultConfiguration"]
    assert loc["OutputLocation"].startswith(f"s3://{lake['results']}/query-results/")
    athena.create_work_group(Name=f"bare-{uid}", Configuration={})
    with pytest.raises(ClientError, match="No output location provided"):
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup=f"bare-{uid}")
    with pytest.raises(ClientError, match=f"WorkGroup ghost-{uid} is not found"):
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup=f"ghost-{uid}")


def test_missing_output_bucket_fails_the_query(aws, uid: str) -> None:
    athena = aws("athena")
    athena.create_work_group(Name=f"nob-{uid}", Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://no-such-bucket-{uid}/r/"}})
    q = run_query(athena, "SELECT 1", "default", f"nob-{uid}")
    assert q["Status"]["State"] == "FAILED"
    assert q["Status"]["StateChangeReason"] == f"Unable to verify/create output bucket no-such-bucket-{uid}"


def test_stop_query_execution(aws, lake) -> None:
    athena = aws("athena")
    qid = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=lake["wg"])["QueryExecutionId"]
    athena.stop_query_execution(QueryExecutionId=qid)
    state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
    assert state in ("CANCELLED", "SUCCEEDED")  # it may have finished before the stop arrived
    time.sleep(0.2)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == state


def test_athena_through_the_aws_cli(aws_cli, lake) -> None:
    start = json.loads(aws_cli(
        "athena", "start-query-execution", "--query-string",
        "SELECT alert_type, COUNT(*) as total FROM performance_alerts_log GROUP BY alert_type",
        "--query-execution-context", f"Database={lake['db']}",
        "--result-configuration", f"OutputLocation=s3://{lake['results']}/query-results/",
        "--work-group", lake["wg"]).stdout)
    qid = start["QueryExecutionId"]

    def state() -> str | None:
        out = json.loads(aws_cli("athena", "get-query-execution", "--query-execution-id", qid).stdout)
        s = out["QueryExecution"]["Status"]["State"]
        return s if s not in ("QUEUED", "RUNNING") else None

    assert wait_for(state, interval=0.1) == "SUCCEEDED"
    out = aws_cli("athena", "get-query-results", "--query-execution-id", qid,
                  "--query", "ResultSet.Rows[*].Data[*].VarCharValue").stdout
    values = sorted(tuple(r) for r in json.loads(out)[1:])
    assert values == [("OVERHEAT_ENGINE", "1"), ("OVERHEAT_OIL", "1"), ("SPEEDING_ALERT", "2")]
    bad = aws_cli("athena", "get-query-execution", "--query-execution-id", "nope", check=False)
    assert bad.returncode != 0 and "QueryExecution nope was not found" in bad.stderr


def test_render_values_like_athena() -> None:
    from datetime import date, datetime

    assert ath_mod.render(None) is None
    assert ath_mod.render(True) == "true"
    assert ath_mod.render(1.5) == "1.5" and ath_mod.render(1e20) == "1.0E20"
    assert ath_mod.render(datetime(2025, 1, 2, 3, 4, 5, 678000)) == "2025-01-02 03:04:05.678"
    assert ath_mod.render(date(2025, 1, 2)) == "2025-01-02"
    assert ath_mod.render({"a": 1, "b": None}) == "{a=1, b=null}"
    assert ath_mod.render([1, 2]) == "[1, 2]"

"""8 clients at once against one server: mixed S3/Glue/Athena/Logs calls, no errors, consistent state."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from lakegate import localenv
from tests.localaws_core.conftest import put_parquet, run_query


def test_eight_threads_mixed_calls(local_aws, aws, uid: str) -> None:
    s3, glue, athena = aws("s3"), aws("glue"), aws("athena")
    bucket, db, wg = f"conc-{uid}", f"conc_{uid}", f"conc-{uid}"
    s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": db})
    put_parquet(s3, bucket, "t/p.parquet", pa.table({"v": list(range(100))}))
    glue.create_table(DatabaseName=db, TableInput={"Name": "t", "StorageDescriptor": {
        "Location": f"s3://{bucket}/t/", "Columns": [{"Name": "v", "Type": "bigint"}]}})
    athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{bucket}/results/"}})
    errors: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> int:
        # each thread its own clients (boto3 clients are thread-safe, sessions are not)
        c = {s: localenv.client(s, local_aws) for s in ("s3", "glue", "athena", "logs")}
        group = f"/conc/{uid}/{n}"
        c["logs"].create_log_group(logGroupName=group)
        c["logs"].create_log_stream(logGroupName=group, logStreamName="s")
        done = 0
        for i in range(10):
            try:
                c["s3"].put_object(Bucket=bucket, Key=f"w{n}/o{i}", Body=b"x" * i)
                c["glue"].create_table(DatabaseName=db, TableInput={"Name": f"w{n}_{i}"})
                c["glue"].get_tables(DatabaseName=db)
                c["logs"].put_log_events(logGroupName=group, logStreamName="s",
                                         logEvents=[{"timestamp": 1_700_000_000_000 + i,
                                                     "message": f"ERROR {i}"}])
                if i % 3 == 0:
                    q = run_query(c["athena"], "SELECT SUM(v) AS s FROM t", db, wg)
                    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
                    rows = c["athena"].get_query_results(QueryExecutionId=q["QueryExecutionId"])
                    assert rows["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == "4950"
                done += 1
            except Exception as err:  # noqa: BLE001 - collected and asserted below
                with lock:
                    errors.append(f"thread {n} call {i}: {type(err).__name__}: {err}")
        return done

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    assert errors == []
    assert results == [10] * 8
    tables = glue.get_tables(DatabaseName=db)["TableList"]
    assert len(tables) == 81
    keys = s3.list_objects_v2(Bucket=bucket, Prefix="w")["KeyCount"]
    assert keys == 80
    assert localenv.health(local_aws.endpoint)["background_errors"] == []

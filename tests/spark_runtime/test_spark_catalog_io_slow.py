"""Catalog I/O and run limits of Glue scripts in the local AWS: a JSON catalog table (as a crawler
makes it: JsonSerDe, Hive partitions) read by a DynamicFrame job that writes a hand-declared Parquet
table with write_dynamic_frame.from_catalog, checked row for row against plain PySpark over the
same files; and a job's Timeout ending the run in state TIMEOUT, as Glue does."""

from __future__ import annotations

import time

import pytest

from .conftest import create_job, make_bucket, put_script, run_job

pytestmark = pytest.mark.slow

JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
DAYS = {
    "2024-03-01": '{"event_id": "e1", "user": {"id": "u1", "plan": "free"}, "duration_ms": 1200}\n'
                  '{"event_id": "e2", "user": {"id": "u2", "plan": "pro"}, "duration_ms": 80}\n',
    "2024-03-02": '{"event_id": "e3", "user": {"id": "u1", "plan": "free"}, "duration_ms": 15000}\n'
                  '{"event_id": "e4", "user": {"id": "u3", "plan": null}, "duration_ms": 5}\n',
}


@pytest.fixture(scope="module")
def events(aws, tmp_path_factory):
    s3, glue = aws["s3"], aws["glue"]
    for b in ("clicks-raw", "clicks-curated", "tmp-bucket"):
        try:
            make_bucket(s3, b)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    local = tmp_path_factory.mktemp("events")
    for day, body in DAYS.items():
        s3.put_object(Bucket="clicks-raw", Key=f"events/day={day}/events-0.json", Body=body.encode())
        (local / f"day={day}").mkdir()
        (local / f"day={day}" / "events-0.json").write_text(body)
    for db in ("clicks_raw", "clicks_curated"):
        glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(DatabaseName="clicks_raw", TableInput={
        "Name": "events", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "json"},
        "PartitionKeys": [{"Name": "day", "Type": "string"}],
        "StorageDescriptor": {
            "Location": "s3://clicks-raw/events/",
            "Columns": [{"Name": "event_id", "Type": "string"},
                        {"Name": "user", "Type": "struct<id:string,plan:string>"},
                        {"Name": "duration_ms", "Type": "bigint"}],
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": JSON_SERDE}}})
    glue.batch_create_partition(DatabaseName="clicks_raw", TableName="events", PartitionInputList=[
        {"Values": [d], "StorageDescriptor": {"Location": f"s3://clicks-raw/events/day={d}/"}} for d in DAYS])
    glue.create_table(DatabaseName="clicks_curated", TableInput={   # aws_glue_catalog_table, by hand
        "Name": "events", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
        "PartitionKeys": [{"Name": "day", "Type": "string"}],
        "StorageDescriptor": {
            "Location": "s3://clicks-curated/events/",
            "Columns": [{"Name": "event_id", "Type": "string"}, {"Name": "user_id", "Type": "string"},
                        {"Name": "plan", "Type": "string"}, {"Name": "duration_ms", "Type": "bigint"}],
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE}}})
    return {**aws, "local": local}


def test_json_catalog_table_to_a_catalog_parquet_table(events, tmp_path, monkeypatch):
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    s3, glue = events["s3"], events["glue"]
    create_job(glue, "events-curate", put_script(s3, "tmp-bucket", "events_json_to_catalog.py"),
               {"--raw_db": "clicks_raw", "--raw_table": "events", "--curated_db": "clicks_curated",
                "--curated_table": "events", "--job-bookmark-option": "job-bookmark-enable"})
    run = run_job(glue, "events-curate")
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    # partitions were added to the hand-declared table (enableUpdateCatalog)
    parts = glue.get_partitions(DatabaseName="clicks_curated", TableName="events")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == sorted(DAYS)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="clicks-curated", Prefix="events/")["Contents"]]
    assert keys and all(k.startswith("events/day=") and k.endswith(".parquet") for k in keys), keys
    out = tmp_path / "out"
    for k in keys:
        (out / k).parent.mkdir(parents=True, exist_ok=True)
        s3.download_file("clicks-curated", k, str(out / k))
    from localaws.glue_runtime import jvm

    shared, _ = jvm.shared_spark_home()  # the runs' Spark folder, so their archive applies
    if shared is not None:
        monkeypatch.setenv("SPARK_HOME", str(shared))
    spark = (SparkSession.builder.master("local[1]").appName("reference").config("spark.ui.enabled", "false")
             .config("spark.driver.extraJavaOptions", jvm.session_java_options())  # compilation/GC only
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false").getOrCreate())
    try:
        got = spark.read.parquet(str(out / "events"))
        want = (spark.read.schema("event_id string, user struct<id:string,plan:string>, duration_ms bigint, day string")
                .json(str(events["local"]))
                .select("event_id", F.col("user.id").alias("user_id"), F.col("user.plan").alias("plan"),
                        "duration_ms", "day"))
        cols = ["event_id", "user_id", "plan", "duration_ms", "day"]
        rows = lambda df: sorted(tuple(r[c] for c in cols) for r in df.select(*cols).collect())  # noqa: E731
        assert rows(got) == rows(want) and len(rows(want)) == 4
    finally:
        spark.stop()
    # bookmarked: a rerun over the same files adds nothing
    assert run_job(glue, "events-curate")["JobRunState"] == "SUCCEEDED"
    again = [o["Key"] for o in s3.list_objects_v2(Bucket="clicks-curated", Prefix="events/")["Contents"]]
    assert sorted(again) == sorted(keys)


def test_job_timeout_ends_the_run_in_state_timeout(aws):
    s3, glue = aws["s3"], aws["glue"]
    try:
        make_bucket(s3, "tmp-bucket")
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    create_job(glue, "slow-export", put_script(s3, "tmp-bucket", "slow_export.py"), {}, command="pythonshell")
    glue.update_job(JobName="slow-export", JobUpdate={
        **{k: v for k, v in glue.get_job(JobName="slow-export")["Job"].items()
           if k in ("Role", "Command", "DefaultArguments", "MaxCapacity")}, "Timeout": 1})
    t0 = time.time()
    run = run_job(glue, "slow-export", timeout=240)
    assert run["JobRunState"] == "TIMEOUT", run
    assert 60 <= time.time() - t0 < 200
    assert run["Timeout"] == 1 and "timed out" in run["ErrorMessage"].lower()

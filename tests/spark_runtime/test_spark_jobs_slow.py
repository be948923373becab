"""Glue scripts on local PySpark through the local AWS, each output checked row for row against
plain PySpark over the same input as local files (one shared reference SparkSession).

Slow: every job run starts its own JVM (as every Glue job run does)."""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path

import pytest

from .conftest import SCRIPTS, create_job, log_text, make_bucket, put_script, run_job

pytestmark = pytest.mark.slow

LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"

DAY1 = "sensor_id,reading,unit\ns-01,21.5,C\ns-02,-999,C\ns-03,19.25,C\n"
DAY2 = "sensor_id,reading,unit\ns-01,22.0,C\ns-02,,C\n"
DAY2_LATE = "sensor_id,reading,unit\ns-03,20.75,C\ns-01,23.5,C\n"


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    from localaws.glue_runtime import jvm

    with pytest.MonkeyPatch.context() as mp:
        shared, _ = jvm.shared_spark_home()  # the runs' Spark folder, so their archive applies
        if shared is not None:
            mp.setenv("SPARK_HOME", str(shared))
        s = (SparkSession.builder.master("local[1]").appName("reference")
             # the runs' JVM options (compilation and GC only: the same answers, less CPU)
             .config("spark.driver.extraJavaOptions", jvm.session_java_options())
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
             .config("spark.sql.session.timeZone", "UTC")
             # outputs are read back with partition values as strings, as the catalog declares them
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false").getOrCreate())
        yield s
        s.stop()


@pytest.fixture(scope="module")
def lake(aws, tmp_path_factory):
    """Raw readings as a crawler leaves them: CSV with a header, LazySimpleSerDe, partitions."""
    s3, glue = aws["s3"], aws["glue"]
    for b in ("sensor-raw", "sensor-curated", "tmp-bucket", "trips-raw", "trips-out"):
        make_bucket(s3, b)
    local = tmp_path_factory.mktemp("raw")
    for dt, body in (("2024-06-01", DAY1), ("2024-06-02", DAY2)):
        s3.put_object(Bucket="sensor-raw", Key=f"readings/dt={dt}/part-0.csv", Body=body.encode())
        (local / f"dt={dt}").mkdir()
        (local / f"dt={dt}" / "part-0.csv").write_text(body)
    glue.create_database(DatabaseInput={"Name": "sensors_raw"})
    glue.create_database(DatabaseInput={"Name": "sensors_curated"})
    glue.create_table(DatabaseName="sensors_raw", TableInput={
        "Name": "readings", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Location": "s3://sensor-raw/readings/",
            "Columns": [{"Name": "sensor_id", "Type": "string"}, {"Name": "reading", "Type": "string"},
                        {"Name": "unit", "Type": "string"}],
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": LAZY, "Parameters": {"field.delim": ","}}}})
    glue.batch_create_partition(DatabaseName="sensors_raw", TableName="readings", PartitionInputList=[
        {"Values": [dt], "StorageDescriptor": {"Location": f"s3://sensor-raw/readings/dt={dt}/"}}
        for dt in ("2024-06-01", "2024-06-02")])
    return {**aws, "local": local}


def _download(s3, bucket: str, prefix: str, dest: Path) -> Path:
    for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        target = dest / o["Key"][len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, o["Key"], str(target))
    return dest


def _rows(df, cols):
    return sorted(tuple(r[c] for c in cols) for r in df.select(*cols).collect())


def _reference_curated(spark, local: Path):
    """The curation logic on plain PySpark over the local CSV files."""
    from pyspark.sql import functions as F

    raw = spark.read.option("header", "true").schema("sensor_id string, reading string, unit string, dt string") \
        .csv(str(local))
    return raw.select("sensor_id", F.col("reading").cast("double").alias("reading"), "unit", "dt") \
        .where("reading is not null and reading >= 0")


CURATE_ARGS = {"--source_database": "sensors_raw", "--source_table": "readings",
               "--target_database": "sensors_curated", "--target_table": "readings",
               "--target_path": "s3://sensor-curated/readings/", "--job-bookmark-option": "job-bookmark-enable"}


def test_dynamic_frame_catalog_to_partitioned_parquet_with_bookmark(lake, spark, tmp_path):
    s3, glue = lake["s3"], lake["glue"]
    create_job(glue, "curate-readings", put_script(s3, "tmp-bucket", "catalog_to_parquet.py"), CURATE_ARGS)
    first = run_job(glue, "curate-readings")
    assert first["JobRunState"] == "SUCCEEDED", first.get("ErrorMessage")
    driver = log_text(lake["logs"], "/aws-glue/jobs/curate-readings", first["Id"] + "-driver")
    assert "Glue 5.0 runs Spark 3.5.4" in driver and "2 of 2 objects are new" in driver
    # the run started Spark from the shared copy of the install's files (one archive for all installs)
    from localaws.glue_runtime import jvm

    if jvm.shared_home_enabled() and not os.environ.get("SPARK_HOME"):
        assert f"Spark folder: {jvm.cds_dir() / 'spark-home-'}" in driver and "(the same files as " in driver, driver

    cols = ["sensor_id", "reading", "unit", "dt"]
    out = spark.read.parquet(str(_download(s3, "sensor-curated", "readings/", tmp_path / "run1")))
    assert _rows(out, cols) == _rows(_reference_curated(spark, lake["local"]), cols)
    assert sorted(p["Values"][0] for p in glue.get_partitions(DatabaseName="sensors_curated", TableName="readings")["Partitions"]) \
        == ["2024-06-01", "2024-06-02"]
    table = glue.get_table(DatabaseName="sensors_curated", Name="readings")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["sensor_id", "reading", "unit"]

    # a late file for day 2: the bookmarked rerun reads only it
    s3.put_object(Bucket="sensor-raw", Key="readings/dt=2024-06-02/part-1.csv", Body=DAY2_LATE.encode())
    (lake["local"] / "dt=2024-06-02" / "part-1.csv").write_text(DAY2_LATE)
    second = run_job(glue, "curate-readings")
    assert second["JobRunState"] == "SUCCEEDED", second.get("ErrorMessage")
    assert "1 of 3 objects are new" in log_text(lake["logs"], "/aws-glue/jobs/curate-readings", second["Id"] + "-driver")
    out2 = spark.read.parquet(str(_download(s3, "sensor-curated", "readings/", tmp_path / "run2")))
    assert _rows(out2, cols) == _rows(_reference_curated(spark, lake["local"]), cols)  # no duplicates
    assert glue.get_job_bookmark(JobName="curate-readings")["JobBookmarkEntry"]["Run"] == 2


def test_job_reads_the_catalog_table_another_job_wrote(lake, spark, tmp_path):
    from pyspark.sql import functions as F

    s3, glue = lake["s3"], lake["glue"]
    # sensors_curated.readings is the table curate-readings registered (previous test)
    glue.get_table(DatabaseName="sensors_curated", Name="readings")
    create_job(glue, "daily-summary", put_script(s3, "tmp-bucket", "daily_summary.py"), {
        "--database": "sensors_curated", "--table": "readings", "--output_path": "s3://sensor-curated/summary/"})
    run = run_job(glue, "daily-summary")
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    out = spark.read.option("header", "true").option("inferSchema", "true") \
        .csv(str(_download(s3, "sensor-curated", "summary/", tmp_path / "summary")))
    ref = _reference_curated(spark, lake["local"]).groupBy("sensor_id", "dt").agg(
        F.count("*").alias("readings"), F.round(F.avg("reading"), 3).alias("avg_reading"),
        F.max("reading").alias("max_reading"))
    cols = ["sensor_id", "dt", "readings", "avg_reading", "max_reading"]
    got = sorted((r[0], str(r[1]), int(r[2]), float(r[3]), float(r[4])) for r in out.select(*cols).collect())
    want = sorted((r[0], str(r[1]), int(r[2]), float(r[3]), float(r[4])) for r in ref.select(*cols).collect())
    assert got == want and len(got) == 4  # s-02 has no valid reading


TRIPS = ("trip_id,pickup_ts,pickup_zone,distance_km,fare\n"
         "t1,2024-06-01 08:15:00,z1,3.2,11.5\n"
         "t2,2024-06-01 23:59:59,z2,10.0,31.0\n"
         "t3,2024-06-02 00:00:01,z9,1.5,6.0\n")
ZONES = '{"zone_id": "z1", "borough": "Manhattan"}\n{"zone_id": "z2", "borough": "Queens"}\n'


def test_spark_read_csv_json_to_partition_by_same_as_plain_pyspark(lake, spark, tmp_path):
    s3, glue = lake["s3"], lake["glue"]
    s3.put_object(Bucket="trips-raw", Key="trips/trips-2024-06.csv", Body=TRIPS.encode())
    s3.put_object(Bucket="trips-raw", Key="zones/zones.json", Body=ZONES.encode())
    create_job(glue, "trips-enrich", put_script(s3, "tmp-bucket", "trips_partitioned.py"), {
        "--trips_path": "s3://trips-raw/trips/", "--zones_path": "s3://trips-raw/zones/zones.json",
        "--output_path": "s3://trips-out/enriched/"})
    run = run_job(glue, "trips-enrich")
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="trips-out")["Contents"]]
    assert {k.split("/")[1] for k in keys} == {"pickup_date=2024-06-01", "pickup_date=2024-06-02"}
    got = spark.read.parquet(str(_download(s3, "trips-out", "enriched/", tmp_path / "got")))

    # the same script, run on plain PySpark over local files (local paths pass through the layer)
    (tmp_path / "in" / "trips").mkdir(parents=True)
    (tmp_path / "in" / "trips" / "trips.csv").write_text(TRIPS)
    (tmp_path / "in" / "zones.json").write_text(ZONES)
    argv = sys.argv
    path = list(sys.path)
    sys.path.insert(0, str(Path(__file__).parents[2] / "localaws" / "glue_runtime" / "pylib"))
    sys.argv = ["trips_partitioned.py", "--JOB_NAME", "local", "--trips_path", str(tmp_path / "in" / "trips"),
                "--zones_path", str(tmp_path / "in" / "zones.json"), "--output_path", str(tmp_path / "want")]
    try:
        runpy.run_path(str(SCRIPTS / "trips_partitioned.py"), run_name="__main__")
    finally:
        sys.argv, sys.path[:] = argv, path
    want = spark.read.parquet(str(tmp_path / "want"))
    cols = ["trip_id", "pickup_ts", "borough", "distance_km", "fare", "fare_per_km", "pickup_date"]
    assert got.schema == want.schema
    assert _rows(got, cols) == _rows(want, cols) and len(_rows(got, cols)) == 3


def test_missing_column_fails_with_sparks_own_message(lake, spark):
    s3, glue = lake["s3"], lake["glue"]
    create_job(glue, "hot-sensors", put_script(s3, "tmp-bucket", "missing_column.py"), {
        "--database": "sensors_raw", "--table": "readings", "--output_path": "s3://sensor-curated/hot/"})
    run = run_job(glue, "hot-sensors")
    assert run["JobRunState"] == "FAILED"
    # what plain PySpark says for the same select on a frame with the table's columns
    from pyspark.errors import AnalysisException

    df = spark.createDataFrame([], "sensor_id string, reading string, unit string, dt string")
    with pytest.raises(AnalysisException) as err:
        df.select("sensor_id", "temperature_celsius")
    assert run["ErrorMessage"] == "AnalysisException: " + str(err.value).splitlines()[0]
    assert "`temperature_celsius` cannot be resolved" in run["ErrorMessage"]
    error_log = log_text(lake["logs"], "/aws-glue/jobs/error", run["Id"])
    assert "pyspark.errors.exceptions.captured.AnalysisException" in error_log
    assert "missing_column.py" in error_log


def test_dynamic_frame_methods_and_s3_sources_in_process(lake, spark, endpoint, monkeypatch, tmp_path):
    """The awsglue layer on the shared reference session (no job run): DynamicFrame methods as
    Glue defines them, from_options with a bookmark, purge_s3_path's retention."""
    from localaws.glue_runtime import lgio, sparkio

    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "localaws" / "glue_runtime" / "pylib"))
    for k, v in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "eu-west-1", "LAKEGATE_GLUE_SCRATCH": str(tmp_path)}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(lgio, "_CLIENTS", {})
    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame
    from awsglue.transforms import DropFields, ResolveChoice, SelectFields

    gc = GlueContext(spark.sparkContext)
    df = spark.createDataFrame([("a", "1", ("x", 2)), ("b", "oops", ("y", 3))],
                               "id string, qty string, meta struct<src:string,n:int>")
    dyf = DynamicFrame.fromDF(df, gc, "t")
    mapped = dyf.apply_mapping([("id", "string", "item_id", "string"), ("qty", "string", "qty", "int"),
                                ("meta.src", "string", "source", "string"), ("absent", "string", "gone", "string")])
    assert mapped.toDF().columns == ["item_id", "qty", "source"]  # a missing source is skipped, as on Glue
    assert sorted(tuple(r) for r in mapped.toDF().collect()) == [("a", 1, "x"), ("b", None, "y")]
    assert ResolveChoice.apply(frame=dyf, specs=[("qty", "cast:int")]).toDF().schema["qty"].dataType.simpleString() == "int"
    assert DropFields.apply(frame=dyf, paths=["meta.n"]).toDF().schema["meta"].dataType.simpleString() == "struct<src:string>"
    assert SelectFields.apply(frame=dyf, paths=["id", "meta.n"]).toDF().columns == ["id", "n"]
    assert dyf.filter(lambda r: r["meta"]["n"] > 2).count() == 1
    assert dyf.rename_field("id", "key").toDF().columns[0] == "key"

    # from_options over S3 with a bookmark: the second read sees only the new object
    s3 = lake["s3"]
    make_bucket(s3, "events-in")
    s3.put_object(Bucket="events-in", Key="e/1.json", Body=b'{"id": 1}\n{"id": 2}\n')
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"job_name": "x", "bookmark_option": "job-bookmark-enable", "bookmark_state": {},
                                "scratch": str(tmp_path)}))
    monkeypatch.setenv("LAKEGATE_GLUE_SPEC", str(spec))
    monkeypatch.setattr(sparkio, "RUN", sparkio.RunState())
    sparkio.RUN.job_initialised = True
    first = gc.create_dynamic_frame.from_options("s3", {"paths": ["s3://events-in/e/"]}, format="json",
                                                 transformation_ctx="events")
    assert first.count() == 2
    seen = {o.key: o.etag for o in sparkio.RUN.processed["events"]}
    spec.write_text(json.dumps({"job_name": "x", "bookmark_option": "job-bookmark-enable", "scratch": str(tmp_path),
                                "bookmark_state": {"events": {"files": seen, "high_water": None}}}))
    s3.put_object(Bucket="events-in", Key="e/2.json", Body=b'{"id": 3}\n')
    second = gc.create_dynamic_frame.from_options("s3", {"paths": ["s3://events-in/e/"]}, format="json",
                                                  transformation_ctx="events")
    assert [r["id"] for r in second.toDF().collect()] == [3]

    gc.purge_s3_path("s3://events-in/e/", {"retentionPeriod": 1})  # nothing is an hour old
    assert len(s3.list_objects_v2(Bucket="events-in")["Contents"]) == 2
    gc.purge_s3_path("s3://events-in/e/", {"retentionPeriod": 0})
    assert "Contents" not in s3.list_objects_v2(Bucket="events-in")

"""Crawls against moto in-process: states, tables, partitions, naming, policies, IAM, errors."""

from __future__ import annotations

import pytest

from localaws.dispatch import AwsError
from localaws.glue import crawler as cr

from .conftest import BRONZE, DB, bronze_record, make_crawler, put_bronze, wait_for

NAME = "datalake-pipeline-bronze-car-data-crawler-dev"


def _get(ctx):
    return cr.h_get_crawler(ctx, {"Name": NAME})["Crawler"]


def _run_to_ready(ctx):
    cr.h_start_crawler(ctx, {"Name": NAME})
    wait_for(lambda: _get(ctx)["State"] == "READY" and "LastCrawl" in _get(ctx))
    return _get(ctx)


def test_crawl_states_table_and_partitions(ctx, clients):
    put_bronze(clients, 29, [bronze_record(i) for i in range(3)])
    put_bronze(clients, 30, [bronze_record(i, day=30) for i in range(2)])
    make_crawler(clients, NAME, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data")
    cr.h_start_crawler(ctx, {"Name": NAME})
    assert _get(ctx)["State"] == "RUNNING"
    with pytest.raises(AwsError) as err:
        cr.h_start_crawler(ctx, {"Name": NAME})
    assert err.value.code == "CrawlerRunningException"
    assert err.value.message == f"Crawler with name {NAME} has already started"
    states = set()
    wait_for(lambda: states.add(_get(ctx)["State"]) or ("LastCrawl" in _get(ctx) and _get(ctx)["State"] == "READY"))
    assert "STOPPING" in states or "RUNNING" in states
    c = _get(ctx)
    assert c["LastCrawl"]["Status"] == "SUCCEEDED", c["LastCrawl"].get("ErrorMessage")
    assert c["LastCrawl"]["LogGroup"] == "/aws-glue/crawlers" and c["LastCrawl"]["LogStream"] == NAME
    glue = clients["glue"]
    tables = [t["Name"] for t in glue.get_tables(DatabaseName=DB)["TableList"]]
    assert tables == ["bronze_car_data"]
    t = glue.get_table(DatabaseName=DB, Name="bronze_car_data")["Table"]
    assert [k["Name"] for k in t["PartitionKeys"]] == ["ingest_year", "ingest_month", "ingest_day"]
    assert t["Parameters"]["classification"] == "parquet"
    assert t["StorageDescriptor"]["Location"] == f"s3://{BRONZE}/bronze/car_data/"
    assert "Parquet" in t["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    cols = {c["Name"]: c["Type"] for c in t["StorageDescriptor"]["Columns"]}
    assert cols["carchassis"] == "string" and cols["year"] == "bigint" and cols["currentmileage"] == "bigint"
    assert cols["metrics"].startswith("struct<engineTempCelsius:double,")
    assert "trip:struct<tripMileage:double,tripMaxSpeedKm:double>" in cols["metrics"]
    parts = glue.get_partitions(DatabaseName=DB, TableName="bronze_car_data")["Partitions"]
    assert sorted(p["Values"] for p in parts) == [["2025", "10", "29"], ["2025", "10", "30"]]
    assert parts[0]["StorageDescriptor"]["Columns"] == t["StorageDescriptor"]["Columns"]
    m = cr.h_get_crawler_metrics(ctx, {"CrawlerNameList": [NAME]})["CrawlerMetricsList"][0]
    assert m["TablesCreated"] == 1 and m["LastRuntimeSeconds"] > 0
    events = clients["logs"].get_log_events(logGroupName="/aws-glue/crawlers", logStreamName=NAME)["events"]
    assert any("Created table bronze_car_data" in e["message"] for e in events)


def test_recrawl_merges_new_nested_field_and_adds_partition(ctx, clients):
    put_bronze(clients, 29, [bronze_record(1)])
    make_crawler(clients, NAME, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data")
    _run_to_ready(ctx)
    rec = bronze_record(2, day=31)
    rec["metrics"]["coolantCelsius"] = 80.0
    put_bronze(clients, 31, [rec])
    c = _run_to_ready(ctx)
    assert c["LastCrawl"]["Status"] == "SUCCEEDED"
    m = cr.h_get_crawler_metrics(ctx, {})["CrawlerMetricsList"][0]
    assert (m["TablesCreated"], m["TablesUpdated"]) == (0, 1)
    t = clients["glue"].get_table(DatabaseName=DB, Name="bronze_car_data")["Table"]
    metrics = next(c["Type"] for c in t["StorageDescriptor"]["Columns"] if c["Name"] == "metrics")
    assert "coolantCelsius:double" in metrics
    parts = clients["glue"].get_partitions(DatabaseName=DB, TableName="bronze_car_data")["Partitions"]
    assert len(parts) == 2


def test_incompatible_schemas_without_grouping_make_per_folder_tables(ctx, clients):
    put_bronze(clients, 29, [bronze_record(1)])
    s3 = clients["s3"]
    from .conftest import parquet_bytes
    s3.put_object(Bucket=BRONZE, Key="bronze/car_data/ingest_year=2026/ingest_month=01/ingest_day=01/x.parquet",
                  Body=parquet_bytes([{"event_id": "e1", "vehicle_static_info": {"data": {"vin": "x"}}, "trip_data": {"v": 1.0}}]))
    make_crawler(clients, NAME, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data", configuration=None)
    c = _run_to_ready(ctx)
    # the role only allows bronze_car_data: the per-folder tables are denied
    assert c["LastCrawl"]["Status"] == "FAILED"
    assert "table/datalake-pipeline-catalog-dev/bronze_ingest_year_2025" in c["LastCrawl"]["ErrorMessage"]


def test_access_denied_batch_get_partition(ctx, clients):
    put_bronze(clients, 29, [bronze_record(1)])
    make_crawler(clients, NAME, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data", drop=("glue:BatchGetPartition",))
    c = _run_to_ready(ctx)
    assert c["LastCrawl"]["Status"] == "FAILED"
    assert c["LastCrawl"]["ErrorMessage"].startswith(
        "Service Principal: glue.amazonaws.com is not authorized to perform: glue:BatchGetPartition on resource: "
        f"arn:aws:glue:us-east-1:123456789012:table/{DB}/bronze_car_data (Service: AWSGlue; Status Code: 400; "
        "Error Code: AccessDeniedException;")
    assert clients["glue"].get_tables(DatabaseName=DB)["TableList"] == []


def test_empty_target_succeeds_with_nothing(ctx, clients):
    clients["s3"].create_bucket(Bucket=BRONZE)
    make_crawler(clients, NAME, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data")
    c = _run_to_ready(ctx)
    assert c["LastCrawl"]["Status"] == "SUCCEEDED"
    assert clients["glue"].get_tables(DatabaseName=DB)["TableList"] == []
    events = clients["logs"].get_log_events(logGroupName="/aws-glue/crawlers", logStreamName=NAME)["events"]
    assert any("did not find any data" in e["message"] for e in events)


def test_stop_crawler_cancels(ctx, clients):
    put_bronze(clients, 29, [bronze_record(1)])
    make_crawler(clients, NAME, BRONZE, "bronze/car_data", "bronze_", "bronze_car_data")
    with pytest.raises(AwsError) as err:
        cr.h_stop_crawler(ctx, {"Name": NAME})
    assert err.value.code == "CrawlerNotRunningException"
    cr.h_start_crawler(ctx, {"Name": NAME})
    cr.h_stop_crawler(ctx, {"Name": NAME})
    assert _get(ctx)["State"] == "STOPPING"
    wait_for(lambda: _get(ctx)["State"] == "READY")
    assert _get(ctx)["LastCrawl"]["Status"] == "CANCELLED"
    assert clients["glue"].get_tables(DatabaseName=DB)["TableList"] == []


def test_unknown_crawler(ctx):
    with pytest.raises(AwsError) as err:
        cr.h_start_crawler(ctx, {"Name": "nope"})
    assert err.value.code == "EntityNotFoundException"

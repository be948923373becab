"""tabledata.register_parquet_view: DuckDB scans the Parquet objects directly, and only when that
gives exactly what read_table (the catalog projection) gives; otherwise it declines (None).

In-process on moto's backends (``mock_aws``), like test_tabledata.py.
"""

from __future__ import annotations

import io

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from localaws import tabledata as td
from localaws.dispatch import Ctx
from tests import _boto_models

METRICS = pa.struct([("engineTempCelsius", pa.float64()), ("metricTimestamp", pa.string()),
                     ("trip", pa.struct([("tripMaxSpeedKm", pa.float64())]))])
DATA_SCHEMA = pa.schema([("carChassis", pa.string()), ("currentMileage", pa.int64()),
                         ("metrics", METRICS), ("tags", pa.list_(pa.string()))])
COLUMNS = [  # as a crawler writes them: top-level names lower-cased, nested names kept
    {"Name": "carchassis", "Type": "string"},
    {"Name": "currentmileage", "Type": "bigint"},
    {"Name": "metrics", "Type": "struct<engineTempCelsius:double,metricTimestamp:string,"
                                "trip:struct<tripMaxSpeedKm:double>>"},
    {"Name": "tags", "Type": "array<string>"},
]


def _rows(chassis: str, n: int, base: int) -> pa.Table:
    return pa.Table.from_pylist([
        {"carChassis": f"{chassis}{i}", "currentMileage": base + i if i % 3 else None,
         "metrics": None if i == 4 else {"engineTempCelsius": 90.0 + i, "metricTimestamp": f"t{i}",
                                         "trip": {"tripMaxSpeedKm": None if i == 2 else 100.0 + i}},
         "tags": ["a", f"b{i}"] if i % 2 else None}
        for i in range(n)], schema=DATA_SCHEMA)


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture()
def env(tmp_path):
    with mock_aws():
        s3 = _boto_models.client("s3", region_name="us-east-1")
        glue = _boto_models.client("glue", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        glue.create_database(DatabaseInput={"Name": "db"})
        yield s3, glue, Ctx("glue", "Test"), tmp_path


def _table(glue, columns=COLUMNS, pkey_type: str = "string") -> None:
    glue.create_table(DatabaseName="db", TableInput={
        "Name": "bronze",
        "StorageDescriptor": {"Location": "s3://lake/bronze/", "Columns": columns},
        "PartitionKeys": [{"Name": "ingest_year", "Type": pkey_type},
                          {"Name": "ingest_day", "Type": pkey_type}]})


def _put(s3, key: str, table: pa.Table) -> None:
    s3.put_object(Bucket="lake", Key=f"bronze/{key}", Body=_parquet(table))


def _direct(ctx, tmp_path, con=None):
    con = con or duckdb.connect()
    files = td.list_table_files(ctx, "db", "bronze")
    return con, td.register_parquet_view(ctx, con, "bronze_batch", "db", "bronze", files, str(tmp_path))


def _sorted(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: (r["carchassis"], r["ingest_day"] or ""))


def test_direct_view_equals_the_catalog_projection(env) -> None:
    s3, glue, ctx, tmp_path = env
    _table(glue)
    _put(s3, "ingest_year=2025/ingest_day=29/p0.parquet", _rows("A", 7, 100))
    _put(s3, "ingest_year=2025/ingest_day=30/p0.parquet", _rows("B", 5, 200))
    _put(s3, "ingest_year=2025/ingest_day=__HIVE_DEFAULT_PARTITION__/p0.parquet", _rows("C", 2, 300))
    con, direct = _direct(ctx, tmp_path)
    assert direct is not None
    rows, names = direct
    expected = td.read_table(ctx, "db", "bronze")
    assert rows == expected.num_rows == 14
    assert names == expected.column_names == [
        "carchassis", "currentmileage", "metrics", "tags", "ingest_year", "ingest_day"]
    got = con.sql("SELECT * FROM bronze_batch").to_arrow_table()
    assert got.column_names == expected.column_names
    assert _sorted(got) == _sorted(expected)
    assert {r["ingest_day"] for r in got.to_pylist()} == {"29", "30", None}
    # the job SQL's nested references resolve the same way (names are case-insensitive)
    assert con.execute("SELECT count(*) FROM bronze_batch b WHERE b.metrics.trip.tripMaxSpeedKm IS NULL"
                       ).fetchone()[0] == 4  # i == 2 (no speed) and i == 4 (no metrics) in A and in B


@pytest.mark.parametrize("case", ["stale_struct", "missing_column", "other_type", "json",
                                  "int_partition_key", "no_files"])
def test_declines_whenever_the_projection_would_change_something(env, case: str) -> None:
    s3, glue, ctx, tmp_path = env
    columns = [dict(c) for c in COLUMNS]
    data = _rows("A", 3, 1)
    if case == "stale_struct":  # the data gained a struct field the catalog lacks
        columns[2]["Type"] = "struct<engineTempCelsius:double,trip:struct<tripMaxSpeedKm:double>>"
    elif case == "missing_column":  # read_table would fill it with NULLs
        columns.append({"Name": "color", "Type": "string"})
    elif case == "other_type":  # read_table would cast
        columns[1]["Type"] = "double"
    _table(glue, columns, pkey_type="int" if case == "int_partition_key" else "string")
    if case == "json":
        s3.put_object(Bucket="lake", Key="bronze/ingest_year=2025/ingest_day=1/p.json",
                      Body=b'{"carChassis": "x", "currentMileage": 1}\n')
    elif case != "no_files":
        _put(s3, "ingest_year=2025/ingest_day=1/p0.parquet", data)
    con, direct = _direct(ctx, tmp_path)
    assert direct is None
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'bronze_batch'").fetchone()[0] == 0


def test_declines_when_one_file_of_many_differs(env) -> None:
    s3, glue, ctx, tmp_path = env
    _table(glue)
    _put(s3, "ingest_year=2025/ingest_day=1/p0.parquet", _rows("A", 3, 1))
    _put(s3, "ingest_year=2025/ingest_day=2/p0.parquet", _rows("B", 3, 1).drop_columns(["tags"]))
    assert _direct(ctx, tmp_path)[1] is None


def test_declines_when_the_scratch_copy_cannot_be_written(env) -> None:
    s3, glue, ctx, tmp_path = env
    _table(glue)
    _put(s3, "ingest_year=2025/ingest_day=1/p0.parquet", _rows("A", 3, 1))
    files = td.list_table_files(ctx, "db", "bronze")
    con = duckdb.connect()
    assert td.register_parquet_view(ctx, con, "bronze_batch", "db", "bronze", files,
                                    str(tmp_path / "does-not-exist")) is None
    assert td.register_parquet_view(ctx, con, "bronze_batch", "db", "bronze", files,
                                    str(tmp_path)) is not None

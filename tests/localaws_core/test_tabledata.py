"""tabledata: Glue type strings, catalog projection (stale catalog), partitions, writes.

Runs in-process on moto's backends (``mock_aws``): the same backend objects the server uses.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from localaws import tabledata as td
from localaws.dispatch import Ctx
from tests import _boto_models


@pytest.fixture()
def env():
    with mock_aws():
        s3 = _boto_models.client("s3", region_name="us-east-1")
        glue = _boto_models.client("glue", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        glue.create_database(DatabaseInput={"Name": "db"})
        yield s3, glue, Ctx("glue", "Test")


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


BRONZE = pa.table({
    "carChassis": ["c1", "c2"],
    "metrics": [{"engineTempCelsius": 101.5, "oilTempCelsius": 90.0, "rpm": 3000},
                {"engineTempCelsius": 80.0, "oilTempCelsius": 120.0, "rpm": None}],
    "tags": [["a", "b"], None],
})


@pytest.mark.parametrize("text", [
    "string", "bigint", "int", "double", "boolean", "timestamp", "date", "decimal(10,2)",
    "array<string>", "map<string,int>", "struct<a:double,b:struct<c:string>>",
    "array<struct<x:bigint,y:array<double>>>",
])
def test_glue_type_roundtrip(text: str) -> None:
    assert td.arrow_to_glue_type(td.glue_type_to_arrow(text)) == text


def test_glue_type_parse_details() -> None:
    t = td.glue_type_to_arrow("struct<engineTempCelsius:double, `odd name`:varchar(10)>")
    assert t.field("engineTempCelsius").type == pa.float64()
    assert t.field("odd name").type == pa.string()
    assert td.glue_type_to_arrow("INTEGER") == pa.int32()
    for bad in ("struct<a double>", "array<string", "frobnicate", "string junk"):
        with pytest.raises(td.GlueTypeError):
            td.glue_type_to_arrow(bad)


def test_arrow_to_glue_for_crawler_types() -> None:
    assert td.arrow_to_glue_type(pa.int64()) == "bigint"
    assert td.arrow_to_glue_type(pa.large_string()) == "string"
    assert td.arrow_to_glue_type(pa.timestamp("ns", tz="UTC")) == "timestamp"
    assert td.arrow_to_glue_type(BRONZE.schema.field("metrics").type) == (
        "struct<engineTempCelsius:double,oilTempCelsius:double,rpm:bigint>")


def test_unsigned_ints_get_a_glue_type_that_holds_their_range() -> None:
    """uint32 goes up to 4294967295: Glue/Hive int cannot hold it and Spark reads Parquet UINT_32
    as LongType, so the catalog type is bigint -- in the table API and in what a crawler writes
    (the crawler used its own copy of the mapping, which said int)."""
    from localaws.glue import schema_infer

    assert td.arrow_to_glue_type(pa.uint32()) == "bigint"
    assert td.arrow_to_glue_type(pa.int32()) == "int"
    # signed and unsigned kept as they were in both copies
    assert [td.arrow_to_glue_type(t) for t in (pa.int8(), pa.uint8(), pa.int16(), pa.uint16(),
                                              pa.uint64())] == [
        "tinyint", "tinyint", "smallint", "smallint", "bigint"]
    table = pa.table({"n": pa.array([4294967295], pa.uint32()), "s": ["x"]})
    schema = pq.read_schema(io.BytesIO(_parquet(table)))
    assert schema_infer.glue_columns(schema) == [{"Name": "n", "Type": "bigint"},
                                                 {"Name": "s", "Type": "string"}]


def test_types_without_a_glue_type_raise_or_fall_back() -> None:
    """The table API refuses an Arrow type Glue has no type for; the crawler (one mapping, with a
    fallback) catalogs it as string, also nested, instead of failing the crawl."""
    from localaws.glue import schema_infer

    nested = pa.struct([("t", pa.time64("us")), ("b", pa.binary(16))])
    with pytest.raises(td.GlueTypeError):
        td.arrow_to_glue_type(pa.time64("us"))
    with pytest.raises(td.GlueTypeError):
        td.arrow_to_glue_type(nested)
    assert td.arrow_to_glue_type(nested, fallback="string") == "struct<t:string,b:binary>"
    assert schema_infer.glue_type(pa.list_(pa.duration("s"))) == "array<string>"
    assert schema_infer.glue_type(pa.binary(16)) == td.arrow_to_glue_type(pa.binary(16)) == "binary"


def test_stale_catalog_drops_struct_field_and_fills_missing(env) -> None:
    s3, glue, ctx = env
    s3.put_object(Bucket="lake", Key="bronze/ingest_year=2025/ingest_month=1/p0.parquet",
                  Body=_parquet(BRONZE))
    glue.create_table(DatabaseName="db", TableInput={
        "Name": "bronze",
        "StorageDescriptor": {"Location": "s3://lake/bronze/", "Columns": [
            {"Name": "carchassis", "Type": "string"},
            # stale: no engineTempCelsius; has a field the data lacks
            {"Name": "metrics", "Type": "struct<oilTempCelsius:double,fuelLevel:double>"},
            {"Name": "tags", "Type": "array<string>"},
            {"Name": "absent", "Type": "bigint"}]},
        "PartitionKeys": [{"Name": "ingest_year", "Type": "int"},
                          {"Name": "ingest_month", "Type": "string"}]})
    out = td.read_table(ctx, "db", "bronze")
    assert out.column_names == ["carchassis", "metrics", "tags", "absent", "ingest_year", "ingest_month"]
    metrics_type = out.schema.field("metrics").type
    assert [metrics_type.field(i).name for i in range(metrics_type.num_fields)] == [
        "oilTempCelsius", "fuelLevel"]
    rows = out.to_pylist()
    assert rows[0]["metrics"] == {"oilTempCelsius": 90.0, "fuelLevel": None}
    assert rows[0]["carchassis"] == "c1" and rows[0]["tags"] == ["a", "b"] and rows[1]["tags"] is None
    assert rows[0]["absent"] is None
    assert rows[0]["ingest_year"] == 2025 and rows[0]["ingest_month"] == "1"


def test_registered_partitions_decide_the_files(env) -> None:
    s3, glue, ctx = env
    for day in ("1", "2"):
        s3.put_object(Bucket="lake", Key=f"t/day={day}/p.parquet", Body=_parquet(BRONZE))
    s3.put_object(Bucket="lake", Key="t/_SUCCESS", Body=b"x")
    s3.put_object(Bucket="lake", Key="t/day=1/_temporary/0/p.parquet", Body=_parquet(BRONZE))
    cols = [{"Name": "carchassis", "Type": "string"}]
    glue.create_table(DatabaseName="db", TableInput={
        "Name": "t", "StorageDescriptor": {"Location": "s3://lake/t/", "Columns": cols},
        "PartitionKeys": [{"Name": "day", "Type": "string"}]})
    walked = td.list_table_files(ctx, "db", "t")
    assert [f.key for f in walked] == ["t/day=1/p.parquet", "t/day=2/p.parquet"]
    assert [f.partition_values for f in walked] == [{"day": "1"}, {"day": "2"}]
    glue.create_partition(DatabaseName="db", TableName="t", PartitionInput={
        "Values": ["2"], "StorageDescriptor": {"Location": "s3://lake/t/day=2/", "Columns": cols}})
    registered = td.list_table_files(ctx, "db", "t")
    assert [f.key for f in registered] == ["t/day=2/p.parquet"]
    assert td.read_table(ctx, "db", "t").column("day").to_pylist() == ["2", "2"]


def test_json_lines_and_bad_data(env) -> None:
    s3, glue, ctx = env
    s3.put_object(Bucket="lake", Key="j/a.json", Body=b'{"n": 1, "s": "x"}\n{"n": 2}\n')
    glue.create_table(DatabaseName="db", TableInput={"Name": "j", "StorageDescriptor": {
        "Location": "s3://lake/j/", "Columns": [{"Name": "n", "Type": "bigint"},
                                                {"Name": "s", "Type": "string"}]}})
    assert td.read_table(ctx, "db", "j").to_pylist() == [{"n": 1, "s": "x"}, {"n": 2, "s": None}]
    s3.put_object(Bucket="lake", Key="j/b.json", Body=b'{"n": "not a number"}\n')
    with pytest.raises(td.TableDataError, match="HIVE_BAD_DATA"):
        td.read_table(ctx, "db", "j")
    s3.put_object(Bucket="lake", Key="j/b.json", Body=b"garbage")
    with pytest.raises(td.TableDataError, match="neither Parquet nor JSON"):
        td.read_table(ctx, "db", "j")


def test_cache_follows_etags(env) -> None:
    s3, glue, ctx = env
    s3.put_object(Bucket="lake", Key="c/p.parquet", Body=_parquet(pa.table({"x": [1]})))
    glue.create_table(DatabaseName="db", TableInput={"Name": "c", "StorageDescriptor": {
        "Location": "s3://lake/c/", "Columns": [{"Name": "x", "Type": "bigint"}]}})
    first = td.read_table(ctx, "db", "c")
    assert td.read_table(ctx, "db", "c") is first  # cached
    s3.put_object(Bucket="lake", Key="c/p.parquet", Body=_parquet(pa.table({"x": [7, 8]})))
    assert td.read_table(ctx, "db", "c").column("x").to_pylist() == [7, 8]


def test_write_modes(env) -> None:
    s3, _, ctx = env
    data = pa.table({"v": [1, 2, 3], "d": ["a", "a", "b"]})
    keys = td.write_parquet(ctx, "s3://lake/out/", data, ["d"], "overwrite")
    assert sorted(k.split("/")[1] for k in keys) == ["d=a", "d=b"]
    stored = pq.read_table(io.BytesIO(s3.get_object(Bucket="lake", Key=keys[0])["Body"].read()))
    assert stored.column_names == ["v"]  # partition column lives in the path
    # dynamic partition overwrite: only d=b is replaced, d=a stays
    td.write_parquet(ctx, "s3://lake/out", pa.table({"v": [9], "d": ["b"]}), ["d"],
                     "overwrite_partitions")
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="out/")["Contents"])
    assert len(listed) == 2 and sum("d=b" in k for k in listed) == 1
    td.write_parquet(ctx, "s3://lake/out/", pa.table({"v": [10], "d": ["b"]}), ["d"], "append")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="out/d=b/")["Contents"]]
    assert len(listed) == 2
    td.write_parquet(ctx, "s3://lake/out/", pa.table({"v": [0]}), [], "overwrite")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="out/")["Contents"]]
    assert len(listed) == 1
    with pytest.raises(td.TableDataError, match="unknown write mode"):
        td.write_parquet(ctx, "s3://lake/out/", data, [], "upsert")
    with pytest.raises(td.TableDataError, match="partition column"):
        td.write_parquet(ctx, "s3://lake/out/", data, ["nope"], "append")
    with pytest.raises(td.TableDataError, match="not an S3 location"):
        td.write_parquet(ctx, "/tmp/x", data, [], "append")

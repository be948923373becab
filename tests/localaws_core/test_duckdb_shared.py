"""Job runs and Athena queries share one in-memory DuckDB database, each on its own connection
(``tabledata.duckdb_cursor``): what one registers is invisible to the others and gone when it
closes, as when each had its own ``duckdb.connect()``.

The direct-scan views of ``register_parquet_view`` are ``TEMP`` (connection-local); a plain
``CREATE VIEW`` would land in the shared catalog, where two concurrent runs with the same input
name would read each other's data and a later run would find a stale view (an optional input
that is missing would look present). In-process on moto's backends, like test_tabledata_direct.
"""

from __future__ import annotations

import io
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from lakegate.sqlrun import register_arrow
from localaws import tabledata as td
from localaws.dispatch import Ctx
from tests import _boto_models

VIEWS = "SELECT view_name FROM duckdb_views() WHERE lower(view_name) IN ('batch', 'extra') ORDER BY 1"


def _parquet(rows: list[dict]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.string())])), buf)
    return buf.getvalue()


@pytest.fixture()
def ctx():
    with mock_aws():
        s3 = _boto_models.client("s3", region_name="us-east-1")
        glue = _boto_models.client("glue", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        glue.create_database(DatabaseInput={"Name": "db"})
        for name in ("left", "right"):
            glue.create_table(DatabaseName="db", TableInput={
                "Name": name, "StorageDescriptor": {"Location": f"s3://lake/{name}/",
                                                     "Columns": [{"Name": "id", "Type": "string"}]}})
            s3.put_object(Bucket="lake", Key=f"{name}/part-0.parquet",
                          Body=_parquet([{"id": f"{name}-{i}"} for i in range(3)]))
        yield Ctx("glue", "Test")


def test_connections_see_only_their_own_views(ctx, tmp_path) -> None:
    a, b = td.duckdb_cursor(), td.duckdb_cursor()
    for con, table, sub in ((a, "left", "a"), (b, "right", "b")):
        (tmp_path / sub).mkdir()
        files = td.list_table_files(ctx, "db", table)
        assert td.register_parquet_view(ctx, con, "batch", "db", table, files, str(tmp_path / sub)) == (
            3, ["id"])
    register_arrow(a, "extra", pa.table({"id": ["x"]}))
    assert sorted(r[0] for r in a.sql("SELECT id FROM batch").fetchall()) == ["left-0", "left-1", "left-2"]
    assert sorted(r[0] for r in b.sql("SELECT id FROM batch").fetchall()) == [
        "right-0", "right-1", "right-2"]
    assert a.execute(VIEWS).fetchall() == [("batch",), ("extra",)]
    assert b.execute(VIEWS).fetchall() == [("batch",)]
    a.close()
    b.close()
    later = td.duckdb_cursor()
    assert later.execute(VIEWS).fetchall() == []   # nothing left for the next run
    later.close()


def test_concurrent_connections_from_threads(ctx, tmp_path) -> None:
    results: dict[str, list[str]] = {}

    def run(table: str) -> None:
        con = td.duckdb_cursor()
        try:
            (tmp_path / table).mkdir()
            files = td.list_table_files(ctx, "db", table)
            td.register_parquet_view(ctx, con, "batch", "db", table, files, str(tmp_path / table))
            results[table] = sorted(r[0] for r in con.sql("SELECT id FROM batch").fetchall())
        finally:
            con.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"left": ["left-0", "left-1", "left-2"], "right": ["right-0", "right-1", "right-2"]}

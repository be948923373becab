"""lakegate.tablestats: the per-table facts AA5 records (catalog, S3 listing, cheap Athena counts)."""

from __future__ import annotations

from types import SimpleNamespace

from botocore.exceptions import ClientError

from lakegate import tablestats


class _Pager:
    def __init__(self, pages):
        self.pages = pages

    def paginate(self, **kw):
        pages = self.pages(kw) if callable(self.pages) else self.pages
        if isinstance(pages, Exception):
            raise pages
        return iter(pages)


def _table(name, location, fmt="parquet", keys=()):
    return {"Name": name, "PartitionKeys": [{"Name": k} for k in keys],
            "StorageDescriptor": {"Location": location, "Columns": [{"Name": "a"}, {"Name": "b"}],
                                  "InputFormat": f"org.apache.hadoop.hive.ql.io.{fmt}.MapredParquetInputFormat"
                                  if fmt == "parquet" else "org.apache.hadoop.mapred.TextInputFormat"}}


def _clients(queries):
    tables = [_table("events", "s3://lake/events/", keys=("dt",)), _table("raw_csv", "s3://lake/raw", fmt="text"),
              _table("broken", "s3://gone/x/")]
    glue = SimpleNamespace(get_paginator=lambda op: {
        "get_tables": _Pager([{"TableList": tables}]),
        "get_partitions": _Pager(lambda kw: [{"Partitions": [{}, {}]}, {"Partitions": [{}]}]),
    }[op])
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListObjectsV2")

    def listing(kw):
        if kw["Bucket"] == "gone":
            return denied
        return [{"Contents": [{"Key": "k1", "Size": 100}, {"Key": "k2", "Size": 50}]}]
    s3 = SimpleNamespace(get_paginator=lambda op: _Pager(listing))
    return SimpleNamespace(glue=glue, s3=s3)


def test_collect_counts_partitions_objects_bytes_and_cheap_rows(monkeypatch):
    queries = []

    def fake_query(clients, names, sql, timeout):
        queries.append(sql)
        return SimpleNamespace(state="SUCCEEDED", rows=[["42"]], error=None)
    monkeypatch.setattr("lakegate.runbook.athena_query", fake_query)
    out = tablestats.collect(_clients(queries), SimpleNamespace(database="db"))
    ev = out["events"]
    assert ev["columns"] == ["a", "b"] and ev["partition_keys"] == ["dt"] and ev["partitions"] == 3
    assert ev["objects"] == 2 and ev["bytes"] == 150 and ev["rows"] == 42
    assert queries == ['SELECT COUNT(*) FROM "events"']          # only the columnar table that listed fully
    assert "rows" not in out["raw_csv"] and "not counted" in out["raw_csv"]["rows_error"]
    assert out["raw_csv"]["partitions"] == 0
    assert "AccessDenied" in out["broken"]["objects_error"] and "rows" not in out["broken"]


def test_a_failed_count_is_recorded_not_raised(monkeypatch):
    monkeypatch.setattr("lakegate.runbook.athena_query",
                        lambda *a, **k: SimpleNamespace(state="FAILED", rows=[], error="TABLE_NOT_FOUND"))
    out = tablestats.collect(_clients([]), SimpleNamespace(database="db"))
    assert out["events"]["rows_error"] == "FAILED: TABLE_NOT_FOUND"

"""What each catalog table holds, for the sign-off's "data at a glance" (boto3 only, read-only).

Per table: column names, partition keys and the number of partitions (Glue catalog), the objects
and bytes under its S3 location (``list_objects_v2``), and the row count where Athena can count it
cheaply: a columnar table (Parquet / ORC keep row counts in their file footers, so ``COUNT(*)``
reads little) whose listing finished under :data:`MAX_OBJECTS` and :data:`MAX_BYTES_FOR_COUNT`.
Anything that cannot be read is recorded with the reason (``*_error``) instead of failing: these
are facts for a reader, not checks.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_OBJECTS = 100_000                 # stop listing after this many objects (the count is then a lower bound)
MAX_PARTITIONS = 100_000
MAX_BYTES_FOR_COUNT = 5 * 1024 ** 3   # Athena scans footers of columnar files; bound the cost anyway
_COLUMNAR = ("parquet", "orc")


def _split_s3(url: str) -> tuple[str, str] | None:
    if not url or not url.startswith("s3://"):
        return None
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix


def _columnar(table: dict[str, Any]) -> bool:
    sd = table.get("StorageDescriptor") or {}
    text = " ".join(str(x) for x in (sd.get("InputFormat"), (sd.get("SerdeInfo") or {}).get("SerializationLibrary"),
                                     (table.get("Parameters") or {}).get("classification"))).lower()
    return any(fmt in text for fmt in _COLUMNAR)


def _objects(s3: Any, location: str) -> dict[str, Any]:
    where = _split_s3(location)
    if where is None:
        return {"objects_error": f"location {location!r} is not an s3:// URL"}
    bucket, prefix = where
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    count = size = 0
    truncated = False
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                count += 1
                size += int(obj.get("Size") or 0)
            if count >= MAX_OBJECTS:
                truncated = True
                break
    except (ClientError, BotoCoreError) as err:
        return {"objects_error": str(err)}
    out: dict[str, Any] = {"objects": count, "bytes": size}
    if truncated:
        out["objects_truncated"] = True
    return out


def _partitions(glue: Any, database: str, table: str) -> dict[str, Any]:
    count = 0
    try:
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table,
                                                                   ExcludeColumnSchema=True):
            count += len(page.get("Partitions", []))
            if count >= MAX_PARTITIONS:
                return {"partitions": count, "partitions_truncated": True}
    except (ClientError, BotoCoreError) as err:
        return {"partitions_error": str(err)}
    return {"partitions": count}


def collect(clients: Any, names: Any, *, count_rows: bool = True) -> dict[str, dict[str, Any]]:
    """Facts per table of ``names.database``: columns, partitions, objects, bytes, rows."""
    from lakegate import runbook

    out: dict[str, dict[str, Any]] = {}
    for page in clients.glue.get_paginator("get_tables").paginate(DatabaseName=names.database):
        for t in page.get("TableList", []):
            sd = t.get("StorageDescriptor") or {}
            info: dict[str, Any] = {
                "columns": [c.get("Name") for c in sd.get("Columns", [])],
                "partition_keys": [k.get("Name") for k in t.get("PartitionKeys", [])],
                "location": sd.get("Location") or "",
            }
            if info["partition_keys"]:
                info.update(_partitions(clients.glue, names.database, t["Name"]))
            else:
                info["partitions"] = 0
            info.update(_objects(clients.s3, info["location"]))
            cheap = (_columnar(t) and "objects" in info and not info.get("objects_truncated")
                     and info["bytes"] <= MAX_BYTES_FOR_COUNT)
            if count_rows and cheap:
                try:
                    q = runbook.athena_query(clients, names, f'SELECT COUNT(*) FROM "{t["Name"]}"', timeout=120)
                    if q.state == "SUCCEEDED" and q.rows and q.rows[0] and str(q.rows[0][0]).isdigit():
                        info["rows"] = int(q.rows[0][0])
                    else:
                        info["rows_error"] = f"{q.state}: {q.error}"
                except Exception as err:  # noqa: BLE001 - a fact we could not read, never a failure
                    info["rows_error"] = str(err)
            elif count_rows:
                info["rows_error"] = "not counted: not a columnar table, or too large to count cheaply"
            out[t["Name"]] = info
    return out

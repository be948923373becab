"""S3 and Data Catalog I/O of a Glue script run, through the local AWS endpoint (boto3).

Everything Spark reads is first downloaded into the run's scratch folder and everything it
writes is written there and then uploaded, so Spark never needs s3a jars or a network. Hive
``k=v/`` folders are kept so Spark's partition discovery sees them. Spark/Hadoop side files
(``_SUCCESS``, ``.crc``, ``_temporary/``, ``*$folder$``) are neither read nor uploaded.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote

_CLIENTS: dict[str, Any] = {}


def client(service: str) -> Any:
    if service not in _CLIENTS:
        import boto3

        _CLIENTS[service] = boto3.client(service, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    return _CLIENTS[service]


def spec() -> dict[str, Any]:
    """The run's spec (written by the server), or {} when running outside the local AWS."""
    path = os.environ.get("LAKEGATE_GLUE_SPEC")
    if not path:
        return {}
    return json.loads(Path(path).read_text())


def scratch() -> Path:
    base = Path(spec().get("scratch") or os.environ.get("LAKEGATE_GLUE_SCRATCH") or "/tmp/lakegate-glue")
    base.mkdir(parents=True, exist_ok=True)
    return base


def new_dir(kind: str) -> Path:
    d = scratch() / kind / uuid.uuid4().hex[:12]
    d.mkdir(parents=True, exist_ok=True)
    return d


S3_SCHEMES = ("s3://", "s3a://", "s3n://")


def is_s3(path: Any) -> bool:
    return isinstance(path, str) and path.startswith(S3_SCHEMES)


def split_url(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ValueError(f"not an S3 URL: {url}")
    return bucket, key


@dataclass(frozen=True)
class Obj:
    bucket: str
    key: str
    etag: str
    last_modified: float
    size: int

    def record(self) -> dict[str, Any]:
        return {"key": self.key, "etag": self.etag, "last_modified": self.last_modified, "size": self.size}


def side_file(rel: str) -> bool:
    parts = [p for p in rel.split("/") if p]
    if not parts:
        return True
    if any(p.startswith("_temporary") for p in parts) or parts[-1].endswith("$folder$"):
        return True
    name = parts[-1]
    return name.startswith(("_", ".")) or name.endswith(".crc")


def list_objects(url: str) -> list[Obj]:
    """Objects under ``url`` (a prefix or one object), side files excluded, sorted by key."""
    bucket, key = split_url(url)
    s3 = client("s3")
    out: list[Obj] = []
    if key and not key.endswith("/"):
        # one object, or a folder named without the slash
        try:
            h = s3.head_object(Bucket=bucket, Key=key)
            return [Obj(bucket, key, str(h["ETag"]).strip('"'), h["LastModified"].timestamp(), int(h["ContentLength"]))]
        except Exception as exc:  # noqa: BLE001 - not an object: try it as a prefix
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code not in ("404", "NoSuchKey", "NotFound"):
                raise
        key += "/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for o in page.get("Contents") or []:
            rel = o["Key"][len(key):]
            if side_file(rel) or o["Key"].endswith("/"):
                continue
            out.append(Obj(bucket, o["Key"], str(o["ETag"]).strip('"'), o["LastModified"].timestamp(), int(o["Size"])))
    return sorted(out, key=lambda o: o.key)


def download(obj: Obj, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    client("s3").download_file(obj.bucket, obj.key, str(dest))
    return dest


def download_tree(url: str, objs: Iterable[Obj] | None = None) -> tuple[Path, list[Obj]]:
    """Download the objects under ``url`` keeping their relative paths; return (folder, objects)."""
    bucket, key = split_url(url)
    objs = list_objects(url) if objs is None else list(objs)
    root = new_dir("in")
    prefix = key if key.endswith("/") or not key else key + "/"
    for o in objs:
        rel = o.key[len(prefix):] if o.key.startswith(prefix) else o.key.rsplit("/", 1)[-1]
        download(o, root / unquote(rel))
    return root, objs


def hive_values(rel: str) -> dict[str, str]:
    out = {}
    for part in rel.split("/")[:-1]:
        if "=" in part:
            k, _, v = part.partition("=")
            out[k] = unquote(v)
    return out


def upload_tree(local: Path, url: str) -> list[str]:
    """Upload every data file below ``local`` under ``url`` (relative paths kept)."""
    bucket, key = split_url(url)
    prefix = key if key.endswith("/") or not key else key + "/"
    s3 = client("s3")
    written = []
    for path in sorted(local.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(local).as_posix()
        if side_file(rel):
            continue
        s3.upload_file(str(path), bucket, prefix + rel)
        written.append(f"s3://{bucket}/{prefix}{rel}")
    return written


def delete_prefix(url: str, only: Iterable[str] | None = None) -> int:
    """Delete every object under ``url`` (or only under the relative folders ``only``)."""
    bucket, key = split_url(url)
    prefix = key if key.endswith("/") or not key else key + "/"
    s3 = client("s3")
    prefixes = [prefix + p.rstrip("/") + "/" for p in only] if only is not None else [prefix]
    n = 0
    for pre in prefixes:
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=pre):
            keys.extend(o["Key"] for o in page.get("Contents") or [])
        for i in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})
        n += len(keys)
    return n


def exists(url: str) -> bool:
    return bool(list_objects(url))


# --- catalog -----------------------------------------------------------------------------------

def get_table(database: str, table: str, catalog_id: str | None = None) -> dict[str, Any]:
    kw = {"CatalogId": catalog_id} if catalog_id else {}
    return client("glue").get_table(DatabaseName=database, Name=table, **kw)["Table"]


def get_partitions(database: str, table: str, expression: str | None = None) -> list[dict[str, Any]]:
    glue = client("glue")
    kw: dict[str, Any] = {"DatabaseName": database, "TableName": table}
    if expression:
        kw["Expression"] = expression
    out: list[dict[str, Any]] = []
    for page in glue.get_paginator("get_partitions").paginate(**kw):
        out.extend(page.get("Partitions") or [])
    return out


def table_format(table: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(``parquet``|``csv``|``json``|``orc``|``avro``, Spark reader options) of a catalog table."""
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    lib = (serde.get("SerializationLibrary") or "").lower()
    params = {**(table.get("Parameters") or {}), **(sd.get("Parameters") or {}), **(serde.get("Parameters") or {})}
    classification = (params.get("classification") or "").lower()
    informat = (sd.get("InputFormat") or "").lower()
    opts: dict[str, str] = {}
    if "parquet" in lib or "parquet" in informat or classification == "parquet":
        return "parquet", opts
    if "orc" in lib or "orc" in informat or classification == "orc":
        return "orc", opts
    if "avro" in lib or classification == "avro":
        return "avro", opts
    if "json" in lib or classification == "json":
        return "json", opts
    if "opencsvserde" in lib:
        opts["sep"] = params.get("separatorChar", ",")
        opts["quote"] = params.get("quoteChar", '"')
        opts["escape"] = params.get("escapeChar", "\\")
    elif "lazysimpleserde" in lib or classification in ("csv", "tsv") or "textinputformat" in informat:
        # Hive's LazySimpleSerDe: field.delim, else serialization.format, else Ctrl-A; a number
        # is a byte value ("1" -> \x01). It knows no quoting.
        raw = params.get("field.delim") or params.get("serialization.format") or ("\t" if classification == "tsv" else "\x01")
        opts["sep"] = chr(int(raw)) if raw.isdigit() else raw[0]
        opts["quote"] = "\u0000"
        if params.get("serialization.null.format") is not None:
            opts["nullValue"] = params["serialization.null.format"]
    else:
        raise ValueError(f"table {table.get('DatabaseName')}.{table.get('Name')}: unsupported storage "
                         f"(SerDe {serde.get('SerializationLibrary')!r}, InputFormat {sd.get('InputFormat')!r})")
    skip = params.get("skip.header.line.count")
    opts["header"] = "true" if skip and int(skip) >= 1 else "false"
    return "csv", opts


_SAFE = re.compile(r"[^A-Za-z0-9._=-]")


def table_files(table: dict[str, Any]) -> list[tuple[Obj, dict[str, str]]]:
    """The objects behind a catalog table with their partition values: the registered
    partitions' locations when it has any, else the table location (Hive folders)."""
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    loc = (table.get("StorageDescriptor") or {}).get("Location") or ""
    if not loc:
        raise ValueError(f"table {table.get('DatabaseName')}.{table.get('Name')} has no StorageDescriptor.Location")
    out: list[tuple[Obj, dict[str, str]]] = []
    if keys:
        parts = get_partitions(table["DatabaseName"], table["Name"])
        if parts:
            for p in parts:
                ploc = (p.get("StorageDescriptor") or {}).get("Location") or ""
                values = dict(zip(keys, p.get("Values") or []))
                if not ploc:
                    continue
                for o in list_objects(ploc):
                    out.append((o, values))
            return out
    base = loc if loc.endswith("/") else loc + "/"
    for o in list_objects(loc):
        rel = o.key[len(split_url(base)[1]):]
        hv = hive_values(rel)
        out.append((o, {k: hv.get(k) for k in keys} if keys else {}))
    return out


def stage_table_files(files: list[tuple[Obj, dict[str, str]]], keys: list[str]) -> Path:
    """Download ``files`` into a local folder laid out ``k=v/`` by partition values."""
    root = new_dir("in")
    for i, (o, values) in enumerate(files):
        sub = "/".join(f"{k}={_SAFE.sub('_', values.get(k) or '__HIVE_DEFAULT_PARTITION__')}" for k in keys)
        name = f"f{i:05d}-{o.key.rsplit('/', 1)[-1]}"
        download(o, root / sub / name if sub else root / name)
    return root


def batch_create_partitions(database: str, table: str, values_list: list[list[str]]) -> int:
    """Register the partitions not yet in the catalog (location and storage copied from the table)."""
    glue = client("glue")
    t = get_table(database, table)
    keys = [k["Name"] for k in t.get("PartitionKeys") or []]
    known = {tuple(p.get("Values") or []) for p in get_partitions(database, table)}
    sd = dict(t.get("StorageDescriptor") or {})
    base = (sd.get("Location") or "").rstrip("/")
    todo = []
    for values in values_list:
        if tuple(values) in known:
            continue
        psd = dict(sd)
        psd["Location"] = base + "/" + "/".join(f"{k}={v}" for k, v in zip(keys, values)) + "/"
        todo.append({"Values": list(values), "StorageDescriptor": psd})
        known.add(tuple(values))
    for i in range(0, len(todo), 100):
        resp = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=todo[i:i + 100])
        errs = [e for e in resp.get("Errors") or [] if (e.get("ErrorDetail") or {}).get("ErrorCode") != "AlreadyExistsException"]
        if errs:
            raise RuntimeError(f"BatchCreatePartition {database}.{table}: {errs[0]['ErrorDetail']}")
    return len(todo)

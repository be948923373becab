"""Catalog tables' data in moto's S3, read and written in-process, the way Glue/Athena see it.

* :func:`list_table_files` — the S3 objects behind a catalog table: from the registered
  partitions' locations when the table has registered partitions, else by walking Hive-style
  ``k=v/`` folders under ``StorageDescriptor.Location``. Spark/Hadoop side files (``_SUCCESS``,
  ``_temporary/``, ``.crc``, ``*$folder$``) are ignored as Glue and Athena ignore them.
* :func:`read_table` — the rows, **projected onto the catalog schema**: catalog columns and
  partition keys, in catalog order, with catalog types. Fields present in the data but missing
  from the catalog are dropped (this is how a stale catalog makes ``metrics.engineTempCelsius``
  "not exist" to a job or a query); fields in the catalog but missing from a file are nulls.
  Names match case-insensitively (Hive/Glue are case-insensitive; crawlers lower-case columns).
* :func:`register_parquet_view` — for job runs: a DuckDB view straight over the Parquet objects
  (DuckDB's own scan, ~2.5x cheaper than pyarrow decode + Arrow scan on a 1M-row batch), used
  only when every file already has the catalog's columns with exactly the catalog's types, i.e.
  when :func:`read_table`'s projection would change nothing; otherwise the caller uses
  :func:`read_table`.
* :func:`write_parquet` — write an Arrow table as Parquet objects (Spark-like
  ``part-…​.snappy.parquet`` names, Hive ``k=v/`` folders) with ``overwrite`` /
  ``overwrite_partitions`` (dynamic partition overwrite) / ``append`` semantics.
* :func:`glue_type_to_arrow` / :func:`arrow_to_glue_type` — the Glue (Hive DDL) type strings
  (``struct<a:double,b:array<string>>``, ``bigint``, ``decimal(10,2)``…) and Arrow types.

All moto state is touched with ``ctx.runtime.lock`` held (when there is a runtime); parsing and
projection happen outside it. Parsed tables are cached per table keyed by the objects' etags
and the catalog schema, so warm Athena queries do not re-read S3.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq


class TableDataError(Exception):
    """Data that cannot be read as the catalog says (bad location, unreadable file, bad type)."""


class GlueTypeError(ValueError):
    """A Glue type string we cannot parse."""


# ---------------------------------------------------------------------------------------------
# Glue type strings <-> Arrow
# ---------------------------------------------------------------------------------------------

_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "smallint": pa.int16(),
    "tinyint": pa.int8(),
    "double": pa.float64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "binary": pa.binary(),
}


class _TypeParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> GlueTypeError:
        return GlueTypeError(f"cannot parse Glue type {self.text!r} at position {self.pos}: {what}")

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise self.error(f"expected {ch!r}")
        self.pos += 1

    def word(self) -> str:
        self.skip_ws()
        if self.pos < len(self.text) and self.text[self.pos] == "`":
            end = self.text.find("`", self.pos + 1)
            if end < 0:
                raise self.error("unterminated backtick")
            name = self.text[self.pos + 1:end]
            self.pos = end + 1
            return name
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum()
                                             or self.text[self.pos] in "_$-. "):
            if self.text[self.pos] == " " and self.text[start:self.pos].strip():
                # stop at a space after a word (e.g. "double precision" is not Glue)
                break
            self.pos += 1
        word = self.text[start:self.pos].strip()
        if not word:
            raise self.error("expected a name")
        return word

    def parse_type(self) -> pa.DataType:
        name = self.word().lower()
        if name == "struct":
            self.expect("<")
            fields: list[pa.Field] = []
            if self.peek() == ">":
                self.pos += 1
                return pa.struct([])
            while True:
                fname = self.word()
                self.expect(":")
                fields.append(pa.field(fname, self.parse_type()))
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect(">")
                return pa.struct(fields)
        if name == "array":
            self.expect("<")
            item = self.parse_type()
            self.expect(">")
            return pa.list_(item)
        if name == "map":
            self.expect("<")
            key = self.parse_type()
            self.expect(",")
            value = self.parse_type()
            self.expect(">")
            return pa.map_(key, value)
        if name in ("decimal", "numeric"):
            precision, scale = 10, 0
            if self.peek() == "(":
                self.pos += 1
                precision = int(self.word())
                if self.peek() == ",":
                    self.pos += 1
                    scale = int(self.word())
                self.expect(")")
            return pa.decimal128(precision, scale)
        if name in ("varchar", "char"):
            if self.peek() == "(":
                self.pos += 1
                self.word()
                self.expect(")")
            return pa.string()
        if name in _PRIMITIVES:
            return _PRIMITIVES[name]
        raise self.error(f"unknown type {name!r}")


def glue_type_to_arrow(type_string: str) -> pa.DataType:
    """Arrow type for a Glue/Hive type string (raises :class:`GlueTypeError`)."""
    parser = _TypeParser(type_string)
    result = parser.parse_type()
    if parser.peek():
        raise parser.error("unexpected trailing text")
    return result


def arrow_to_glue_type(dtype: pa.DataType, *, fallback: str | None = None) -> str:
    """Glue type string for an Arrow type, as a crawler writes it (lower-case, no spaces).

    Unsigned integers get the smallest Glue type that holds their whole range as Spark reads
    them (Spark maps Parquet UINT_32 to LongType): ``uint32`` -> ``bigint``. ``fallback``: the
    type for Arrow types Glue has no type for (time, duration, ...), also inside nested types;
    None raises :class:`GlueTypeError`. The crawler passes ``"string"`` (it catalogs such a
    column instead of failing the crawl)."""
    def inner_type(t: pa.DataType) -> str:
        return arrow_to_glue_type(t, fallback=fallback)

    if pa.types.is_struct(dtype):
        inner = ",".join(f"{dtype.field(i).name}:{inner_type(dtype.field(i).type)}"
                         for i in range(dtype.num_fields))
        return f"struct<{inner}>"
    if pa.types.is_map(dtype):
        return f"map<{inner_type(dtype.key_type)},{inner_type(dtype.item_type)}>"
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_fixed_size_list(dtype):
        return f"array<{inner_type(dtype.value_type)}>"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_null(dtype):
        return "string"
    if pa.types.is_dictionary(dtype):
        return inner_type(dtype.value_type)
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_int8(dtype) or pa.types.is_uint8(dtype):
        return "tinyint"
    if pa.types.is_int16(dtype) or pa.types.is_uint16(dtype):
        return "smallint"
    if pa.types.is_int32(dtype):
        return "int"
    if pa.types.is_integer(dtype):
        return "bigint"
    if pa.types.is_float16(dtype) or pa.types.is_float32(dtype):
        return "float"
    if pa.types.is_float64(dtype):
        return "double"
    if pa.types.is_decimal(dtype):
        return f"decimal({dtype.precision},{dtype.scale})"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype) or pa.types.is_fixed_size_binary(dtype):
        return "binary"
    if fallback is not None:
        return fallback
    raise GlueTypeError(f"no Glue type for Arrow type {dtype}")


# ---------------------------------------------------------------------------------------------
# S3 helpers
# ---------------------------------------------------------------------------------------------


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix). Raises :class:`TableDataError` otherwise."""
    from lakegate.s3url import split_s3_url   # the one S3 URL parser

    parts = split_s3_url(url)
    if parts is None:
        raise TableDataError(f"not an S3 location: {url!r}")
    return parts


def _lock(ctx: Any):
    rt = getattr(ctx, "runtime", None)
    return rt.lock if rt is not None else nullcontext()


def _is_side_file(rel: str) -> bool:
    parts = rel.split("/")
    for part in parts:
        if part.startswith("_") and "=" not in part:
            return True
        if part.startswith("."):
            return True
    name = parts[-1]
    return (not name) or name.endswith("$folder$") or name.endswith(".crc")


@dataclass(frozen=True)
class TableFile:
    bucket: str
    key: str
    size: int
    etag: str
    last_modified: datetime | None
    partition_values: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def list_objects(ctx: Any, bucket: str, prefix: str) -> list[Any]:
    """moto ``FakeKey`` objects (latest, non-deleted) under ``prefix``, sorted by key."""
    from moto.s3.models import FakeDeleteMarker

    s3 = ctx.backend("s3")
    with _lock(ctx):
        try:
            b = s3.get_bucket(bucket)
        except Exception as err:  # noqa: BLE001 - moto raises MissingBucket
            raise TableDataError(f"bucket {bucket!r} does not exist") from err
        keys = [k for name, k in list(b.keys.items())
                if name.startswith(prefix) and not isinstance(k, FakeDeleteMarker)]
    return sorted(keys, key=lambda k: k.name)


def _hive_values(rel: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in rel.split("/")[:-1]:
        if "=" in part:
            k, _, v = part.partition("=")
            values[k.lower()] = unquote(v)
    return values


def _files_under(ctx: Any, location: str, fixed: dict[str, str] | None = None) -> list[TableFile]:
    bucket, prefix = parse_s3_url(location)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    out: list[TableFile] = []
    for k in list_objects(ctx, bucket, prefix):
        rel = k.name[len(prefix):]
        if _is_side_file(rel) or k.size == 0:
            continue
        values = _hive_values(rel)
        if fixed:
            values.update(fixed)
        out.append(TableFile(bucket, k.name, int(k.size), k.etag.strip('"'),
                             getattr(k, "last_modified", None), values))
    return out


def get_catalog_table(ctx: Any, database: str, table: str) -> dict[str, Any]:
    """The latest TableInput dict of ``database.table`` (raises moto's EntityNotFound)."""
    glue = ctx.backend("glue")
    with _lock(ctx):
        t = glue.get_table(database, table)
        current = dict(t.get_version(str(t._current_version)))
        partitions = [(list(p.values), dict(p.partition_input)) for p in t.partitions.values()]
    current["_partitions"] = partitions
    return current


def list_table_files(ctx: Any, database: str, table: str) -> list[TableFile]:
    """S3 objects behind a catalog table (see the module docstring for the rules)."""
    t = get_catalog_table(ctx, database, table)
    sd = t.get("StorageDescriptor") or {}
    location = sd.get("Location")
    if not location:
        raise TableDataError(f"table {database}.{table} has no StorageDescriptor.Location")
    keys = [c["Name"].lower() for c in t.get("PartitionKeys") or []]
    partitions = t["_partitions"]
    if keys and partitions:
        files: list[TableFile] = []
        seen: set[tuple[str, str]] = set()
        for values, pinput in partitions:
            ploc = (pinput.get("StorageDescriptor") or {}).get("Location")
            fixed = dict(zip(keys, [str(v) for v in values]))
            if not ploc:
                ploc = location.rstrip("/") + "/" + "/".join(f"{k}={v}" for k, v in fixed.items())
            for f in _files_under(ctx, ploc, fixed):
                if (f.bucket, f.key) not in seen:
                    seen.add((f.bucket, f.key))
                    files.append(f)
        return sorted(files, key=lambda f: f.key)
    return _files_under(ctx, location)


# ---------------------------------------------------------------------------------------------
# Projection onto the catalog schema
# ---------------------------------------------------------------------------------------------


def catalog_schema(t: dict[str, Any]) -> tuple[pa.Schema, list[str]]:
    """(Arrow schema of columns + partition keys, partition key names) of a TableInput dict."""
    sd = t.get("StorageDescriptor") or {}
    fields = []
    for col in sd.get("Columns") or []:
        fields.append(pa.field(col["Name"], glue_type_to_arrow(col.get("Type", "string"))))
    pkeys = []
    for col in t.get("PartitionKeys") or []:
        fields.append(pa.field(col["Name"], glue_type_to_arrow(col.get("Type", "string"))))
        pkeys.append(col["Name"])
    return pa.schema(fields), pkeys


def _find(names: list[str], wanted: str) -> int:
    low = wanted.lower()
    for i, n in enumerate(names):
        if n == wanted:
            return i
    for i, n in enumerate(names):
        if n.lower() == low:
            return i
    return -1


def conform(arr: pa.Array, target: pa.DataType, path: str = "") -> pa.Array:
    """``arr`` reshaped to ``target``: struct fields matched by name (case-insensitive), extra
    fields dropped, missing ones null; primitives cast. Raises :class:`TableDataError`."""
    if isinstance(arr, pa.ChunkedArray):
        # Chunk by chunk: a column already in the catalog's type is returned as it is (no copy);
        # combining the chunks first copied every column of every file (the bulk of a job's read).
        if arr.type == target:
            return arr
        return pa.chunked_array([conform(chunk, target, path) for chunk in arr.chunks], type=target)
    src = arr.type
    if src == target:
        return arr
    if pa.types.is_null(src):
        return pa.nulls(len(arr), target)
    if pa.types.is_struct(target):
        if not pa.types.is_struct(src):
            raise TableDataError(f"field {path!r} is {src} in the data but {target} in the catalog")
        names = [src.field(i).name for i in range(src.num_fields)]
        children = []
        for i in range(target.num_fields):
            tf = target.field(i)
            j = _find(names, tf.name)
            if j < 0:
                children.append(pa.nulls(len(arr), tf.type))
            else:
                children.append(conform(arr.field(j), tf.type, f"{path}.{tf.name}"))
        mask = arr.is_null() if arr.null_count else None
        return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)
    if pa.types.is_list(target) and (pa.types.is_list(src) or pa.types.is_large_list(src)):
        flat = arr.flatten()
        values = conform(flat, target.value_type, f"{path}[]")
        offsets = pc.subtract(arr.offsets, arr.offsets[0]) if len(arr) else arr.offsets
        offsets = offsets.cast(pa.int32())
        mask = arr.is_null() if arr.null_count else None
        return pa.ListArray.from_arrays(offsets, values, type=target, mask=mask)
    try:
        return pc.cast(arr, target, safe=False) if _lossless_ok(src, target) else pc.cast(arr, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise TableDataError(
            f"HIVE_BAD_DATA: Field {path or '?'}'s type {arrow_to_glue_type_safe(src)} in the data "
            f"is incompatible with type {arrow_to_glue_type_safe(target)} defined in table schema"
        ) from err


def _lossless_ok(src: pa.DataType, target: pa.DataType) -> bool:
    # timestamp unit changes (ns -> us) should truncate rather than fail
    return pa.types.is_timestamp(src) and pa.types.is_timestamp(target)


def arrow_to_glue_type_safe(t: pa.DataType) -> str:
    try:
        return arrow_to_glue_type(t)
    except GlueTypeError:
        return str(t)


def _partition_array(value: str | None, n: int, dtype: pa.DataType, name: str) -> pa.Array:
    if value is None or value == "__HIVE_DEFAULT_PARTITION__":
        return pa.nulls(n, dtype)
    try:
        scalar = pc.cast(pa.array([value]), dtype)[0]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise TableDataError(f"partition value {name}={value!r} is not a {dtype}") from err
    return pa.repeat(scalar, n)


def parse_object(data: bytes, where: str) -> pa.Table:
    """Parquet (magic bytes) or JSON lines → Arrow table."""
    try:
        if data[:4] == b"PAR1":
            return pq.read_table(io.BytesIO(data))
        head = data.lstrip()[:1]
        if head == b"{":
            return pajson.read_json(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as err:
        raise TableDataError(f"cannot read {where}: {err}") from err
    raise TableDataError(f"cannot read {where}: neither Parquet nor JSON lines")


def project(data: pa.Table, schema: pa.Schema, partition_keys: list[str],
            partition_values: dict[str, str], where: str = "") -> pa.Table:
    """One file's table projected onto the catalog ``schema`` (see the module docstring)."""
    n = data.num_rows
    names = data.column_names
    pset = {k.lower() for k in partition_keys}
    arrays = []
    for f in schema:
        if f.name.lower() in pset:
            arrays.append(_partition_array(partition_values.get(f.name.lower()), n, f.type, f.name))
            continue
        j = _find(names, f.name)
        if j < 0:
            arrays.append(pa.nulls(n, f.type))
        else:
            try:
                arrays.append(conform(data.column(j), f.type, f.name))
            except TableDataError as err:
                raise TableDataError(f"{err} ({where})") from err
    return pa.Table.from_arrays(arrays, schema=schema)


_CACHE: "OrderedDict[tuple, pa.Table]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 64


def _read_object(ctx: Any, f: TableFile) -> bytes:
    s3 = ctx.backend("s3")
    with _lock(ctx):
        key = s3.get_object(f.bucket, f.key)
        if key is None:
            raise TableDataError(f"object s3://{f.bucket}/{f.key} disappeared while reading")
        return bytes(key.value)


def read_table(ctx: Any, database: str, table: str,
               files: list[TableFile] | None = None) -> pa.Table:
    """Rows of ``database.table`` (all files, or only ``files``) in the catalog's schema."""
    t = get_catalog_table(ctx, database, table)
    schema, pkeys = catalog_schema(t)
    if files is None:
        files = list_table_files(ctx, database, table)
    cache_key = (ctx.account_id if hasattr(ctx, "account_id") else "", database, table,
                 schema.to_string(), tuple(pkeys),
                 tuple((f.bucket, f.key, f.etag, tuple(sorted(f.partition_values.items())))
                       for f in files))
    with _CACHE_LOCK:
        hit = _CACHE.get(cache_key)
        if hit is not None:
            _CACHE.move_to_end(cache_key)
            return hit
    parts = []
    for f in files:
        data = parse_object(_read_object(ctx, f), f.url)
        parts.append(project(data, schema, pkeys, f.partition_values, f.url))
    result = pa.concat_tables(parts) if parts else schema.empty_table()
    with _CACHE_LOCK:
        _CACHE[cache_key] = result
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return result


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_DUCK_BASE: list[Any] = []
_DUCK_LOCK = threading.Lock()


def duckdb_cursor() -> Any:
    """A new connection (``cursor()``) to the server's one in-memory DuckDB database.

    ``duckdb.connect()`` creates a whole database (~30 CPU-ms: catalog, built-in functions); a
    cursor on an existing one costs ~0.1 ms. Job runs and Athena queries each take their own
    cursor and close it when done. What they register lives only in that connection: Arrow
    tables (``register``) and the direct-scan views of :func:`register_parquet_view` (``TEMP``
    views) are connection-local in DuckDB, so concurrent runs using the same input names do not
    see each other's, and nothing is left for a later run. Nothing creates objects in the shared
    catalog."""
    import duckdb

    with _DUCK_LOCK:
        if not _DUCK_BASE:
            _DUCK_BASE.append(duckdb.connect())
        return _DUCK_BASE[0].cursor()


def register_parquet_view(ctx: Any, con: Any, view: str, database: str, table: str,
                          files: list[TableFile], tmpdir: str) -> tuple[int, list[str]] | None:
    """Register ``view`` in the DuckDB connection ``con`` straight over the Parquet objects.

    Why: for a job over a large batch, decoding Parquet into Arrow with pyarrow and then scanning
    that Arrow table in DuckDB costs ~2.5x what DuckDB's own Parquet scan costs (it reads only the
    columns each part of the query needs). Only used when the result is exactly what
    :func:`read_table` gives: every file is Parquet, every catalog column is in every file (same
    case-insensitive match as :func:`project`) with *exactly* the catalog's type (so the projection
    would not change a value), and partition keys are strings. Files missing columns, with other
    types or extra struct fields (a stale catalog), JSON, or unreadable footers -> ``None``: the
    caller uses :func:`read_table`, which applies the catalog projection and its errors.

    The objects are copied to ``tmpdir`` (the caller deletes it after the query). Returns
    (row count, view column names) or ``None``.
    """
    if not files:
        return None
    t = get_catalog_table(ctx, database, table)
    schema, pkeys = catalog_schema(t)
    pset = {k.lower() for k in pkeys}
    if any(f.type != pa.string() for f in schema if f.name.lower() in pset):
        return None
    import os

    selects: list[str] = []
    rows = 0
    for i, f in enumerate(files):
        data = _read_object(ctx, f)
        if data[:4] != b"PAR1":
            return None
        try:
            meta = pq.read_metadata(pa.BufferReader(data))
            file_schema = meta.schema.to_arrow_schema()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError):
            return None
        names = file_schema.names
        if len({n.lower() for n in names}) != len(names):
            return None
        cols: list[str] = []
        for fld in schema:
            if fld.name.lower() in pset:
                value = f.partition_values.get(fld.name.lower())
                literal = ("CAST(NULL AS VARCHAR)" if value is None or value == "__HIVE_DEFAULT_PARTITION__"
                           else _sql_string(value))
                cols.append(f"{literal} AS {_sql_ident(fld.name)}")
                continue
            j = _find(names, fld.name)
            if j < 0 or file_schema.field(j).type != fld.type:
                return None
            cols.append(f"{_sql_ident(names[j])} AS {_sql_ident(fld.name)}")
        path = os.path.join(tmpdir, f"{view}-{i:05d}.parquet")
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except OSError:  # no room for the scratch copy: the in-memory path gives the same rows
            return None
        selects.append(f"SELECT {', '.join(cols)} FROM read_parquet({_sql_string(path)})")
        rows += meta.num_rows
    # TEMP: local to ``con`` (see duckdb_cursor), gone when it closes
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_sql_ident(view)} AS " + "\nUNION ALL ".join(selects))
    return rows, schema.names


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

WRITE_MODES = ("overwrite", "overwrite_partitions", "append")


def _path_value(v: Any) -> str:
    if v is None:
        return "__HIVE_DEFAULT_PARTITION__"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _put(ctx: Any, bucket: str, key: str, data: bytes) -> None:
    s3 = ctx.backend("s3")
    with _lock(ctx):
        s3.put_object(bucket, key, data)


def _delete_prefix(ctx: Any, bucket: str, prefix: str) -> int:
    s3 = ctx.backend("s3")
    count = 0
    for k in list_objects(ctx, bucket, prefix):
        with _lock(ctx):
            s3.delete_object(bucket, k.name)
        count += 1
    return count


def write_parquet(ctx: Any, s3_url: str, table: pa.Table, partition_by: Iterable[str] = (),
                  mode: str = "overwrite") -> list[str]:
    """Write ``table`` under ``s3_url`` as Parquet; return the keys written.

    ``overwrite`` replaces everything under the prefix; ``overwrite_partitions`` replaces only the
    partitions present in ``table`` (Spark's dynamic partition overwrite); ``append`` adds files.
    Partition columns go into ``k=v/`` folders and are not stored in the files (Hive layout).
    """
    if mode not in WRITE_MODES:
        raise TableDataError(f"unknown write mode {mode!r} (use one of {', '.join(WRITE_MODES)})")
    bucket, prefix = parse_s3_url(s3_url)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    pcols = list(partition_by)
    missing = [c for c in pcols if c not in table.column_names]
    if missing:
        raise TableDataError(f"partition column(s) {', '.join(missing)} not in the output "
                             f"columns {table.column_names}")
    run_id = uuid.uuid4().hex[:12]
    if mode == "overwrite":
        _delete_prefix(ctx, bucket, prefix)
    written: list[str] = []
    if not pcols:
        if table.num_rows or mode == "overwrite":
            key = f"{prefix}part-00000-{run_id}.snappy.parquet"
            _put(ctx, bucket, key, _to_parquet(table))
            written.append(key)
        return written
    groups = table.group_by(pcols, use_threads=False).aggregate([]) if table.num_rows else None
    if groups is None:
        return written
    data_cols = [c for c in table.column_names if c not in pcols]
    for i, combo in enumerate(groups.to_pylist()):
        mask = None
        for c in pcols:
            col = table.column(c)
            cond = pc.is_null(col) if combo[c] is None else pc.equal(col, pa.scalar(combo[c], col.type))
            mask = cond if mask is None else pc.and_(mask, cond)
        part = table.filter(mask).select(data_cols)
        folder = "".join(f"{c}={_path_value(combo[c])}/" for c in pcols)
        if mode == "overwrite_partitions":
            _delete_prefix(ctx, bucket, prefix + folder)
        key = f"{prefix}{folder}part-{i:05d}-{run_id}.c000.snappy.parquet"
        _put(ctx, bucket, key, _to_parquet(part))
        written.append(key)
    return written


def _to_parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


__all__ = [
    "TableFile", "TableDataError", "GlueTypeError", "list_table_files", "read_table",
    "write_parquet", "glue_type_to_arrow", "arrow_to_glue_type", "parse_s3_url", "project",
    "conform", "catalog_schema", "get_catalog_table", "list_objects", "parse_object",
    "register_parquet_view",
    "duckdb_cursor",
]

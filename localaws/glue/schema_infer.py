"""Schema inference as a Glue crawler does it: read Parquet / JSON-lines objects, map Arrow types
to Glue (Hive) type strings, merge compatible schemas, and decide which folders become tables.

Pure over bytes and Arrow schemas so every rule is unit tested without moto.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from localaws.glue import naming
from localaws.tabledata import arrow_to_glue_type

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

# Glue's classifiers: similarity threshold for grouping without CombineCompatibleSchemas
# ("if the schemas are more than 70% similar, the crawler creates one table", AWS Glue docs).
SIMILARITY_THRESHOLD = 0.7


class SchemaConflict(Exception):
    """Two schemas cannot be merged (same column, incompatible types)."""


def classify(key: str, data: bytes) -> str | None:
    """``parquet`` / ``json`` / None (unclassifiable) from magic bytes and content, as Glue's
    built-in classifiers do (they look at content, not only the extension)."""
    if data[:4] == b"PAR1" and data[-4:] == b"PAR1":
        return "parquet"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    return None


def read_schema(key: str, data: bytes) -> tuple[str, pa.Schema] | None:
    """Classification and Arrow schema of one object, or None when Glue would not classify it."""
    kind = classify(key, data)
    if kind == "parquet":
        return kind, pq.read_schema(io.BytesIO(data))
    if kind == "json":
        try:
            table = pajson.read_json(io.BytesIO(data))
        except pa.ArrowInvalid:
            return None
        return kind, table.schema
    return None


def glue_type(t: pa.DataType) -> str:
    """Arrow type -> the Glue/Hive type string a crawler writes into the catalog: the one mapping,
    :func:`localaws.tabledata.arrow_to_glue_type`; a type Glue has none for becomes ``string``
    (a crawl catalogs the column rather than failing)."""
    return arrow_to_glue_type(t, fallback="string")


def merge_types(a: pa.DataType, b: pa.DataType, path: str = "") -> pa.DataType:
    """Merge two Arrow types the way a crawler merges compatible schemas (structs gain fields,
    null takes the other side, int widens to double); anything else is a conflict."""
    if a.equals(b):
        return a
    if pa.types.is_null(a):
        return b
    if pa.types.is_null(b):
        return a
    if pa.types.is_struct(a) and pa.types.is_struct(b):
        fields = {a.field(i).name: a.field(i).type for i in range(a.num_fields)}
        order = list(fields)
        for i in range(b.num_fields):
            f = b.field(i)
            if f.name in fields:
                fields[f.name] = merge_types(fields[f.name], f.type, f"{path}.{f.name}")
            else:
                fields[f.name] = f.type
                order.append(f.name)
        return pa.struct([pa.field(n, fields[n]) for n in order])
    if pa.types.is_list(a) and pa.types.is_list(b):
        return pa.list_(merge_types(a.value_type, b.value_type, path + "[]"))
    if pa.types.is_integer(a) and pa.types.is_integer(b):
        return pa.int64()
    if (pa.types.is_integer(a) or pa.types.is_floating(a)) and (
        pa.types.is_integer(b) or pa.types.is_floating(b)
    ):
        return pa.float64()
    if pa.types.is_timestamp(a) and pa.types.is_timestamp(b):
        return a
    raise SchemaConflict(f"column {path.lstrip('.')!r}: {glue_type(a)} vs {glue_type(b)}")


def merge_schemas(a: pa.Schema, b: pa.Schema) -> pa.Schema:
    """Column-wise merge (order of first appearance), raising :class:`SchemaConflict`."""
    merged = merge_types(pa.struct(list(a)), pa.struct(list(b)))
    return pa.schema([merged.field(i) for i in range(merged.num_fields)])


def glue_columns(schema: pa.Schema, exclude: set[str] = frozenset()) -> list[dict[str, str]]:
    """Catalog ``Columns``: top-level names lower-cased (the Hive metastore is case-insensitive),
    nested struct field names kept as in the data (Glue keeps them inside the type string)."""
    cols = []
    for f in schema:
        name = f.name.lower()
        if name in exclude:
            continue
        cols.append({"Name": name, "Type": glue_type(f.type)})
    return cols


def similarity(a: pa.Schema, b: pa.Schema) -> float:
    """Share of top-level column names two schemas have in common (Jaccard)."""
    na, nb = {f.name.lower() for f in a}, {f.name.lower() for f in b}
    if not na and not nb:
        return 1.0
    return len(na & nb) / len(na | nb)


@dataclass
class DataFile:
    """One classified object below the include path."""

    rel_key: str  # key relative to the include path, e.g. "ingest_year=2025/.../x.parquet"
    classification: str
    schema: pa.Schema
    size: int = 0

    @property
    def folders(self) -> list[str]:
        return self.rel_key.split("/")[:-1]


@dataclass
class TablePlan:
    """A table the crawl will create or update."""

    name: str
    root: str  # folder path relative to the include path ("" = the include path itself)
    classification: str
    schema: pa.Schema
    partition_keys: list[str]
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)  # values -> folder
    files: list[DataFile] = field(default_factory=list)


def _compatible(files: list[DataFile], combine: bool) -> pa.Schema | None:
    """Merged schema when ``files`` can be one table, else None."""
    if len({f.classification for f in files}) > 1:
        return None
    if len({len(f.folders) for f in files}) > 1:
        return None  # different partition depth: Glue splits the tables
    merged = files[0].schema
    for f in files[1:]:
        if not combine and similarity(merged, f.schema) < SIMILARITY_THRESHOLD:
            return None
        try:
            merged = merge_schemas(merged, f.schema)
        except SchemaConflict:
            return None
    return merged


def plan_tables(files: list[DataFile], root_folder: str, prefix: str | None, combine: bool) -> list[TablePlan]:
    """Which tables a crawl of one include path makes.

    All files compatible -> one table named after the include path's folder, the folders below
    becoming partitions. Otherwise the crawler descends one level and names each child folder's
    table after that folder (``bronze_`` + ``ingest_year=2025`` -> ``bronze_ingest_year_2025``,
    the runbook's broken naming).
    """
    return _plan(files, root_folder, "", prefix, combine)


def _plan(files: list[DataFile], name_folder: str, root: str, prefix: str | None, combine: bool) -> list[TablePlan]:
    if not files:
        return []
    merged = _compatible(files, combine)
    if merged is not None:
        part = naming.partition_of(files[0].folders)
        plan = TablePlan(
            name=naming.table_name(prefix, name_folder),
            root=root,
            classification=files[0].classification,
            schema=merged,
            partition_keys=list(part.keys),
            files=list(files),
        )
        for f in files:
            p = naming.partition_of(f.folders)
            if p.values:
                plan.partitions[p.values] = "/".join(f.folders)
        return [plan_with_unique_keys(plan)]
    children: dict[str, list[DataFile]] = {}
    here: list[DataFile] = []
    for f in files:
        if f.folders:
            children.setdefault(f.folders[0], []).append(
                DataFile("/".join(f.rel_key.split("/")[1:]), f.classification, f.schema, f.size)
            )
        else:
            here.append(f)
    plans: list[TablePlan] = []
    if here:
        plans.extend(_plan(here, name_folder, root, prefix, combine))
    for child, sub in sorted(children.items()):
        child_root = f"{root}/{child}".lstrip("/")
        sub_plans = _plan(sub, child, child_root, prefix, combine)
        plans.extend(sub_plans)
    return plans


def plan_with_unique_keys(plan: TablePlan) -> TablePlan:
    """Drop partition keys that collide with data columns (Glue renames; we keep the data)."""
    cols = {f.name.lower() for f in plan.schema}
    if any(k in cols for k in plan.partition_keys):
        plan.partition_keys = [k if k not in cols else f"{k}_partition" for k in plan.partition_keys]
    return plan


_PRIMITIVES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "binary": pa.binary(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def parse_glue_type(text: str) -> pa.DataType:
    """Glue/Hive type string -> Arrow type (inverse of :func:`glue_type`), so a crawler can
    merge what the catalog holds with what it reads."""
    t, rest = _parse_type(text.strip(), 0)
    if rest != len(text.strip()):
        raise ValueError(f"cannot parse Glue type {text!r}")
    return t


def _parse_type(s: str, i: int) -> tuple[pa.DataType, int]:
    j = i
    while j < len(s) and (s[j].isalnum() or s[j] == "_"):
        j += 1
    word = s[i:j].lower()
    if word in ("struct", "array", "map"):
        if j >= len(s) or s[j] != "<":
            raise ValueError(f"cannot parse Glue type {s!r}")
        j += 1
        if word == "array":
            inner, j = _parse_type(s, j)
            return pa.list_(inner), _expect(s, j, ">")
        if word == "map":
            k, j = _parse_type(s, j)
            j = _expect(s, j, ",")
            v, j = _parse_type(s, j)
            return pa.map_(k, v), _expect(s, j, ">")
        fields = []
        while s[j] != ">":
            colon = s.index(":", j)
            name = s[j:colon].strip().strip("`")
            ft, j = _parse_type(s, colon + 1)
            fields.append(pa.field(name, ft))
            if s[j] == ",":
                j += 1
        return pa.struct(fields), j + 1
    if word in ("decimal", "varchar", "char") and j < len(s) and s[j] == "(":
        close = s.index(")", j)
        args = [int(x) for x in s[j + 1 : close].split(",")]
        if word == "decimal":
            return pa.decimal128(args[0], args[1] if len(args) > 1 else 0), close + 1
        return pa.string(), close + 1
    if word in ("varchar", "char"):
        return pa.string(), j
    if word not in _PRIMITIVES:
        raise ValueError(f"unknown Glue type {word!r} in {s!r}")
    return _PRIMITIVES[word], j


def _expect(s: str, j: int, ch: str) -> int:
    if j >= len(s) or s[j] != ch:
        raise ValueError(f"expected {ch!r} at {j} in {s!r}")
    return j + 1


def merge_columns(existing: list[dict[str, str]], found: list[dict[str, str]]) -> list[dict[str, str]]:
    """``MergeNewColumns``: keep every existing column, merge new nested fields into existing
    struct columns, append new columns; a type conflict keeps the catalog's type."""
    out = []
    found_by_name = {c["Name"]: c for c in found}
    for col in existing:
        new = found_by_name.pop(col["Name"], None)
        if new is None or new["Type"] == col["Type"]:
            out.append(dict(col))
            continue
        try:
            merged = merge_types(parse_glue_type(col["Type"]), parse_glue_type(new["Type"]))
            out.append({**col, "Type": glue_type(merged)})
        except (SchemaConflict, ValueError):
            out.append(dict(col))
    out.extend(dict(c) for c in found if c["Name"] in found_by_name)
    return out

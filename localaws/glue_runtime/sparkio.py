"""Spark reads and writes of a Glue script run, routed through :mod:`lgio` (local AWS endpoint).

* :func:`read_catalog` — a Data Catalog table as a DataFrame (Parquet, CSV with
  LazySimpleSerDe/OpenCSVSerde, JSON, ORC), projected onto the catalog's columns and types,
  partition keys as columns; filtered by the job bookmark of its ``transformation_ctx``.
* :func:`read_paths` — S3 paths in a format (``from_options``, ``spark.read``).
* :func:`write_df` — a DataFrame written under an S3 URL with Spark's save modes.
* :func:`patch_spark` — makes ``spark.read.*`` and ``df.write.*`` on ``s3://`` URLs go through
  the two above, so plain Spark code in a Glue script needs no s3a connector.
* :data:`RUN` — what the run consumed per ``transformation_ctx`` (reported to the server, which
  advances the job bookmark after ``Job.commit()``).
"""

from __future__ import annotations

import functools
import time
from typing import Any, Iterable
from urllib.parse import quote

from localaws.glue_runtime import lgio


class RunState:
    def __init__(self) -> None:
        self.processed: dict[str, list[lgio.Obj]] = {}
        self.committed = False
        self.log: list[str] = []
        self.job_initialised = False

    def info(self, msg: str) -> None:
        self.log.append(f"INFO: {msg}")
        print(f"{time.strftime('%y/%m/%d %H:%M:%S')} INFO GlueContext: {msg}", flush=True)


RUN = RunState()


def spark_session() -> Any:
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def _analysis_error(message: str) -> Exception:
    """Spark's own AnalysisException class carrying ``message`` (as Spark would raise it)."""
    try:
        from pyspark.errors import AnalysisException  # pyspark >= 3.4

        return AnalysisException(desc=message)
    except (ImportError, TypeError):  # pragma: no cover - older pyspark
        from pyspark.sql.utils import AnalysisException

        return AnalysisException(message, None)


# --- bookmarks ---------------------------------------------------------------------------------

def bookmark_filter(ctx_name: str | None, objs: list[Any], key=lambda o: o) -> list[Any]:
    """The entries of ``objs`` this run reads for ``ctx_name`` (Glue: S3 objects modified after
    the bookmark, not yet processed); records them as consumed."""
    spec = lgio.spec()
    opt = spec.get("bookmark_option") or "job-bookmark-disable"
    if not ctx_name or opt == "job-bookmark-disable" or not RUN.job_initialised:
        return objs
    from localaws.glue import bookmarks

    bm = bookmarks.Bookmark(spec.get("job_name") or "")
    state = (spec.get("bookmark_state") or {}).get(ctx_name)
    if state is not None:
        bm.inputs[ctx_name] = bookmarks.InputMark(files=dict(state.get("files") or {}),
                                                  high_water=state.get("high_water"))
    chosen_objs = bookmarks.unprocessed(bm, ctx_name, [key(o) for o in objs], opt)
    ids = {id(o) for o in chosen_objs}
    chosen = [o for o in objs if id(key(o)) in ids]
    RUN.processed.setdefault(ctx_name, []).extend(key(o) for o in chosen)
    RUN.info(f"bookmark {ctx_name}: {len(chosen)} of {len(objs)} objects are new ({opt})")
    return chosen


# --- types -------------------------------------------------------------------------------------

def catalog_schema(table: dict[str, Any]) -> Any:
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    fields = []
    cols = list((table.get("StorageDescriptor") or {}).get("Columns") or []) + list(table.get("PartitionKeys") or [])
    for c in cols:
        t = (c.get("Type") or "string").strip()
        try:
            dtype = _parse_datatype_string(t)
        except Exception as exc:  # noqa: BLE001 - Spark's parser error is the message
            raise ValueError(f"column {c['Name']}: Glue type {t!r} is not a Spark type ({exc})") from exc
        fields.append(StructField(c["Name"], dtype, True))
    return StructType(fields)


def _project(df: Any, schema: Any) -> Any:
    """``df`` with exactly ``schema``'s columns (matched case-insensitively), cast to its types;
    missing columns are nulls (Glue/Athena read a catalog column absent from a file as null)."""
    from pyspark.sql import functions as F

    by_lower = {c.lower(): c for c in df.columns}
    cols = []
    for f in schema.fields:
        src = by_lower.get(f.name.lower())
        if src is None:
            cols.append(F.lit(None).cast(f.dataType).alias(f.name))
        elif df.schema[src].dataType == f.dataType:
            cols.append(F.col(f"`{src}`").alias(f.name))
        else:
            cols.append(F.col(f"`{src}`").cast(f.dataType).alias(f.name))
    return df.select(*cols)


# --- reads -------------------------------------------------------------------------------------

def read_catalog(database: str, table_name: str, transformation_ctx: str | None = None,
                 push_down_predicate: str | None = None, catalog_id: str | None = None) -> Any:
    spark = spark_session()
    try:
        table = lgio.get_table(database, table_name, catalog_id)
    except Exception as exc:  # noqa: BLE001 - EntityNotFoundException from the catalog
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code == "EntityNotFoundException":
            raise _analysis_error(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{database}`.`{table_name}` "
                                  f"cannot be found.") from exc
        raise
    table.setdefault("DatabaseName", database)
    fmt, opts = lgio.table_format(table)
    keys = [k["Name"] for k in table.get("PartitionKeys") or []]
    schema = catalog_schema(table)
    files = lgio.table_files(table)
    files = bookmark_filter(transformation_ctx, files, key=lambda f: f[0])
    RUN.info(f"read {database}.{table_name}: {len(files)} objects, format {fmt}")
    if not files:
        df = spark.createDataFrame([], schema)
    else:
        root = lgio.stage_table_files(
            [(o, {k: quote(v, safe="") if v is not None else None for k, v in vals.items()}) for o, vals in files], keys)
        reader = spark.read.format(fmt).options(**opts).option("basePath", str(root))
        if fmt == "json":
            # Hive/OpenX JSON SerDes match keys case-insensitively: infer, then project
            # partition values stay strings until projected onto the catalog's types ("01" != 1)
            key = "spark.sql.sources.partitionColumnTypeInference.enabled"
            before = spark.conf.get(key, "true")
            spark.conf.set(key, "false")
            try:
                df = _project(_ORIG["reader.load"](reader, str(root)), schema)
            finally:
                spark.conf.set(key, before)
        elif fmt == "csv":
            df = _ORIG["reader.load"](reader.schema(schema), str(root))
        else:
            df = _project(_ORIG["reader.load"](reader.schema(schema), str(root)), schema)
    if push_down_predicate:
        df = df.where(push_down_predicate)
    return df


def _local_for(url: str, ctx_name: str | None = None) -> str | None:
    """Download what ``url`` names into the scratch folder; the local path that stands for it."""
    wild = next((i for i, ch in enumerate(url) if ch in "*?[{"), -1)
    if wild >= 0:
        base = url[: url.rfind("/", 0, wild) + 1]
        rest = url[len(base):]
    else:
        base, rest = url, ""
    objs = lgio.list_objects(base)
    if not objs:
        raise _analysis_error(f"[PATH_NOT_FOUND] Path does not exist: {url}.")
    objs = bookmark_filter(ctx_name, objs)
    if not objs:
        return None  # everything already processed (job bookmark)
    root, _ = lgio.download_tree(base, objs)
    bucket, key = lgio.split_url(base)
    if len(objs) == 1 and objs[0].key == key:  # one object named exactly
        return str(root / objs[0].key.rsplit("/", 1)[-1])
    return str(root / rest) if rest else str(root)


def read_paths(paths: Iterable[str], fmt: str, options: dict[str, Any] | None = None,
               transformation_ctx: str | None = None) -> Any:
    spark = spark_session()
    local = [x for x in (_local_for(p, transformation_ctx) for p in paths) if x is not None]
    reader = spark.read.format(fmt).options(**(options or {}))
    if not local:  # everything already processed (bookmark): an empty frame
        from pyspark.sql.types import StructType

        return spark.createDataFrame([], StructType([]))
    return _ORIG["reader.load"](reader, local if len(local) > 1 else local[0])


# --- writes ------------------------------------------------------------------------------------

def write_df(df: Any, url: str, fmt: str = "parquet", mode: str = "append",
             partition_by: Iterable[str] = (), options: dict[str, Any] | None = None) -> list[str]:
    """Write ``df`` under ``url`` with Spark's save-mode semantics on S3."""
    mode = (mode or "errorifexists").lower()
    partition_by = list(partition_by or [])
    if mode in ("error", "errorifexists", "default") and lgio.exists(url):
        raise _analysis_error(f"[PATH_ALREADY_EXISTS] Path {url} already exists. Set mode as "
                              f"\"overwrite\" to overwrite the existing path.")
    if mode == "ignore" and lgio.exists(url):
        return []
    out = lgio.new_dir("out") / "data"
    w = _ORIG["writer.mode"](df.write, "overwrite").format(fmt).options(**(options or {}))
    if partition_by:
        w = _ORIG["writer.partitionBy"](w, *partition_by)
    _ORIG["writer.save"](w, str(out))
    if mode == "overwrite":
        dynamic = (spark_session().conf.get("spark.sql.sources.partitionOverwriteMode", "static") or "").lower() == "dynamic" \
            or str((options or {}).get("partitionOverwriteMode", "")).lower() == "dynamic"
        if dynamic and partition_by:
            written_parts = sorted({p.parent.relative_to(out).as_posix() for p in out.rglob("*")
                                    if p.is_file() and not lgio.side_file(p.relative_to(out).as_posix())})
            lgio.delete_prefix(url, only=written_parts)
        else:
            lgio.delete_prefix(url)
    written = lgio.upload_tree(out, url)
    RUN.info(f"wrote {len(written)} objects to {url} (format {fmt}, mode {mode}"
             + (f", partitioned by {', '.join(partition_by)})" if partition_by else ")"))
    return written


def partition_values_written(df: Any, partition_by: list[str]) -> list[list[str]]:
    rows = df.select(*partition_by).distinct().collect()
    return [["__HIVE_DEFAULT_PARTITION__" if r[k] is None else str(r[k]) for k in partition_by] for r in rows]


# --- spark.read / df.write on s3:// ------------------------------------------------------------

_ORIG: dict[str, Any] = {}


def _map_paths(value: Any) -> Any:
    if isinstance(value, str):
        return _local_for(value) if lgio.is_s3(value) else value
    if isinstance(value, (list, tuple)):
        return [(_local_for(v) if lgio.is_s3(v) else v) for v in value]
    return value


def patch_spark() -> None:
    """Route ``spark.read`` / ``DataFrame.write`` on ``s3://`` URLs through the local AWS."""
    from pyspark.sql.readwriter import DataFrameReader, DataFrameWriter

    if _ORIG:
        return
    _ORIG["reader.load"] = DataFrameReader.load
    _ORIG["writer.save"] = DataFrameWriter.save
    _ORIG["writer.mode"] = DataFrameWriter.mode
    _ORIG["writer.partitionBy"] = DataFrameWriter.partitionBy
    _ORIG["writer.format"] = DataFrameWriter.format
    _ORIG["writer.option"] = DataFrameWriter.option
    _ORIG["writer.options"] = DataFrameWriter.options

    for name in ("load", "parquet", "csv", "json", "orc", "text"):
        orig = getattr(DataFrameReader, name)

        def reader(self, *args, __orig=orig, **kwargs):  # type: ignore[no-untyped-def]
            if args:
                if isinstance(args[0], (list, tuple)) or len(args) == 1 or __orig.__name__ != "parquet":
                    args = (_map_paths(args[0]),) + tuple(args[1:])
                else:  # parquet(*paths)
                    args = tuple(_map_paths(list(args)))
            for k in ("path", "paths"):
                if k in kwargs:
                    kwargs[k] = _map_paths(kwargs[k])
            return __orig(self, *args, **kwargs)

        functools.update_wrapper(reader, orig)
        setattr(DataFrameReader, name, reader)

    def mode(self, saveMode):  # type: ignore[no-untyped-def]
        self._lg_mode = saveMode
        return _ORIG["writer.mode"](self, saveMode)

    def partition_by(self, *cols):  # type: ignore[no-untyped-def]
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = tuple(cols[0])
        self._lg_partition_by = list(cols)
        return _ORIG["writer.partitionBy"](self, *cols)

    def fmt(self, source):  # type: ignore[no-untyped-def]
        self._lg_format = source
        return _ORIG["writer.format"](self, source)

    def option(self, key, value):  # type: ignore[no-untyped-def]
        self.__dict__.setdefault("_lg_options", {})[key] = value
        return _ORIG["writer.option"](self, key, value)

    def options(self, **opts):  # type: ignore[no-untyped-def]
        self.__dict__.setdefault("_lg_options", {}).update(opts)
        return _ORIG["writer.options"](self, **opts)

    DataFrameWriter.mode = mode
    DataFrameWriter.partitionBy = partition_by
    DataFrameWriter.format = fmt
    DataFrameWriter.option = option
    DataFrameWriter.options = options

    def make_writer(name: str, default_format: str | None) -> None:
        orig = getattr(DataFrameWriter, name)

        def writer(self, path=None, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not lgio.is_s3(path):
                return orig(self, path, *args, **kwargs)
            m = kwargs.pop("mode", None) or (args[0] if args and name != "save" else None) \
                or getattr(self, "_lg_mode", None) or "errorifexists"
            if name == "save":
                f = kwargs.pop("format", None) or (args[0] if args else None) or getattr(self, "_lg_format", None) or \
                    spark_session().conf.get("spark.sql.sources.default", "parquet")
                m = kwargs.pop("mode", None) or (args[1] if len(args) > 1 else None) or getattr(self, "_lg_mode", None) \
                    or "errorifexists"
                pb = kwargs.pop("partitionBy", None) or (args[2] if len(args) > 2 else None)
            else:
                f = default_format
                pb = kwargs.pop("partitionBy", None) or (args[1] if len(args) > 1 else None)
            if isinstance(pb, str):
                pb = [pb]
            pb = list(pb or getattr(self, "_lg_partition_by", None) or [])
            opts = dict(getattr(self, "_lg_options", {}) or {})
            for k, v in kwargs.items():
                if v is not None:
                    opts[k] = v
            write_df(self._df, path, f, m, pb, opts)
            return None

        functools.update_wrapper(writer, orig)
        setattr(DataFrameWriter, name, writer)

    for name, default in (("save", None), ("parquet", "parquet"), ("csv", "csv"), ("json", "json"),
                          ("orc", "orc"), ("text", "text")):
        make_writer(name, default)



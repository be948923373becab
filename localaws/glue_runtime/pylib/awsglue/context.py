"""``GlueContext`` for local runs: catalog and S3 sources/sinks through the local AWS endpoint
(see :mod:`localaws.glue_runtime.sparkio`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from awsglue.dynamicframe import DynamicFrame

_FORMATS = {"glueparquet": "parquet", "parquet": "parquet", "csv": "csv", "json": "json", "orc": "orc",
            "avro": "avro", "text": "text"}


def _spark_format(fmt: str | None) -> str:
    f = (fmt or "").lower()
    if f not in _FORMATS:
        raise ValueError(f"format {fmt!r} is not supported by lakegate's local Glue runtime "
                         f"(use one of {', '.join(sorted(_FORMATS))})")
    return _FORMATS[f]


def _read_options(fmt: str, format_options: dict[str, Any]) -> dict[str, Any]:
    """Glue's ``format_options`` as Spark reader options."""
    o = dict(format_options or {})
    out: dict[str, Any] = {}
    if fmt == "csv":
        out["header"] = str(o.pop("withHeader", False)).lower()
        out["sep"] = o.pop("separator", ",")
        out["quote"] = o.pop("quoteChar", '"') if o.get("quoteChar", '"') not in (-1, "-1") else "\u0000"
        o.pop("quoteChar", None)
        if "escaper" in o:
            out["escape"] = o.pop("escaper")
        if o.pop("multiLine", False) or o.pop("multiline", False):
            out["multiLine"] = "true"
        out["inferSchema"] = "true"
    elif fmt == "json":
        if o.pop("multiLine", False) or o.pop("multiline", False):
            out["multiLine"] = "true"
        o.pop("jsonPath", None)
    out.update({k: v for k, v in o.items() if isinstance(v, (str, int, float, bool))})
    return out


def _write_options(fmt: str, format_options: dict[str, Any]) -> dict[str, Any]:
    o = dict(format_options or {})
    out: dict[str, Any] = {}
    if fmt == "csv":
        out["header"] = str(o.pop("writeHeader", True)).lower()
        out["sep"] = o.pop("separator", ",")
        if "quoteChar" in o:
            out["quote"] = o.pop("quoteChar")
    if "compression" in o:
        out["compression"] = o.pop("compression")
    o.pop("useGlueParquetWriter", None)
    o.pop("blockSize", None)
    o.pop("pageSize", None)
    return out


def _glue_type(dtype: Any) -> str:
    return dtype.simpleString()


class _Reader:
    def __init__(self, ctx: "GlueContext") -> None:
        self._ctx = ctx

    def from_catalog(self, database: str | None = None, table_name: str | None = None,
                     redshift_tmp_dir: str = "", transformation_ctx: str = "", push_down_predicate: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None,
                     name_space: str | None = None, **kwargs: Any) -> DynamicFrame:
        from localaws.glue_runtime import sparkio

        database = database or name_space
        if not database or not table_name:
            raise ValueError("from_catalog needs database and table_name")
        predicate = push_down_predicate or (additional_options or {}).get("catalogPartitionPredicate") or None
        df = sparkio.read_catalog(database, table_name, transformation_ctx or None, predicate, catalog_id)
        return DynamicFrame(df, self._ctx, table_name)

    def from_options(self, connection_type: str = "s3", connection_options: dict[str, Any] | None = None,
                     format: str | None = None, format_options: dict[str, Any] | None = None,
                     transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        from localaws.glue_runtime import sparkio

        if connection_type != "s3":
            raise ValueError(f"connection_type {connection_type!r} is not supported by lakegate's local "
                             f"Glue runtime (only s3)")
        opts = connection_options or {}
        paths = opts.get("paths") or ([opts["path"]] if opts.get("path") else [])
        if not paths:
            raise ValueError("from_options(connection_type='s3') needs connection_options['paths']")
        fmt = _spark_format(format)
        df = sparkio.read_paths(paths, fmt, _read_options(fmt, format_options or {}), transformation_ctx or None)
        return DynamicFrame(df, self._ctx, transformation_ctx)



def _nothing_to_write(df: Any, where: str) -> bool:
    """Glue's S3 sinks write no object for a DynamicFrame without records (a bookmarked run that
    found no new data SUCCEEDS, writing nothing); plain Spark would write a schema-only file, or fail
    on a frame that lost every column to DropNullFields."""
    from localaws.glue_runtime import sparkio

    if df.columns and df.limit(1).count() > 0:
        return False
    sparkio.RUN.info(f"{where}: the DynamicFrame has no records; nothing written")
    return True

class _Writer:
    def __init__(self, ctx: "GlueContext") -> None:
        self._ctx = ctx

    def from_options(self, frame: DynamicFrame, connection_type: str = "s3",
                     connection_options: dict[str, Any] | None = None, format: str | None = None,
                     format_options: dict[str, Any] | None = None, transformation_ctx: str = "",
                     **kwargs: Any) -> DynamicFrame:
        from localaws.glue_runtime import sparkio

        if connection_type != "s3":
            raise ValueError(f"connection_type {connection_type!r} is not supported by lakegate's local "
                             f"Glue runtime (only s3)")
        opts = connection_options or {}
        if not opts.get("path"):
            raise ValueError("write_dynamic_frame.from_options needs connection_options['path']")
        fmt = _spark_format(format or "json")
        if _nothing_to_write(frame.toDF(), f"write_dynamic_frame.from_options {opts['path']}"):
            return frame
        sparkio.write_df(frame.toDF(), opts["path"], fmt, "append", opts.get("partitionKeys") or [],
                         _write_options(fmt, format_options or {}))
        return frame

    def from_catalog(self, frame: DynamicFrame, database: str | None = None, table_name: str | None = None,
                     redshift_tmp_dir: str = "", transformation_ctx: str = "",
                     additional_options: dict[str, Any] | None = None, catalog_id: str | None = None,
                     name_space: str | None = None, **kwargs: Any) -> DynamicFrame:
        from localaws.glue_runtime import lgio, sparkio

        database = database or name_space
        table = lgio.get_table(database, table_name, catalog_id)
        table.setdefault("DatabaseName", database)
        fmt, ropts = lgio.table_format(table)
        loc = (table.get("StorageDescriptor") or {}).get("Location")
        add = additional_options or {}
        keys = add.get("partitionKeys")
        if keys is None:
            keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        wopts = {}
        if fmt == "csv":
            wopts = {"sep": ropts.get("sep", ","), "header": ropts.get("header", "false")}
        df = frame.toDF()
        if _nothing_to_write(df, f"write_dynamic_frame.from_catalog {database}.{table_name}"):
            return frame
        sparkio.write_df(df, loc, fmt, "append", keys, wopts)
        if keys and str(add.get("enableUpdateCatalog", "")).lower() == "true":
            n = lgio.batch_create_partitions(database, table_name, sparkio.partition_values_written(df, keys))
            sparkio.RUN.info(f"catalog {database}.{table_name}: {n} partitions added")
        return frame


class DataSink:
    """What ``GlueContext.getSink`` returns (``setFormat``, ``setCatalogInfo``, ``writeFrame``)."""

    def __init__(self, ctx: "GlueContext", connection_type: str, options: dict[str, Any]) -> None:
        if connection_type != "s3":
            raise ValueError(f"getSink connection_type {connection_type!r} is not supported locally (only s3)")
        self._ctx = ctx
        self.options = options
        self.format = "parquet"
        self.format_options: dict[str, Any] = {}
        self.database: str | None = None
        self.table: str | None = None

    def setFormat(self, format: str, **options: Any) -> None:
        self.format = format
        self.format_options = options

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str, catalogId: str | None = None) -> None:
        self.database, self.table = catalogDatabase, catalogTableName

    def writeFrame(self, dynamic_frame: DynamicFrame, info: str = "") -> DynamicFrame:
        from localaws.glue_runtime import lgio, sparkio

        path = self.options.get("path")
        if not path:
            raise ValueError("getSink(connection_type='s3') needs path=")
        fmt = _spark_format(self.format)
        keys = list(self.options.get("partitionKeys") or [])
        df = dynamic_frame.toDF()
        if _nothing_to_write(df, f"sink {path}"):
            return dynamic_frame
        sparkio.write_df(df, path, fmt, "append", keys, _write_options(fmt, self.format_options))
        if str(self.options.get("enableUpdateCatalog", "")).lower() == "true" and self.database and self.table:
            self._update_catalog(df, path, fmt, keys)
        return dynamic_frame

    def _update_catalog(self, df: Any, path: str, fmt: str, keys: list[str]) -> None:
        from localaws.glue_runtime import lgio, sparkio

        glue = lgio.client("glue")
        data_cols = [{"Name": f.name, "Type": _glue_type(f.dataType)} for f in df.schema.fields if f.name not in keys]
        part_cols = [{"Name": f.name, "Type": _glue_type(f.dataType)} for f in df.schema.fields if f.name in keys]
        part_cols.sort(key=lambda c: keys.index(c["Name"]))
        storage = {
            "parquet": ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", {}),
            "json": ("org.apache.hadoop.mapred.TextInputFormat",
                     "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                     "org.openx.data.jsonserde.JsonSerDe", {}),
            "csv": ("org.apache.hadoop.mapred.TextInputFormat",
                    "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {"field.delim": ","}),
        }.get(fmt)
        if storage is None:
            raise ValueError(f"enableUpdateCatalog with format {fmt} is not supported locally")
        table_input = {
            "Name": self.table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": fmt},
            "PartitionKeys": part_cols,
            "StorageDescriptor": {"Columns": data_cols, "Location": path, "InputFormat": storage[0],
                                  "OutputFormat": storage[1],
                                  "SerdeInfo": {"SerializationLibrary": storage[2], "Parameters": storage[3]}},
        }
        try:
            lgio.get_table(self.database, self.table)
            if self.options.get("updateBehavior", "UPDATE_IN_DATABASE") == "UPDATE_IN_DATABASE":
                glue.update_table(DatabaseName=self.database, TableInput=table_input)
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=self.database, TableInput=table_input)
            sparkio.RUN.info(f"catalog {self.database}.{self.table}: table created")
        if keys:
            n = lgio.batch_create_partitions(self.database, self.table, sparkio.partition_values_written(df, keys))
            sparkio.RUN.info(f"catalog {self.database}.{self.table}: {n} partitions added")


class GlueContext:
    def __init__(self, sparkContext: Any, **options: Any) -> None:
        from pyspark.sql import SparkSession

        from localaws.glue_runtime import sparkio

        sparkio.patch_spark()
        self._sc = sparkContext
        self.spark_session = SparkSession(sparkContext) if not hasattr(sparkContext, "sparkContext") \
            else sparkContext
        self.create_dynamic_frame = _Reader(self)
        self.write_dynamic_frame = _Writer(self)

    # function-style aliases Glue also has
    def create_dynamic_frame_from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_catalog(*args, **kwargs)

    def create_dynamic_frame_from_options(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.create_dynamic_frame.from_options(*args, **kwargs)

    def write_dynamic_frame_from_options(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_options(*args, **kwargs)

    def write_dynamic_frame_from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self.write_dynamic_frame.from_catalog(*args, **kwargs)

    def getSink(self, connection_type: str, format: str | None = None, transformation_ctx: str = "",
                **options: Any) -> DataSink:
        sink = DataSink(self, connection_type, options)
        if format:
            sink.setFormat(format)
        return sink

    def get_logger(self) -> logging.Logger:
        log = logging.getLogger("GlueLogger")
        if not log.handlers:
            h = logging.StreamHandler()
            h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s GlueLogger: %(message)s"))
            log.addHandler(h)
            log.setLevel(logging.INFO)
        log.warn = log.warning  # type: ignore[attr-defined]
        return log

    def purge_s3_path(self, s3_path: str, options: dict[str, Any] | None = None, transformation_ctx: str = "") -> None:
        """Delete the objects under ``s3_path`` older than ``retentionPeriod`` hours (Glue's
        default: 168 h, so recent files stay)."""
        from localaws.glue_runtime import lgio, sparkio

        hours = float((options or {}).get("retentionPeriod", 168))
        cutoff = time.time() - hours * 3600
        bucket, _ = lgio.split_url(s3_path)
        old = [o for o in lgio.list_objects(s3_path) if o.last_modified < cutoff]
        s3 = lgio.client("s3")
        for i in range(0, len(old), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": o.key} for o in old[i:i + 1000]], "Quiet": True})
        sparkio.RUN.info(f"purge_s3_path {s3_path}: {len(old)} objects older than {hours:g} h deleted")

    def getSparkSession(self) -> Any:
        return self.spark_session


__all__ = ["GlueContext", "DataSink"]

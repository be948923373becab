"""``DynamicFrame`` on top of a Spark DataFrame (lakegate's local stand-in).

Glue's DynamicFrame is schema-on-read with choice types; locally every frame is a DataFrame, so
``resolveChoice`` casts/projects instead of resolving real choices, and transforms that name a
field the frame does not have leave it out (as Glue's do) instead of failing."""

from __future__ import annotations

from typing import Any, Callable, Iterable


def _quote(path: str) -> str:
    return ".".join(f"`{p.strip('`')}`" for p in path.split("."))


def _has(df: Any, path: str) -> bool:
    from pyspark.sql.types import StructType

    t: Any = df.schema
    for part in path.strip("`").split("."):
        if not isinstance(t, StructType):
            return False
        names = {f.name.lower(): f for f in t.fields}
        f = names.get(part.strip("`").lower())
        if f is None:
            return False
        t = f.dataType
    return True


class DynamicRecord(dict):
    """A record as ``filter``/``map`` functions see it: ``rec["a"]``, ``rec["a"]["b"]``."""


class DynamicFrame:
    def __init__(self, jdf: Any, glue_ctx: Any, name: str = "") -> None:
        self._df = jdf
        self.glue_ctx = glue_ctx
        self.name = name

    # -- conversion -----------------------------------------------------------------------------
    def toDF(self, options: Any = None) -> Any:
        return self._df

    @classmethod
    def fromDF(cls, dataframe: Any, glue_ctx: Any, name: str) -> "DynamicFrame":
        return cls(dataframe, glue_ctx, name)

    # -- inspection -----------------------------------------------------------------------------
    def count(self) -> int:
        return self._df.count()

    def schema(self) -> Any:
        return self._df.schema

    def printSchema(self) -> None:
        self._df.printSchema()

    def show(self, num_rows: int = 20) -> None:
        self._df.show(num_rows)

    def getNumPartitions(self) -> int:
        return self._df.rdd.getNumPartitions()

    def _new(self, df: Any, name: str = "") -> "DynamicFrame":
        return DynamicFrame(df, self.glue_ctx, name or self.name)

    # -- transforms -----------------------------------------------------------------------------
    def apply_mapping(self, mappings: Iterable[Any], case_sensitive: bool = False,
                      transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                      totalThreshold: int = 0) -> "DynamicFrame":
        """(source, source_type, target, target_type) tuples; unmapped fields are dropped and a
        source the frame lacks is skipped, as in Glue."""
        from pyspark.sql import functions as F

        cols = []
        for m in mappings:
            if len(m) == 4:
                src, _stype, target, ttype = m
            elif len(m) == 3:
                src, target, ttype = m
            else:
                raise ValueError(f"Mapping {m!r} must be (source, source_type, target, target_type)")
            if not _has(self._df, src):
                continue
            cols.append(F.col(_quote(src)).cast(ttype).alias(target.strip("`")))
        return self._new(self._df.select(*cols))

    def resolveChoice(self, specs: list[tuple[str, str]] | None = None, choice: str = "",
                      database: str | None = None, table_name: str | None = None,
                      transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                      totalThreshold: int = 0, catalog_id: str | None = None) -> "DynamicFrame":
        from pyspark.sql import functions as F

        df = self._df
        if choice == "match_catalog":
            if not (database and table_name):
                raise ValueError("resolveChoice(choice='match_catalog') needs database and table_name")
            from localaws.glue_runtime import lgio, sparkio

            schema = sparkio.catalog_schema(lgio.get_table(database, table_name, catalog_id))
            types = {f.name.lower(): f.dataType for f in schema.fields}
            return self._new(df.select(*[F.col(f"`{c}`").cast(types[c.lower()]).alias(c) if c.lower() in types
                                         else F.col(f"`{c}`") for c in df.columns]))
        todo = list(specs or [])
        if choice and not specs:
            todo = [(c, choice) for c in df.columns]
        for path, action in todo:
            if not _has(df, path):
                continue
            kind, _, arg = action.partition(":")
            top = path.split(".")[0].strip("`")
            if kind in ("cast", "project"):
                if "." in path:
                    raise ValueError(f"resolveChoice on nested field {path} is not supported locally")
                df = df.withColumn(top, F.col(f"`{top}`").cast(arg))
            elif kind == "make_cols":
                t = df.schema[top].dataType.simpleString()
                df = df.withColumnRenamed(top, f"{top}_{t}")
            elif kind == "make_struct":
                t = df.schema[top].dataType.simpleString()
                df = df.withColumn(top, F.struct(F.col(f"`{top}`").alias(t)))
            else:
                raise ValueError(f"resolveChoice action {action!r} is not one of cast:, project:, "
                                 f"make_cols, make_struct, match_catalog")
        return self._new(df)

    def drop_fields(self, paths: Iterable[str], transformation_ctx: str = "", info: str = "",
                    stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        df = self._df
        for p in paths:
            if "." in p.strip("`"):
                if _has(df, p):
                    parent, _, leaf = p.rpartition(".")
                    df = df.withColumn(parent.split(".")[0].strip("`"),
                                       _drop_nested(df, parent, leaf.strip("`")))
            elif _has(df, p):
                df = df.drop(p.strip("`"))
        return self._new(df)

    def select_fields(self, paths: Iterable[str], transformation_ctx: str = "", info: str = "",
                      stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        from pyspark.sql import functions as F

        cols = [F.col(_quote(p)).alias(p.split(".")[-1].strip("`")) for p in paths if _has(self._df, p)]
        return self._new(self._df.select(*cols))

    def rename_field(self, oldName: str, newName: str, transformation_ctx: str = "", info: str = "",
                     stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        if "." in oldName.strip("`"):
            raise ValueError("rename_field on nested fields is not supported locally")
        return self._new(self._df.withColumnRenamed(oldName.strip("`"), newName.strip("`")))

    def filter(self, f: Callable[[Any], bool], transformation_ctx: str = "", info: str = "",
               stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        schema = self._df.schema
        rdd = self._df.rdd.filter(lambda row: bool(f(row.asDict(recursive=True))))
        return self._new(self._df.sparkSession.createDataFrame(rdd, schema))

    def map(self, f: Callable[[Any], Any], transformation_ctx: str = "", info: str = "",
            stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        rdd = self._df.rdd.map(lambda row: f(row.asDict(recursive=True)))
        return self._new(self._df.sparkSession.createDataFrame(rdd.map(lambda d: dict(d))))

    def drop_nulls(self) -> "DynamicFrame":
        return self._new(self._df.dropna(how="all"))

    def repartition(self, num_partitions: int, transformation_ctx: str = "", info: str = "",
                    stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        return self._new(self._df.repartition(num_partitions))

    def coalesce(self, num_partitions: int, shuffle: bool = False, transformation_ctx: str = "",
                 info: str = "", stageThreshold: int = 0, totalThreshold: int = 0) -> "DynamicFrame":
        return self._new(self._df.coalesce(num_partitions))

    def join(self, paths1: list[str], paths2: list[str], frame2: "DynamicFrame",
             transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
             totalThreshold: int = 0) -> "DynamicFrame":
        cond = [self._df[_quote(a)] == frame2._df[_quote(b)] for a, b in zip(paths1, paths2)]
        return self._new(self._df.join(frame2._df, cond, "inner"))

    def __repr__(self) -> str:
        return f"DynamicFrame({self.name or 'unnamed'}: {', '.join(self._df.columns)})"


def _drop_nested(df: Any, parent: str, leaf: str) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    parts = [p.strip("`") for p in parent.split(".")]

    def rebuild(col: Any, t: Any, rest: list[str]) -> Any:
        fields = []
        for f in t.fields:
            sub = col.getField(f.name)
            if not rest and f.name.lower() == leaf.lower():
                continue
            if rest and f.name.lower() == rest[0].lower() and isinstance(f.dataType, StructType):
                sub = rebuild(sub, f.dataType, rest[1:])
            fields.append(sub.alias(f.name))
        return F.struct(*fields)

    top = df.schema[parts[0]].dataType
    return rebuild(F.col(f"`{parts[0]}`"), top, parts[1:])


class DynamicFrameCollection:
    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: Any) -> None:
        self._frames = dict(dynamic_frames)
        self.glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self._frames[key]

    def keys(self) -> Any:
        return self._frames.keys()

    def values(self) -> Any:
        return self._frames.values()

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        return self._frames[key]

    def __len__(self) -> int:
        return len(self._frames)


__all__ = ["DynamicFrame", "DynamicFrameCollection", "DynamicRecord"]

"""The class-style transforms (``ApplyMapping.apply(frame=...)`` etc.) over DynamicFrame methods."""

from __future__ import annotations

from typing import Any


class GlueTransform:
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def _frame(args: tuple, kwargs: dict) -> tuple[Any, tuple, dict]:
    if "frame" in kwargs:
        return kwargs.pop("frame"), args, kwargs
    return args[0], args[1:], kwargs


class ApplyMapping(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.apply_mapping(*args, **kwargs)


class ResolveChoice(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.resolveChoice(*args, **kwargs)


class DropFields(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.drop_fields(*args, **kwargs)


class SelectFields(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.select_fields(*args, **kwargs)


class RenameField(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.rename_field(*args, **kwargs)


class Filter(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.filter(*args, **kwargs)


class Map(GlueTransform):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        frame, args, kwargs = _frame(args, kwargs)
        return frame.map(*args, **kwargs)


class DropNullFields(GlueTransform):
    """Drops the columns that are null in every record (Glue's DropNullFields)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from pyspark.sql import functions as F

        frame, _args, _kwargs = _frame(args, kwargs)
        df = frame.toDF()
        if not df.columns:
            return frame
        counts = df.select([F.count(F.col(f"`{c}`")).alias(c) for c in df.columns]).collect()[0].asDict()
        return frame._new(df.select([f"`{c}`" for c in df.columns if counts[c] > 0]))


class Join(GlueTransform):
    def __call__(self, frame1: Any, frame2: Any, keys1: list[str], keys2: list[str], transformation_ctx: str = "") -> Any:
        return frame1.join(keys1, keys2, frame2)


__all__ = ["ApplyMapping", "ResolveChoice", "DropFields", "SelectFields", "RenameField", "Filter", "Map",
           "DropNullFields", "Join", "GlueTransform"]

"""How Glue crawlers name tables and read Hive partitions out of S3 keys.

Pure functions (no moto, no I/O) so the naming rules the gate and the runbook rely on are unit
tested on their own: table = table_prefix + sanitized folder name of the table root, lower-cased,
every character other than ``[a-z0-9_]`` replaced by ``_`` (AWS Glue docs, "How a crawler
determines when to create partitions" / "Table naming").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NON_ALNUM = re.compile(r"[^a-z0-9_]")


def sanitize_name(name: str) -> str:
    """Lower-case ``name`` and replace every character Glue does not keep with ``_``."""
    return _NON_ALNUM.sub("_", name.lower())


from lakegate.glue_naming import table_name  # noqa: E402,F401 (one naming rule with the gate)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/a/b/`` -> ``("bucket", "a/b/")`` (key prefix keeps a trailing slash if given);
    ValueError otherwise (:mod:`lakegate.s3url`, the one S3 URL parser)."""
    from lakegate.s3url import parse_s3_url as parse
    return parse(url, what="S3 URL")


def folder_name(key_prefix: str, bucket: str) -> str:
    """Last folder of an include path (``bronze/car_data/`` -> ``car_data``; bucket root -> bucket)."""
    parts = [p for p in key_prefix.split("/") if p]
    return parts[-1] if parts else bucket


def is_hive_folder(folder: str) -> bool:
    """``ingest_year=2025`` style folder (one ``=`` with a non-empty key)."""
    key, sep, _ = folder.partition("=")
    return bool(sep) and bool(key)


@dataclass(frozen=True)
class PartitionPath:
    """Partition folders of one object below its table root."""

    keys: tuple[str, ...]
    values: tuple[str, ...]


def partition_of(rel_folders: list[str]) -> PartitionPath:
    """Partition keys/values of the folders between a table root and an object.

    Hive folders give ``k=v``; other folders give Glue's positional keys ``partition_N``.
    """
    keys: list[str] = []
    values: list[str] = []
    for i, folder in enumerate(rel_folders):
        if is_hive_folder(folder):
            k, _, v = folder.partition("=")
            keys.append(sanitize_name(k))
            values.append(v)
        else:
            keys.append(f"partition_{i}")
            values.append(folder)
    return PartitionPath(tuple(keys), tuple(values))


def is_data_key(rel_key: str) -> bool:
    """Objects a crawler skips: folder markers, ``_SUCCESS``/``_temporary``, hidden files."""
    if rel_key.endswith("/") or rel_key.endswith("_$folder$"):
        return False
    for part in rel_key.split("/"):
        if part.startswith("_") or part.startswith("."):
            return False
    return True

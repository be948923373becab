"""The one S3 URL parser of lakegate, the gate and the local AWS.

``s3://bucket/key/prefix`` -> ``("bucket", "key/prefix")``. Hadoop's ``s3a://`` and ``s3n://``
name the same objects (Glue and EMR accept them), so they parse too. The key keeps a trailing
``/`` when given (a prefix) and may be empty (the bucket root).
"""

from __future__ import annotations

import re

from lakegate.errors import LakegateError

_S3_RE = re.compile(r"^s3[an]?://(?P<bucket>[^/]+)(?:/(?P<key>.*))?$")


class S3UrlError(LakegateError, ValueError):
    """Not an ``s3://bucket/key`` URL (a ValueError too, for callers that catch that)."""


def split_s3_url(url: object) -> tuple[str, str] | None:
    """``(bucket, key)`` or None when ``url`` is not an S3 URL."""
    if not isinstance(url, str):
        return None
    m = _S3_RE.match(url.strip())
    if not m or not m.group("bucket"):
        return None
    return m.group("bucket"), m.group("key") or ""


def parse_s3_url(url: object, *, what: str = "S3 path") -> tuple[str, str]:
    """``(bucket, key)``; anything else -> :class:`S3UrlError` (what/where/fix, exit 2 in the CLI)."""
    if not isinstance(url, str):
        raise S3UrlError(f"{what} must be a string, got {type(url).__name__}", where=str(url),
                         fix="write it as s3://<bucket>/<prefix>/")
    got = split_s3_url(url)
    if got is None:
        raise S3UrlError(f"{what} {url!r} is not an s3://bucket/key URL", where=url,
                         fix="write it as s3://<bucket>/<prefix>/")
    return got


def s3_url(bucket: str, key: str = "") -> str:
    return f"s3://{bucket}/{key.lstrip('/')}"


__all__ = ["S3UrlError", "parse_s3_url", "s3_url", "split_s3_url"]

"""Formatting and look-ups shared by the sentence builders, the timeline and the data at a glance.

Times are shown as ISO 8601 UTC plus durations — never epoch numbers. :func:`humanize` turns the
epoch floats the evidence holds into ISO strings for the collapsed full-evidence view too.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any, Iterable

# seconds since 1970 between 2000-01-01 and 2100-01-01: what time.time() and boto3 stamps look like
_EPOCH_MIN, _EPOCH_MAX = 946_684_800, 4_102_444_800
_TIME_KEY = re.compile(r"(^|_)(started|finished|completed|created|updated|time|stamp|at|on)$|StartedOn|CompletedOn|"
                       r"LastCrawl|Time$", re.I)


def is_epoch(value: Any, key: str = "") -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if not (_EPOCH_MIN <= value <= _EPOCH_MAX):
        return False
    return isinstance(value, float) or bool(_TIME_KEY.search(key))


def iso(ts: Any) -> str:
    """``2026-12-02T22:51:34Z`` (UTC, seconds); empty for a missing or non-numeric stamp."""
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
        return str(ts) if isinstance(ts, str) else ""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def dur(seconds: Any) -> str:
    """A duration a person reads: ``0.25 s``, ``1.0 s``, ``3 min 34 s``, ``1 h 02 min``."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return "?"
    s = max(0.0, float(seconds))
    if s < 1:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        m, sec = divmod(int(round(s)), 60)
        return f"{m} min {sec} s"
    h, rest = divmod(int(round(s)), 3600)
    return f"{h} h {rest // 60:02d} min"


def size(n: Any) -> str:
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "?"  # pragma: no cover


def count(n: Any) -> str:
    """Thousands separated; keeps long counts from reading like stamps."""
    if isinstance(n, bool) or not isinstance(n, int):
        return "?"
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def names(items: Iterable[Any]) -> str:
    items = [f"`{x}`" for x in items]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def humanize(value: Any, key: str = "") -> Any:
    """The evidence with epoch stamps as ISO 8601 UTC (for the full-evidence view)."""
    if isinstance(value, dict):
        return {k: humanize(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [humanize(v, key) for v in value]
    if is_epoch(value, key):
        return iso_ms(float(value))
    return value


def find(records: Iterable[Any], key: str) -> Any:
    """The first value of ``key`` in the evidence of ``records``."""
    for rec in records:
        ev = getattr(rec, "evidence", None) or {}
        if key in ev and ev[key] not in (None, "", [], {}):
            return ev[key]
    return None


def num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None

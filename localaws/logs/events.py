"""CloudWatch Logs: filter patterns with AWS semantics, and a writer for the Glue runtime.

moto's ``FilterLogEvents`` returns every event for patterns it does not understand — e.g. the
runbook's ``?ERROR ?CRITICAL`` — which turns "no errors in the logs" into a tautology. Here the
*unstructured* filter pattern syntax is implemented (CloudWatch "Filter pattern syntax for
unstructured log events"):

* ``ERROR`` — events containing the term (case-sensitive substring);
* ``ERROR Exception`` — all terms (AND);
* ``"Job run failed"`` — an exact phrase (quotes needed for non-alphanumeric characters);
* ``?ERROR ?CRITICAL`` — any of the ``?`` terms (OR), combined with AND of plain terms;
* ``ERROR -Retrying`` — exclude events containing ``Retrying``;
* empty pattern — everything.

JSON (``{ $.x = ... }``) and space-delimited (``[a, b]``) patterns are not implemented and are
refused with ``InvalidParameterException`` (fail closed rather than match everything).

:func:`put_log_events` is for behaviour modules (Glue job/crawler runs): it creates the group
and stream when needed and appends messages in-process.
"""

from __future__ import annotations

import base64
import json
import shlex
import time
from dataclasses import dataclass
from typing import Any, Iterable

from localaws.dispatch import Ctx, override
from localaws.logs.exceptions import InvalidParameterException, ResourceNotFoundException


@dataclass(frozen=True)
class FilterPattern:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    excluded: tuple[str, ...]

    def matches(self, message: str) -> bool:
        if any(t not in message for t in self.required):
            return False
        if self.optional and not any(t in message for t in self.optional):
            return False
        return not any(t in message for t in self.excluded)


def parse_filter_pattern(pattern: str | None) -> FilterPattern:
    """Parse an unstructured filter pattern; raise ``ValueError`` for unsupported syntax."""
    text = (pattern or "").strip()
    if not text:
        return FilterPattern((), (), ())
    if text.startswith("{") or text.startswith("["):
        raise ValueError("JSON and space-delimited filter patterns are not supported by localaws")
    if text.startswith("%") and text.endswith("%") and len(text) > 1:
        raise ValueError("regular-expression filter patterns are not supported by localaws")
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError as err:
        raise ValueError(f"unbalanced quotes in filter pattern {pattern!r}") from err
    # shlex drops the quotes; a leading ?/- inside quotes still marks OR/NOT as in CloudWatch
    required, optional, excluded = [], [], []
    for tok in tokens:
        if tok.startswith("?") and len(tok) > 1:
            optional.append(tok[1:])
        elif tok.startswith("-") and len(tok) > 1:
            excluded.append(tok[1:])
        elif tok:
            required.append(tok)
    return FilterPattern(tuple(required), tuple(optional), tuple(excluded))


def _token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _untoken(token: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(data, dict):
            raise ValueError
        return data
    except (ValueError, TypeError) as err:
        raise InvalidParameterException("The specified nextToken is invalid.") from err


@override("logs", "FilterLogEvents", errors=(InvalidParameterException, ResourceNotFoundException))
def filter_log_events(ctx: Ctx, params: dict) -> dict:
    name = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not name:
        raise InvalidParameterException("logGroupName or logGroupIdentifier is required")
    if ":" in name and name.startswith("arn:"):
        name = name.split(":log-group:", 1)[-1].removesuffix(":*")
    backend = ctx.backend("logs")
    group = backend.groups.get(name)
    if group is None:
        raise ResourceNotFoundException("The specified log group does not exist.")
    try:
        pattern = parse_filter_pattern(params.get("filterPattern"))
    except ValueError as err:
        raise InvalidParameterException(str(err)) from err
    limit = params.get("limit") or 10000
    if not isinstance(limit, int) or not 1 <= limit <= 10000:
        raise InvalidParameterException("1 validation error detected: Value at 'limit' failed to satisfy "
                       "constraint: Member must have value less than or equal to 10000")
    names = params.get("logStreamNames")
    prefix = params.get("logStreamNamePrefix")
    if names and prefix:
        raise InvalidParameterException("Cannot specify both logStreamNames and logStreamNamePrefix")
    start, end = params.get("startTime"), params.get("endTime")
    streams = [s for n, s in group.streams.items()
               if (not names or n in names) and (not prefix or n.startswith(prefix))]
    events = []
    for s in streams:
        for ev in s.events:
            if start is not None and ev.timestamp < start:
                continue
            if end is not None and ev.timestamp > end:
                continue
            if pattern.matches(ev.message):
                events.append({"logStreamName": s.log_stream_name, "timestamp": ev.timestamp,
                               "message": ev.message, "ingestionTime": ev.ingestion_time,
                               "eventId": str(ev.event_id)})
    events.sort(key=lambda e: (e["timestamp"], int(e["eventId"])))
    offset = _untoken(params["nextToken"]).get("o", 0) if params.get("nextToken") else 0
    page = events[offset:offset + limit]
    out: dict[str, Any] = {"events": page,
                           "searchedLogStreams": [{"logStreamName": s.log_stream_name,
                                                   "searchedCompletely": True} for s in streams]}
    if offset + limit < len(events):
        out["nextToken"] = _token({"o": offset + limit})
    return out


def put_log_events(ctx: Ctx, group: str, stream: str,
                   messages: Iterable[str | tuple[int, str]]) -> int:
    """Append messages to ``group``/``stream`` (created if missing); return how many.

    Each message is a string (timestamped now) or ``(timestamp_ms, message)``. Takes the
    runtime lock itself, so it can be called from background threads."""
    from contextlib import nullcontext

    lock = ctx.runtime.lock if ctx.runtime is not None else nullcontext()
    now = int(time.time() * 1000)
    events = []
    for m in messages:
        if isinstance(m, tuple):
            events.append({"timestamp": int(m[0]), "message": str(m[1])})
        else:
            events.append({"timestamp": now, "message": str(m)})
    if not events:
        return 0
    events.sort(key=lambda e: e["timestamp"])
    backend = ctx.backend("logs")
    with lock:
        if group not in backend.groups:
            backend.create_log_group(group, {})
        if stream not in backend.groups[group].streams:
            backend.create_log_stream(group, stream)
        backend.put_log_events(group, stream, events)
    return len(events)

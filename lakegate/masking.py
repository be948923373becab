"""Mask secrets and account ids before anything reaches a report or a log line we write.

Reports are shared with release managers and CI logs; they must never carry credentials or AWS
account ids. :func:`mask` works on any JSON-like value (recursively) and on plain strings.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
from typing import Any, Iterator

_SECRET_KEYS = re.compile(r"(secret|password|passwd|token|session|credential|private[_-]?key|api[_-]?key)", re.I)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # AWS access key ids (AKIA…/ASIA… are 20 chars)
    (re.compile(r"\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b"), "****ACCESS-KEY****"),
    # secret access keys: 40 chars base64-ish after a key-ish word
    (re.compile(r"(?i)(aws_secret_access_key|secret_access_key|secretaccesskey)(\s*[=:]\s*)[\"']?[A-Za-z0-9/+=]{40}[\"']?"),
     r"\1\2****"),
    # account ids inside ARNs and bare 12-digit numbers that look like account ids
    (re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)(\d{12})(:)"), r"\1************\3"),
    # (not inside a longer word: run ids such as wr_3f…0123456789012ab are not account ids)
    (re.compile(r"(?<![A-Za-z0-9.])(\d{12})(?![A-Za-z0-9.])"), "************"),
    # key=value / key: value where the key names a secret
    (re.compile(r"(?i)\b([a-z0-9_-]*(?:secret|password|passwd|token|api[_-]?key)[a-z0-9_-]*)(\s*[=:]\s*)([\"']?)[^\s\"',;]+"),
     r"\1\2\3****"),
    # bearer / basic auth headers
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(\S+\s+)?\S+"), r"\1****"),
)


def _extra_secrets() -> list[str]:
    vals = []
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"):
        val = os.environ.get(name)
        if val and len(val) >= 8 and val not in ("test", "testing"):
            vals.append(val)
    return vals


_SECRET_KEY_SHAPE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _mask_secret_shape(match: re.Match[str]) -> str:
    """A 40-character mixed-case base64 word is an AWS secret key shape (hex SHAs are not mixed-case)."""
    word = match.group(0)
    if any(c.isupper() for c in word) and any(c.islower() for c in word):
        return "****"
    return word


#: the environment's secrets, read once for a whole rendering (:func:`secrets_read_once`)
_FROZEN: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar("lakegate_masking_frozen",
                                                                                  default=None)


@contextlib.contextmanager
def secrets_read_once() -> Iterator[None]:
    """Within the block, :func:`mask_text` reads the credentials in the environment once (on entry)
    instead of on every call. A report rendering masks thousands of strings in a few hundred
    milliseconds; the environment does not change meanwhile."""
    token = _FROZEN.set(tuple(_extra_secrets()))
    try:
        yield
    finally:
        _FROZEN.reset(token)


_MEMO_MAX_CHARS = 20_000   # longer texts are masked every time (not kept in memory)


@functools.lru_cache(maxsize=8192)
def _mask_literals_and_shapes(text: str, literals: tuple[str, ...]) -> str:
    for literal in literals:
        if literal:
            text = text.replace(literal, "****")
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return _SECRET_KEY_SHAPE.sub(_mask_secret_shape, text)


def mask_text(text: str, secrets: list[str] | None = None) -> str:
    """Mask known secret shapes, account ids and the given literal ``secrets`` in ``text``.

    The result depends only on ``text`` and the literals (``secrets`` + the credentials in the
    environment), so it is memoised on exactly those: the reports mask the same evidence strings
    once per format."""
    frozen = _FROZEN.get()
    literals = tuple(secrets or ()) + (frozen if frozen is not None else tuple(_extra_secrets()))
    if len(text) > _MEMO_MAX_CHARS:
        return _mask_literals_and_shapes.__wrapped__(text, literals)
    return _mask_literals_and_shapes(text, literals)


def mask(value: Any, secrets: list[str] | None = None) -> Any:
    """Recursively mask a JSON-like value; values under secret-looking keys are replaced whole."""
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        out = {}
        for key, val in value.items():
            if isinstance(key, str) and _SECRET_KEYS.search(key) and isinstance(val, (str, int, float)):
                out[key] = "****"
            else:
                out[key] = mask(val, secrets)
        return out
    if isinstance(value, (list, tuple)):
        return [mask(v, secrets) for v in value]
    return value

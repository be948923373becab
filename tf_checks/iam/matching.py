"""Wildcard matching for IAM actions and ARNs, with plan-time placeholders.

What AWS documents (IAM JSON policy elements: Resource, "Using wildcards in resource ARNs",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html):
``*`` (any run of characters) and ``?`` (one character) may appear inside the colon-separated
segments of an ARN; ``*`` expands over everything in a segment *including* ``/``; when ``*`` is
the last character of a segment it can expand beyond the colon boundaries. Action matching is
case-insensitive (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).

What we implement (deterministic, and what ``tests/iam/reference_evaluator.py`` re-implements
independently):

* Resource ``"*"`` matches every resource.
* Otherwise pattern and resource are split at the first five colons into
  ``arn : partition : service : region : account : resource-part``. Segments 0-4 are globbed one
  by one (they contain no colons, so ``*`` cannot cross into the next segment); the resource part
  is one glob in which ``*``/``?`` match any character, ``/`` and ``:`` included
  (``arn:aws:logs:*:*:*:/aws-glue/*`` matches ``...:log-group:/aws-glue/crawlers:*``).
* A pattern with fewer than six segments whose last segment ends in ``*`` (``arn:aws:s3:*``)
  matches the rest of the ARN from that segment on, colons included ("expand beyond the colon
  boundaries"); without the trailing ``*`` a segment-count mismatch never matches.
* Resource matching is case-sensitive; action matching is case-insensitive.

Requirements may themselves be patterns (``arn:aws:s3:::bucket/prefix*`` = every object under
the prefix). So we answer two set questions rather than "does string match":

* ``covers(P, R)`` -- is every resource named by R matched by P? (needed for an Allow to count).
  Implemented soundly: P must glob-match R where R's ``*``/``?`` are treated as opaque symbols
  that only P's ``*`` may absorb (P's ``?`` matches R's ``?`` but not R's ``*``). Never claims a
  cover that does not exist; in exotic cases (a union of several statements jointly covering R)
  it answers "no" -> reported missing (fail closed).
* ``touches(P, R)`` -- could some resource named by R match P? (a Deny that touches R denies part
  of what is needed). Exact glob-intersection emptiness by dynamic programming.

Placeholders: a value unknown at plan time is written ``${name}`` (e.g. ``${account_id}``,
also IAM policy variables like ``${aws:username}``). Identical placeholders on both sides are
the same unknown value, so they match each other, and a ``*`` in the pattern absorbs any
placeholder. A concrete value against a placeholder (or two different placeholders) *might*
match: the answer is :data:`UNKNOWN`, which the evaluator reports as "conditional" (never as
granted, never as cleanly not-denied).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Tri = Literal[True, False, "unknown"]
UNKNOWN: Tri = "unknown"

PLACEHOLDER_RE = re.compile(r"\$\{[^}]*\}")
_PUA_BASE = 0xE000  # private-use code points stand in for placeholders while matching


def _tokenize(pattern: str, resource: str) -> tuple[str, str, bool]:
    """Replace each distinct placeholder with one private-use character (same placeholder ->
    same character on both sides, so identical unknowns compare equal)."""
    table: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok not in table:
            table[tok] = chr(_PUA_BASE + len(table))
        return table[tok]

    p = PLACEHOLDER_RE.sub(sub, pattern)
    r = PLACEHOLDER_RE.sub(sub, resource)
    return p, r, bool(table)


def _is_ph(c: str) -> bool:
    return _PUA_BASE <= ord(c) < _PUA_BASE + 0x1000


@lru_cache(maxsize=8192)
def _cover_regex(p: str) -> re.Pattern[str]:
    parts = []
    for c in p:
        if c == "*":
            parts.append(".*")
        elif c == "?":
            # one concrete character: not R's '*' (any run) nor a placeholder (any run)
            parts.append("[^*\ue000-\uefff]")
        else:
            parts.append(re.escape(c))
    return re.compile("".join(parts), re.DOTALL)


def glob_covers(p: str, r: str) -> bool:
    """Every string of glob ``r`` matches glob ``p`` (sound check; see module docstring)."""
    if p == r or p == "*":
        return True
    if "*" not in p and "?" not in p:
        return False  # a literal pattern covers only itself
    if p.endswith("*") and "*" not in p[:-1] and "?" not in p:
        return r.startswith(p[:-1])  # common 'prefix*' form, no regex needed
    return _cover_regex(p).fullmatch(r) is not None


@lru_cache(maxsize=8192)
def glob_touches(p: str, r: str) -> bool:
    """Some string matches both globs ``p`` and ``r``. Placeholder characters are opaque: only
    an identical placeholder or a ``*`` matches them (``?`` does not: the value may be longer)."""
    if p == r:
        return True
    return _iter_touches(p, r)


def _iter_touches(p: str, r: str) -> bool:
    """Iterative DP (no recursion depth limits): reach[(i, j)] = prefixes p[:i], r[:j] can be
    consumed to the same string."""
    n, m = len(p), len(r)
    reach = [[False] * (m + 1) for _ in range(n + 1)]
    reach[0][0] = True
    for i in range(n + 1):
        for j in range(m + 1):
            if not reach[i][j]:
                continue
            pc = p[i] if i < n else None
            rc = r[j] if j < m else None
            if pc == "*":
                reach[i + 1][j] = True          # p's * matches empty
                if rc is not None:
                    reach[i][j + 1] = True      # p's * absorbs r's next symbol (or r's *)
            if rc == "*":
                reach[i][j + 1] = True          # r's * matches empty
                if pc is not None:
                    reach[i + 1][j] = True      # r's * absorbs p's next symbol
            if pc is not None and rc is not None and pc != "*" and rc != "*":
                if pc == rc or ((pc == "?" or rc == "?") and not _is_ph(pc) and not _is_ph(rc)):
                    reach[i + 1][j + 1] = True
    return reach[n][m]


def _align(p: str, r: str) -> list[tuple[str, str]] | None:
    """Pair ARN segments as described in the module docstring; None = can never match."""
    if p == "*" or r == "*":
        return [(p, r)]
    ps = p.split(":", 5)
    rs = r.split(":", 5)
    if len(ps) == len(rs):
        return list(zip(ps, rs))
    k = min(len(ps), len(rs))
    short = ps if len(ps) < len(rs) else rs
    if not short[-1].endswith("*"):
        return None
    pairs = list(zip(ps[: k - 1], rs[: k - 1]))
    pairs.append((":".join(ps[k - 1:]), ":".join(rs[k - 1:])))
    return pairs


def _covers_plain(p: str, r: str) -> bool:
    pairs = _align(p, r)
    return pairs is not None and all(glob_covers(a, b) for a, b in pairs)


def _touches_plain(p: str, r: str) -> bool:
    pairs = _align(p, r)
    return pairs is not None and all(glob_touches(a, b) for a, b in pairs)


def _star_placeholders(s: str) -> str:
    return "".join("*" if _is_ph(c) else c for c in s)


# Why the caches: matching is pure and the gate asks the same (pattern, resource) and
# (pattern, action) questions many times - every required action on one ARN meets the same
# statements, and every crawler/job role of a large plan carries the same action lists and the
# same AWS managed policies. Bounded, keyed by the strings themselves (no identity tricks).
_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_CACHE_SIZE)
def arn_covers(pattern: str, resource: str) -> Tri:
    """Does policy resource ``pattern`` cover every resource named by ``resource``?"""
    if pattern == "*" or pattern == resource:
        return True  # identical strings: identical segments (and placeholders) on both sides
    if "${" not in pattern and "${" not in resource:
        # no placeholder: _tokenize is the identity. A pattern without wildcards covers only
        # itself (checked above), whatever the segment alignment.
        if "*" not in pattern and "?" not in pattern:
            return False
        stem = pattern[:-1]
        if pattern[-1] == "*" and "*" not in stem and "?" not in stem and stem.count(":") >= 5:
            # 'arn:p:s:r:a:res-prefix*': five literal segments + one prefix glob in the resource
            # part. The resource's first five colons are the pattern's iff it starts with the
            # stem, so this equals _covers_plain (which a shorter resource never satisfies).
            return resource.startswith(stem)
        return _covers_plain(pattern, resource)
    p, r, has_ph = _tokenize(pattern, resource)
    if _covers_plain(p, r):
        return True
    if has_ph and _touches_plain(_star_placeholders(p), _star_placeholders(r)):
        return UNKNOWN
    return False


@lru_cache(maxsize=_CACHE_SIZE)
def arn_touches(pattern: str, resource: str) -> Tri:
    """Could policy resource ``pattern`` match some resource named by ``resource``?"""
    if pattern == "*":
        return True
    if "${" not in pattern and "${" not in resource and pattern.isascii() and resource.isascii():
        # no placeholder (and no private-use character that _star_placeholders would rewrite):
        # _tokenize is the identity, so the UNKNOWN branch below would ask the same question
        return _touches_plain(pattern, resource)
    p, r, has_ph = _tokenize(pattern, resource)
    # With placeholders as opaque symbols an intersection holds whatever they stand for.
    if _touches_plain(p, r):
        return True
    if _touches_plain(_star_placeholders(p), _star_placeholders(r)):
        return UNKNOWN
    return False


@lru_cache(maxsize=_CACHE_SIZE)
def action_covers(pattern: str, action: str) -> bool:
    """Case-insensitive: does action pattern cover every action named by ``action``?"""
    p, a = pattern.lower(), action.lower()
    if p == "*":
        return True
    ps, _, pn = p.partition(":")
    as_, _, an = a.partition(":")
    return glob_covers(ps, as_) and glob_covers(pn, an) if ":" in p and ":" in a else \
        glob_covers(p, a)


@lru_cache(maxsize=_CACHE_SIZE)
def action_touches(pattern: str, action: str) -> bool:
    """Case-insensitive: could action pattern match some action named by ``action``?"""
    p, a = pattern.lower(), action.lower()
    if p == "*" or a == "*":
        return True
    ps, _, pn = p.partition(":")
    as_, _, an = a.partition(":")
    return glob_touches(ps, as_) and glob_touches(pn, an) if ":" in p and ":" in a else \
        glob_touches(p, a)

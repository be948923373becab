"""A second, deliberately simple IAM evaluator, written independently of tf_checks.iam, used
only as the oracle of the differential property test.

It translates every pattern into one regular expression and loops over statements; it supports
only what the differential test generates: concrete actions and concrete resource ARNs (no
requirement patterns, no placeholders, no condition context). Rules (same documented semantics):
  * action: case-insensitive glob; ``*`` -> ``.*``, ``?`` -> ``.``.
  * resource ``*`` matches all. Otherwise the pattern is cut at its first five colons; in the
    first five segments ``*`` -> ``[^:]*`` and ``?`` -> ``[^:]``; in the sixth (resource part)
    ``*`` -> ``.*`` and ``?`` -> ``.``. A pattern with fewer than six segments whose last
    segment ends with ``*``: that last segment uses the crossing forms (``.*``/``.``).
  * Deny beats Allow; any Condition makes a matching statement "conditional".
"""

from __future__ import annotations

import json
import re


def _glob(seg: str, crossing: bool) -> str:
    out = ""
    for ch in seg:
        if ch == "*":
            out += ".*" if crossing else "[^:]*"
        elif ch == "?":
            out += "." if crossing else "[^:]"
        else:
            out += re.escape(ch)
    return out


def resource_regex(pattern: str) -> str:
    if pattern == "*":
        return ".*"
    segs = pattern.split(":", 5)
    if len(segs) == 6:
        return ":".join([_glob(s, False) for s in segs[:5]] + [_glob(segs[5], True)])
    last_crosses = segs[-1].endswith("*")
    parts = [_glob(s, False) for s in segs[:-1]] + [_glob(segs[-1], last_crosses)]
    return ":".join(parts)


def action_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                   for c in pattern.lower())


def _listify(v):
    return v if isinstance(v, list) else [v]


def compile_policies(policies: dict[str, dict | str]) -> list[tuple]:
    """Each statement as (effect, has_condition, is_not_action, [action regexes],
    is_not_resource, [resource regexes])."""
    out = []
    for doc in policies.values():
        if isinstance(doc, str):
            doc = json.loads(doc)
        for st in _listify(doc["Statement"]):
            not_a = "Action" not in st
            acts = [re.compile(action_regex(p), re.S)
                    for p in _listify(st["NotAction" if not_a else "Action"])]
            not_r = "Resource" not in st
            ress = [re.compile(resource_regex(p), re.S)
                    for p in _listify(st["NotResource" if not_r else "Resource"])]
            out.append((st["Effect"], bool(st.get("Condition")), not_a, acts, not_r, ress))
    return out


def reference_decision(policies, action: str, resource: str) -> str:
    """``policies``: {name: document} or the output of :func:`compile_policies`."""
    compiled = compile_policies(policies) if isinstance(policies, dict) else policies
    deny = maybe_deny = allow = maybe_allow = False
    for effect, cond, not_a, acts, not_r, ress in compiled:
        a_hit = any(rx.fullmatch(action.lower()) for rx in acts)
        r_hit = any(rx.fullmatch(resource) for rx in ress)
        if a_hit == not_a or r_hit == not_r:
            continue
        if effect == "Deny":
            if cond:
                maybe_deny = True
            else:
                deny = True
        elif cond:
            maybe_allow = True
        else:
            allow = True
    if deny:
        return "explicit_deny"
    if maybe_deny:
        return "conditional"
    if allow:
        return "allow"
    if maybe_allow:
        return "conditional"
    return "implicit_deny"

"""Parsing IAM identity-policy documents into typed, validated objects.

Why strict: the gate must *fail closed*. A document we cannot read exactly as AWS would is
never silently treated as "grants nothing" or "grants everything"; it raises
:class:`PolicyParseError` (a :class:`lakegate.errors.LakegateError`) naming the JSON path of the
problem, and the caller turns it into a finding ("cannot verify").

Accepted shapes follow the IAM JSON policy grammar
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):
``Statement`` is an object or a list of objects; ``Action``/``NotAction`` and
``Resource``/``NotResource`` are a string or a non-empty list of strings (exactly one of each
pair); ``Effect`` is ``Allow`` or ``Deny`` (case-sensitive, as in AWS); ``Condition`` is an object
of operator -> {key: value | [values]}; ``Principal``/``NotPrincipal`` are accepted and ignored
(they mean nothing in an identity policy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from lakegate.errors import LakegateError

VALID_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {
    "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition",
    "Principal", "NotPrincipal",
}
_DOC_KEYS = {"Version", "Id", "Statement"}


class PolicyParseError(LakegateError):
    """A policy document that is not a valid IAM policy.

    ``where`` holds ``<policy name>:<JSON path>`` (e.g. ``inline:crawler$.Statement[1].Action``).
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(what, where=where,
                         fix=fix or "fix the policy document so it follows the IAM JSON policy "
                                    "grammar (https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                                    "reference_policies_grammar.html)")


@dataclass(frozen=True)
class Statement:
    """One statement. Exactly one of ``actions``/``not_actions`` and one of
    ``resources``/``not_resources`` is non-None (tuples of the raw strings)."""

    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    condition: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    sid: str | None = None
    index: int = 0

    @property
    def label(self) -> str:
        """The Sid when present, else ``#<index>`` (position in the Statement list)."""
        return self.sid if self.sid else f"#{self.index}"

    @property
    def has_condition(self) -> bool:
        return bool(self.condition)

    def to_dict(self) -> dict[str, Any]:
        """The statement back as IAM JSON (for messages and suggestions)."""
        out: dict[str, Any] = {}
        if self.sid:
            out["Sid"] = self.sid
        out["Effect"] = self.effect
        if self.actions is not None:
            out["Action"] = list(self.actions)
        else:
            out["NotAction"] = list(self.not_actions or ())
        if self.resources is not None:
            out["Resource"] = list(self.resources)
        else:
            out["NotResource"] = list(self.not_resources or ())
        if self.condition:
            out["Condition"] = {op: {k: list(v) for k, v in kv.items()}
                                for op, kv in self.condition.items()}
        return out


@dataclass(frozen=True)
class PolicyDocument:
    """A parsed policy. ``name`` identifies it in decisions (e.g. ``inline:crawler_s3`` or the
    managed policy ARN)."""

    statements: tuple[Statement, ...]
    name: str = "policy"
    version: str | None = None

    @classmethod
    def parse(cls, doc: "PolicyDocument | Mapping[str, Any] | str | bytes", *,
              name: str = "policy") -> "PolicyDocument":
        """Parse a dict, a JSON string or bytes (or return an existing document renamed)."""
        return parse_policy(doc, name=name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.version:
            out["Version"] = self.version
        out["Statement"] = [s.to_dict() for s in self.statements]
        return out


def _str_list(value: Any, where: str, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise PolicyParseError(f"{element} must be a string or a list of strings, "
                               f"got {type(value).__name__}", where=where)
    if not items:
        raise PolicyParseError(f"{element} must not be empty", where=where)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise PolicyParseError(f"{element} entries must be non-empty strings, got {item!r}",
                                   where=f"{where}[{i}]")
    return tuple(items)


# Action strings already validated (the same action lists repeat across the roles of a plan).
_VALID_ACTIONS: set[str] = set()


def _remember(seen: set[str], item: str, limit: int = 1 << 16) -> None:
    if len(seen) >= limit:
        seen.clear()
    seen.add(item)


def _check_action(a: str, where: str) -> None:
    if a == "*":
        return
    service, sep, name = a.partition(":")
    if not sep or not service or not name or ":" in name:
        raise PolicyParseError(f"action {a!r} is not '*' or 'service:ActionName'", where=where,
                               fix="write actions as 'service:Action' (e.g. 'glue:GetTable'); "
                                   "wildcards * and ? are allowed")


def _check_resource(r: str, where: str) -> None:
    if r == "*" or r.startswith("arn:"):
        return
    if r.startswith("${unknown:"):
        return  # a whole ARN unknown until apply (tf_checks.tfeval): matches only "conditionally"
    raise PolicyParseError(f"resource {r!r} is neither '*' nor an ARN (arn:...)", where=where,
                           fix="use a full ARN such as arn:aws:s3:::bucket/prefix/* or '*'")


def _parse_condition(value: Any, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(value, dict):
        raise PolicyParseError("Condition must be an object", where=where)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for op, block in value.items():
        if not isinstance(block, dict) or not block:
            raise PolicyParseError(f"condition operator {op!r} must map to a non-empty object "
                                   "of key -> value(s)", where=f"{where}.{op}")
        keys: dict[str, tuple[str, ...]] = {}
        for key, vals in block.items():
            seq = vals if isinstance(vals, list) else [vals]
            conv = []
            for v in seq:
                if isinstance(v, bool):
                    conv.append("true" if v else "false")
                elif isinstance(v, (str, int, float)):
                    conv.append(str(v))
                else:
                    raise PolicyParseError(f"condition value {v!r} must be a string, number or "
                                           "boolean", where=f"{where}.{op}.{key}")
            keys[key] = tuple(conv)
        out[op] = keys
    return out


def _parse_statement(raw: Any, index: int, where: str) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyParseError(f"statement must be an object, got {type(raw).__name__}",
                               where=where)
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        raise PolicyParseError(f"unknown statement element(s) {unknown}", where=where)
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyParseError(f"Effect must be 'Allow' or 'Deny', got {effect!r}",
                               where=f"{where}.Effect")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyParseError("statement needs exactly one of Action / NotAction", where=where)
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyParseError("statement needs exactly one of Resource / NotResource "
                               "(identity policies)", where=where)
    akey = "Action" if "Action" in raw else "NotAction"
    actions = _str_list(raw[akey], f"{where}.{akey}", akey)
    for i, a in enumerate(actions):
        if a not in _VALID_ACTIONS:  # JSON path formatted only for strings not seen valid yet
            _check_action(a, f"{where}.{akey}[{i}]")
            _remember(_VALID_ACTIONS, a)
    rkey = "Resource" if "Resource" in raw else "NotResource"
    resources = _str_list(raw[rkey], f"{where}.{rkey}", rkey)
    for i, r in enumerate(resources):
        if r != "*" and not r.startswith("arn:"):
            _check_resource(r, f"{where}.{rkey}[{i}]")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyParseError("Sid must be a string", where=f"{where}.Sid")
    cond = _parse_condition(raw["Condition"], f"{where}.Condition") if "Condition" in raw else {}
    return Statement(
        effect=effect,
        actions=actions if akey == "Action" else None,
        not_actions=actions if akey == "NotAction" else None,
        resources=resources if rkey == "Resource" else None,
        not_resources=resources if rkey == "NotResource" else None,
        condition=cond, sid=sid or None, index=index,
    )


def parse_policy(doc: "PolicyDocument | Mapping[str, Any] | str | bytes", *,
                 name: str = "policy") -> PolicyDocument:
    """Parse one policy document; raise :class:`PolicyParseError` when it is malformed."""
    if isinstance(doc, PolicyDocument):
        return doc if doc.name == name or name == "policy" else PolicyDocument(
            doc.statements, name=name, version=doc.version)
    if isinstance(doc, (bytes, bytearray)):
        try:
            doc = doc.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PolicyParseError(f"policy is not UTF-8: {e}", where=f"{name}:$") from None
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as e:
            raise PolicyParseError(f"policy is not valid JSON: {e.msg} (line {e.lineno}, "
                                   f"column {e.colno})", where=f"{name}:$") from None
    if not isinstance(doc, Mapping):
        raise PolicyParseError(f"policy must be a JSON object, got {type(doc).__name__}",
                               where=f"{name}:$")
    unknown = sorted(set(doc) - _DOC_KEYS)
    if unknown:
        raise PolicyParseError(f"unknown policy element(s) {unknown}", where=f"{name}:$")
    version = doc.get("Version")
    if version is not None and version not in VALID_VERSIONS:
        raise PolicyParseError(f"Version must be one of {VALID_VERSIONS}, got {version!r}",
                               where=f"{name}:$.Version")
    if "Statement" not in doc:
        raise PolicyParseError("policy has no Statement", where=f"{name}:$")
    raw = doc["Statement"]
    if isinstance(raw, dict):
        stmts = (_parse_statement(raw, 0, f"{name}:$.Statement"),)
    elif isinstance(raw, list):
        stmts = tuple(_parse_statement(s, i, f"{name}:$.Statement[{i}]")
                      for i, s in enumerate(raw))
    else:
        raise PolicyParseError("Statement must be an object or a list of objects",
                               where=f"{name}:$.Statement")
    return PolicyDocument(stmts, name=name, version=version)

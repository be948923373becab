"""Sufficiency evaluation: do these identity policies grant ``action`` on ``resource``?

Rules (AWS policy evaluation logic for a single account, identity policies only,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
tightened for a *sufficiency* gate that must never say "granted" when AWS might refuse:

1. An unconditional Deny whose action and resource match -> ``explicit_deny`` (wins over any
   Allow). A Deny whose resources only *partly* overlap a wildcard requirement still denies part
   of what is needed -> ``explicit_deny``.
2. A Deny that *might* apply (it has a Condition we cannot decide, or it matches only through a
   plan-time placeholder) -> ``conditional`` (not allowed: denial risk).
3. An unconditional Allow whose action covers the action and whose resources cover every
   resource of the requirement -> ``allow``.
4. An Allow that matches only under a Condition we cannot decide, or only through a placeholder
   -> ``conditional`` (not allowed: not proven granted).
5. Otherwise ``implicit_deny``.

Conditions we *can* decide: when the requirement carries a request context (e.g.
``{"s3:prefix": "bronze/car_data/"}`` for a prefix-scoped ``s3:ListBucket``), a Condition block
that uses only ``StringEquals``/``StringLike``/``StringNotEquals``/``StringNotLike`` (and their
``IgnoreCase`` forms for equality) on keys present in that context is evaluated exactly; a true
condition makes the statement unconditional, a false one makes it not apply. Any other operator,
``...IfExists``, ``ForAnyValue:``/``ForAllValues:`` or a key missing from the context keeps the
statement "conditional".

NotAction: the statement applies to every action not matched by any NotAction pattern.
NotResource: an Allow covers a resource set only if no NotResource pattern touches it; a Deny
applies unless one NotResource pattern covers the whole requirement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Literal, Mapping, Protocol, Sequence

from .matching import (UNKNOWN, Tri, action_covers, action_touches, arn_covers, arn_touches,
                       glob_covers)
from .policy import PolicyDocument, Statement, parse_policy

DecisionKind = Literal["allow", "explicit_deny", "implicit_deny", "conditional"]
PolicyInput = PolicyDocument | Mapping[str, Any] | str | bytes
Policies = Mapping[str, PolicyInput] | Iterable[PolicyDocument]


@dataclass(frozen=True)
class Decision:
    """Outcome for one action x resource. ``matched``: (policy name, statement Sid or ``#i``) of
    the statements that decided it (the denying ones for a deny, the allowing ones for an
    allow). ``reasons``: human-readable explanation lines."""

    allowed: bool
    decision: DecisionKind
    matched: list[tuple[str, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class RequirementLike(Protocol):
    action: str
    resource: str


@dataclass(frozen=True)
class Missing:
    """A requirement the policies do not grant, the decision and why (one line)."""

    requirement: Any
    decision: Decision
    why: str

    @property
    def action(self) -> str:
        return self.requirement.action

    @property
    def resource(self) -> str:
        return self.requirement.resource


def as_documents(policies: Policies) -> list[PolicyDocument]:
    """Normalise ``{name: doc}`` or an iterable of parsed documents into documents.
    Raises :class:`~tf_checks.iam.policy.PolicyParseError` on a malformed document."""
    if type(policies) is list and all(type(d) is PolicyDocument for d in policies):
        return policies  # already normalised (the hot path: missing_permissions -> evaluate)
    if isinstance(policies, PolicyDocument):
        return [policies]
    if isinstance(policies, Mapping):
        return [parse_policy(doc, name=str(name)) for name, doc in policies.items()]
    out = []
    for i, doc in enumerate(policies):
        out.append(doc if isinstance(doc, PolicyDocument)
                   else parse_policy(doc, name=f"policy[{i}]"))
    return out


# ---------------------------------------------------------------- conditions

_DECIDABLE = {"stringequals", "stringlike", "stringnotequals", "stringnotlike",
              "stringequalsignorecase", "stringnotequalsignorecase"}


def _condition_value(stmt: Statement, context: Mapping[str, str]) -> bool | None:
    """True/False when the Condition is decidable from ``context``; None otherwise."""
    if not context:
        return None
    ctx = {k.lower(): v for k, v in context.items()}
    result = True
    for op, block in stmt.condition.items():
        lop = op.lower()
        if lop not in _DECIDABLE:
            return None
        for key, values in block.items():
            if key.lower() not in ctx:
                return None
            actual = ctx[key.lower()]
            if "ignorecase" in lop:
                hit = any(actual.lower() == v.lower() for v in values)
            elif "like" in lop:
                hit = any(glob_covers(v, actual) for v in values)
            else:
                hit = actual in values
            if "not" in lop:
                hit = not hit
            result = result and hit
    return result


# ---------------------------------------------------------------- statement matching

def _action_applies(stmt: Statement, action: str) -> bool:
    return _actions_apply(stmt.actions, stmt.not_actions, action)


@lru_cache(maxsize=1 << 16)
def _actions_apply(actions: tuple[str, ...] | None, not_actions: tuple[str, ...] | None,
                   action: str) -> bool:
    """Keyed by the action lists themselves: the inline policies of every crawler/job role in a
    large plan repeat the same lists (only their ARNs differ), so one answer serves them all."""
    if actions is not None:
        return any(action_covers(p, action) for p in actions)
    return not any(action_touches(p, action) for p in not_actions or ())


# Per parsed document: action -> (the statements whose Action/NotAction applies to it, in
# order; and, when none of them is a Deny or has a Condition, those same statements as the
# "plain allows", else None). Keyed by id() with the document itself kept in the entry (so the
# id cannot be reused while cached and a stale entry is detected by identity). Which statement
# positions apply to an action depends only on the documents' Action/NotAction lists, which
# the roles of a large plan repeat (only their ARNs differ), so those positions are shared
# between documents with the same lists (_BY_ACTION_LISTS). Both caches are bounded: cleared
# when they grow past the limit.
_Applicable = tuple[tuple[Statement, ...], "tuple[Statement, ...] | None"]
_APPLICABLE: dict[int, tuple[PolicyDocument, dict[str, _Applicable], dict[str, tuple[int, ...]]]] = {}
_BY_ACTION_LISTS: dict[tuple[Any, ...], dict[str, tuple[int, ...]]] = {}
_APPLICABLE_LIMIT = 4096


def _applicable_entry(doc: PolicyDocument, action: str) -> _Applicable:
    entry = _APPLICABLE.get(id(doc))
    if entry is None or entry[0] is not doc:
        if len(_APPLICABLE) >= _APPLICABLE_LIMIT:
            _APPLICABLE.clear()
        if len(_BY_ACTION_LISTS) >= _APPLICABLE_LIMIT:
            _BY_ACTION_LISTS.clear()
        lists = tuple((st.actions, st.not_actions) for st in doc.statements)
        entry = (doc, {}, _BY_ACTION_LISTS.setdefault(lists, {}))
        _APPLICABLE[id(doc)] = entry
    by_action = entry[1]
    found = by_action.get(action)
    if found is None:
        statements = doc.statements
        positions = entry[2].get(action)
        if positions is None:
            positions = entry[2][action] = tuple(
                i for i, st in enumerate(statements)
                if _actions_apply(st.actions, st.not_actions, action))
        stmts = tuple(statements[i] for i in positions)
        plain = None if any(st.effect == "Deny" or st.condition for st in stmts) else stmts
        found = by_action[action] = (stmts, plain)
    return found


def _applicable(doc: PolicyDocument, action: str) -> tuple[Statement, ...]:
    """The statements of ``doc`` whose Action/NotAction applies to ``action`` (in order)."""
    return _applicable_entry(doc, action)[0]


def _plain_allows(docs: list[PolicyDocument], action: str) -> tuple[Statement, ...] | None:
    """The statements of ``docs`` that apply to ``action`` when none of them is a Deny or has a
    Condition (so :func:`_evaluate` answers ``allow`` exactly when one of them covers the
    resource); None when some Deny/conditional statement applies (run the full evaluation)."""
    out: list[Statement] = []
    for doc in docs:
        plain = _applicable_entry(doc, action)[1]
        if plain is None:
            return None
        out += plain
    return tuple(out)


def _plain_covers(plain: tuple[Statement, ...], resource: str) -> bool:
    """``any(_resource_allow(st, resource) is True for st in plain)``, unrolled: this is the
    innermost loop of the gate (one call per required action x resource of every role)."""
    for st in plain:
        pats = st.resources
        if pats is None:
            if _resource_allow(st, resource) is True:
                return True
            continue
        if "*" in pats:
            return True
        for pat in pats:
            if arn_covers(pat, resource) is True:
                return True
    return False


def _resource_allow(stmt: Statement, resource: str) -> Tri:
    """Does an Allow's Resource/NotResource cover the whole requirement resource set?"""
    if stmt.resources is not None:
        if "*" in stmt.resources:  # same answer as the loop below, which would reach it
            return True
        best: Tri = False
        for p in stmt.resources:
            v = arn_covers(p, resource)
            if v is True:
                return True
            if v == UNKNOWN:
                best = UNKNOWN
        return best
    # NotResource: granted only if no excluded pattern can touch the resource set
    worst: Tri = True
    for p in stmt.not_resources or ():
        v = arn_touches(p, resource)
        if v is True:
            return False
        if v == UNKNOWN:
            worst = UNKNOWN
    return worst


def _resource_deny(stmt: Statement, resource: str) -> Tri:
    """Can a Deny's Resource/NotResource hit some resource of the requirement set?"""
    if stmt.resources is not None:
        best: Tri = False
        for p in stmt.resources:
            v = arn_touches(p, resource)
            if v is True:
                return True
            if v == UNKNOWN:
                best = UNKNOWN
        return best
    worst: Tri = True
    for p in stmt.not_resources or ():
        v = arn_covers(p, resource)
        if v is True:
            return False  # the whole requirement is excluded from the deny
        if v == UNKNOWN:
            worst = UNKNOWN
    return worst


def evaluate(policies: Policies, action: str, resource: str, *,
             context: Mapping[str, str] | None = None) -> Decision:
    """Decide whether ``policies`` grant ``action`` on ``resource`` (see module docstring).

    ``resource`` may be a pattern (``arn:aws:s3:::b/prefix*`` = all objects under the prefix) and
    may contain ``${placeholder}`` parts for values unknown at plan time.
    """
    return _evaluate(as_documents(policies), action, resource, dict(context) if context else {})


def _evaluate(docs: list[PolicyDocument], action: str, resource: str,
              ctx: Mapping[str, str]) -> Decision:
    denies: list[tuple[str, str]] = []
    maybe_denies: list[tuple[str, str]] = []
    allows: list[tuple[str, str]] = []
    maybe_allows: list[tuple[str, str]] = []
    reasons: list[str] = []
    for doc in docs:
        for stmt in _applicable(doc, action):
            label = (doc.name, stmt.label)
            cond = _condition_value(stmt, ctx) if stmt.has_condition else True
            if cond is False:
                continue
            if stmt.effect == "Deny":
                hit = _resource_deny(stmt, resource)
                if hit is False:
                    continue
                if hit is True and cond is True:
                    denies.append(label)
                    reasons.append(f"explicit Deny in {doc.name} statement {stmt.label}")
                else:
                    maybe_denies.append(label)
                    reasons.append(f"Deny in {doc.name} statement {stmt.label} may apply ("
                                   + ("undecidable Condition" if cond is None
                                      else "depends on a value unknown at plan time") + ")")
            else:
                hit = _resource_allow(stmt, resource)
                if hit is False:
                    continue
                if hit is True and cond is True:
                    allows.append(label)
                else:
                    maybe_allows.append(label)
                    reasons.append(f"Allow in {doc.name} statement {stmt.label} applies only "
                                   + ("under a Condition" if cond is None
                                      else "if a value unknown at plan time matches"))
    if denies:
        return Decision(False, "explicit_deny", denies, reasons)
    if maybe_denies:
        return Decision(False, "conditional", maybe_denies, reasons)
    if allows:
        return Decision(True, "allow", allows,
                        [f"allowed by {n} statement {s}" for n, s in allows])
    if maybe_allows:
        return Decision(False, "conditional", maybe_allows, reasons)
    return Decision(False, "implicit_deny", [],
                    [f"no statement allows {action} on {resource}"])


def missing_permissions(policies: Policies, requirements: Iterable[RequirementLike], *,
                        memo: dict[Any, Decision] | None = None) -> list[Missing]:
    """Every requirement the policies do not (provably, unconditionally) grant, in input order.

    A requirement may carry ``context`` (a mapping or tuple of pairs of condition keys) used to
    decide simple conditions (see module docstring).

    ``memo``: a dict the caller keeps for *this same list of policies* (e.g. per role), so that
    several crawlers/jobs running as one role do not re-decide shared (action, resource,
    context) requirements. Decisions are immutable; never share a memo between policy sets."""
    docs = as_documents(policies)
    out: list[Missing] = []
    plain_by_action: dict[str, tuple[Statement, ...] | None] = {}
    for req in requirements:
        action = req.action
        if action in plain_by_action:
            plain = plain_by_action[action]
        else:
            plain = plain_by_action[action] = _plain_allows(docs, action)
        if plain is not None and _plain_covers(plain, req.resource):
            continue  # certainly allowed (see _plain_allows)
        ctx = getattr(req, "context", None) or {}
        if memo is None:
            d = _evaluate(docs, req.action, req.resource, dict(ctx))
        else:
            try:
                key = (req.action, req.resource, tuple(sorted(dict(ctx).items())))
                hash(key)
            except TypeError:  # unhashable context values: decide without the memo
                d = _evaluate(docs, req.action, req.resource, dict(ctx))
            else:
                d = memo.get(key)
                if d is None:
                    d = memo[key] = _evaluate(docs, req.action, req.resource, dict(ctx))
        if d.allowed:
            continue
        if d.decision == "explicit_deny":
            why = "explicitly denied by " + ", ".join(f"{n} {s}" for n, s in d.matched)
        elif d.decision == "conditional":
            why = "; ".join(d.reasons)
        else:
            why = f"no statement allows {req.action} on {req.resource}"
        out.append(Missing(req, d, why))
    return out


def suggest_statement(missing: Sequence[Missing] | Sequence[RequirementLike],
                      *, sid_prefix: str = "LakegateRequired") -> list[dict[str, Any]]:
    """The minimal Allow statements that would grant the missing requirements.

    Grouped by resource set: actions needed on exactly the same set of resources share one
    statement (``Action`` and ``Resource`` sorted, de-duplicated), so the output is small and
    least-privilege. Explicit denies are not fixed by adding an Allow (the caller says "remove
    the deny"); they are included so the statement is complete once the deny is gone.
    Returns a list of statements to paste into the role policy's ``Statement``.
    """
    by_action: dict[str, set[str]] = {}
    for m in missing:
        req = m.requirement if isinstance(m, Missing) else m
        by_action.setdefault(req.action, set()).add(req.resource)
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for act, res in by_action.items():
        by_resources.setdefault(tuple(sorted(res)), []).append(act)
    out = []
    for i, (resources, acts) in enumerate(sorted(by_resources.items(),
                                                 key=lambda kv: (sorted(kv[1]), kv[0]))):
        acts = sorted(set(acts))
        out.append({
            "Sid": f"{sid_prefix}{i + 1}",
            "Effect": "Allow",
            "Action": acts if len(acts) > 1 else acts[0],
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        })
    return out


def suggestion_json(missing: Sequence[Missing]) -> str:
    """``suggest_statement`` rendered as indented JSON (for text reports)."""
    return json.dumps(suggest_statement(missing), indent=2)

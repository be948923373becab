"""IAM ``SimulatePrincipalPolicy`` (query protocol; not implemented in moto 5.2.5): the
recovery's IAM-propagation wait (runbook PASSO 4) polls it. Decided by the gate's evaluator
(``tf_checks.iam``) over the role's/user's inline, attached and AWS managed policies; an
undecidable condition is ``implicitDeny`` (fail closed). Context entries are ignored.
"""

from __future__ import annotations

from typing import Any

from localaws.dispatch import Ctx, override
from localaws.iam.exceptions import InvalidInputException, NoSuchEntityException

_DECISIONS = {"allow": "allowed", "explicit_deny": "explicitDeny", "implicit_deny": "implicitDeny",
              "conditional": "implicitDeny"}  # a condition we cannot decide: fail closed


def principal_policies(ctx: Ctx, arn: str) -> dict[str, Any]:
    """``{source id: document}`` of a role's or user's inline and attached (incl. AWS managed,
    falling back to the gate's snapshot) policies, plus a user's groups' policies."""
    from tf_checks.iam import managed_policy

    iam = ctx.backend("iam")
    kind = arn.split(":", 5)[-1].split("/", 1)[0] if arn.startswith("arn:") else ""
    name = arn.rsplit("/", 1)[-1]
    if kind == "role":
        principals = [iam.get_role(name)]
    elif kind == "user":
        user = iam.get_user(name)
        principals = [user] + [g for g in iam.groups.values() if user in g.users]
    else:
        raise InvalidInputException(f"Invalid ARN: {arn} (a role or user ARN is required)")
    docs: dict[str, Any] = {}
    for p in principals:
        for pname, doc in p.policies.items():
            docs[f"{p.name}_{pname}"] = doc
        for parn, pol in p.managed_policies.items():
            version = next((v for v in pol.versions if v.is_default), None)
            doc = version.document if version is not None and version.document else managed_policy(parn)
            if doc is not None:
                docs[parn] = doc
    return docs


@override("iam", "SimulatePrincipalPolicy", errors=(InvalidInputException, NoSuchEntityException))
def simulate_principal_policy(ctx: Ctx, params: dict) -> dict:
    """Answer ``SimulatePrincipalPolicy`` with the gate's IAM evaluator (``tf_checks.iam``)."""
    from moto.core.exceptions import ServiceException, _RESTError

    from tf_checks.iam import evaluate

    arn = params.get("PolicySourceArn") or ""
    actions = params.get("ActionNames") or []
    if not arn or not actions:
        raise InvalidInputException("PolicySourceArn and ActionNames are required")
    resources = params.get("ResourceArns") or ["*"]
    try:
        policies = principal_policies(ctx, arn)
    except (ServiceException, _RESTError) as err:
        raise NoSuchEntityException(f"The principal {arn} cannot be found.") from err
    results = []
    for action in actions:
        for resource in resources:
            d = evaluate(policies, action, resource) if policies else None
            decision = _DECISIONS[d.decision] if d is not None else "implicitDeny"
            matched = [{"SourcePolicyId": str(src),
                        "SourcePolicyType": ("aws-managed" if str(src).startswith("arn:aws:iam::aws:")
                                             else "IAM Policy")}
                       for src, _stmt in (d.matched if d is not None and d.allowed else [])]
            results.append({"EvalActionName": action, "EvalResourceName": resource,
                            "EvalDecision": decision, "MatchedStatements": matched,
                            "MissingContextValues": []})
    return {"IsTruncated": False, "EvaluationResults": results}

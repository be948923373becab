"""LG-RESOLVE: the fail-closed rules -- a value the gate needs is unknown at plan time.

Declared here (registry) so every family reports unknowns the same way:

* :func:`cannot_verify` -- a value could not be determined at all (``LG-RESOLVE-001``);
* :func:`unknown_value` -- one ``${unknown:...}`` value (:mod:`tf_checks.tfeval`) blocks a
  decision: reported **once per unknown value** (per run), with how to make it known;
* ``LG-RESOLVE-002`` -- the account id / region is unknown and a policy names one literally:
  once per role, saying what to pass (emitted by the IAM rule).
"""

from __future__ import annotations

from typing import Any

from tf_checks import registry
from tf_checks.findings import Finding

registry.declare_family(
    "LG-RESOLVE", "Values unknown at plan time",
    "The gate never passes what it cannot see: a value it needs that is unknown at plan time and "
    "cannot be rebuilt is a finding (fail closed).")
RESOLVE_001 = registry.declare(
    "LG-RESOLVE-001", "A needed value is unknown at plan time", "high", "LG-RESOLVE",
    "A value the gate needs (role, policy, ARN, S3 path, job arguments) is unknown at plan time "
    "and could not be rebuilt. Values are rebuilt from known planned values and provider-computed "
    "attributes (`tf_checks/data/computed_attributes.json`: `aws_s3_bucket.x.arn` → "
    "`arn:aws:s3:::<bucket>`, `aws_iam_role.r.arn` → `arn:aws:iam::<account>:role<path><name>`, "
    "...) and, with the Terraform directory, by evaluating the configuration like Terraform "
    "(tfparse: modules, locals, variables, count/for_each, conditionals, functions). An unknown "
    "part makes unverifiable only what depends on it and is reported once per unknown value. "
    "Never a pass.")
RESOLVE_002 = registry.declare(
    "LG-RESOLVE-002", "Account id or region unknown while a policy names one", "high", "LG-RESOLVE",
    "The account id (or region) of the crawler's/job's provider is unknown at plan time (offline "
    "plan, no `data.aws_caller_identity` value) and the role's policies name one literally, so "
    "the ARNs cannot be compared. Reported once per role. Fix: pass `--account-id` (or `[gate] "
    "account_id` in `lakegate.toml`), or set `region` in the provider configuration.")

_FIX = ("make the value known at plan time, or run the gate with the Terraform directory "
        "(--tf-dir) so lakegate can evaluate the expression")


def cannot_verify(address: str, what: str, reason: str, *, role_address: str | None = None) -> Finding:
    """The fail-closed finding: a value the gate needs could not be determined."""
    return RESOLVE_001.finding(address, f"cannot verify {what}: {reason}", fix=_FIX,
                               role_address=role_address)


def unknown_value(ctx: Any, address: str, ref: str, what: str, *,
                  role_address: str | None = None) -> Finding | None:
    """One finding per unknown value ``ref`` per run (None when already reported)."""
    reported = getattr(ctx.resolver, "reported", None)
    if reported is not None:
        if ref in reported:
            return None
        reported.add(ref)
    return RESOLVE_001.finding(
        address,
        f"cannot verify {what}: {ref} is unknown until apply",
        fix=f"give {ref} a value Terraform knows at plan time (a literal name instead of a "
            "generated one / name_prefix, a variable), or run the gate with the Terraform "
            "directory (--tf-dir) so lakegate can evaluate the expression",
        role_address=role_address)

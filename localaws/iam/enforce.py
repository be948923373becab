"""IAM enforced on what runs: a crawl or job run is checked against its role's policies.

The role's policies are gathered from moto's IAM backend (inline, attached customer-managed and
AWS managed — moto has the latter when started with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``;
otherwise the gate's committed snapshot is used). What the run needs comes from
``tf_checks.requirements`` and the verdict from ``tf_checks.iam`` — the same evaluator as the
static gate, so gate and local AWS never disagree. A missing action fails the run with AWS's
message.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterable

from localaws.dispatch import Ctx

GLUE_PRINCIPAL = "glue.amazonaws.com"


class AccessDenied(Exception):
    """The run's role lacks a permission; ``str()`` is the AWS error message."""

    def __init__(self, message: str, action: str = "", resource: str = "") -> None:
        super().__init__(message)
        self.action = action
        self.resource = resource


class RoleUnusable(Exception):
    """The role does not exist or cannot be assumed by Glue."""


def _role(ctx: Ctx, role: str) -> Any:
    iam = ctx.backend("iam")
    try:
        if role.startswith("arn:"):
            return iam.get_role_by_arn(role)
        return iam.get_role(role)
    except Exception as exc:
        raise RoleUnusable(
            f"Service is unable to assume provided role. Please verify role's TrustPolicy: {role}"
        ) from exc


def role_policies(ctx: Ctx, role: str) -> dict[str, Any]:
    """``{name: policy document}`` of every policy attached to ``role`` (name or ARN)."""
    from tf_checks.iam import managed_policy

    r = _role(ctx, role)
    trust = r.assume_role_policy_document
    if trust and GLUE_PRINCIPAL not in (trust if isinstance(trust, str) else json.dumps(trust)):
        raise RoleUnusable(
            f"Service is unable to assume provided role. Please verify role's TrustPolicy: {r.arn}"
        )
    docs: dict[str, Any] = {}
    for name, doc in r.policies.items():
        docs[f"inline:{name}"] = doc
    for arn, pol in r.managed_policies.items():
        version = next((v for v in pol.versions if v.is_default), None)
        if version is not None and version.document:
            docs[f"managed:{arn}"] = version.document
        else:
            snap = managed_policy(arn)
            if snap is not None:
                docs[f"managed:{arn}"] = snap
    from localaws.faults import propagated   # the iam-propagation-delay fault, when injected

    return propagated(ctx, r.name, "enforce", docs)


def _denial_message(action: str, resource: str, role_arn: str) -> str:
    rid = str(uuid.uuid4())
    if action.startswith("glue:"):
        return (f"Service Principal: {GLUE_PRINCIPAL} is not authorized to perform: {action} on "
                f"resource: {resource} (Service: AWSGlue; Status Code: 400; Error Code: "
                f"AccessDeniedException; Request ID: {rid}; Proxy: null)")
    if action.startswith("s3:"):
        session = role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/GlueJobRunnerSession"
        return (f"User: {session} is not authorized to perform: {action} on resource: {resource} "
                f"because no identity-based policy allows the {action} action (Service: Amazon S3; "
                f"Status Code: 403; Error Code: AccessDenied; Request ID: {rid}; Proxy: null)")
    return (f"User: {role_arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def check(ctx: Ctx, role: str, requirements: Iterable[Any]) -> None:
    """Raise :class:`AccessDenied` for the first requirement ``role`` does not grant.

    For that action the most specific resource missing is reported (the table ARN rather than
    the catalog ARN), as AWS names the resource the call was about."""
    from tf_checks.iam import missing_permissions

    reqs = list(requirements)
    policies = role_policies(ctx, role)
    missing = missing_permissions(policies, reqs) if policies else [_AllMissing(r) for r in reqs]
    if not missing:
        return
    first_action = missing[0].action
    same = [m for m in missing if m.action == first_action]
    worst = max(same, key=lambda m: len(m.resource))
    role_arn = _role(ctx, role).arn
    raise AccessDenied(_denial_message(worst.action, worst.resource, role_arn), worst.action, worst.resource)


class _AllMissing:
    def __init__(self, req: Any) -> None:
        self.requirement = req
        self.action = req.action
        self.resource = req.resource


def check_crawl(ctx: Ctx, crawler: Any, s3_targets: list[str], table_names: list[str]) -> None:
    """What a crawl that read ``s3_targets`` and writes ``table_names`` needs."""
    from tf_checks.requirements import crawler_requirements

    reqs = crawler_requirements(region=ctx.region, account=ctx.account_id,
                                database=crawler.database_name, s3_targets=s3_targets,
                                table_names=table_names or None)
    if not table_names:  # found nothing: the crawl makes no table or partition calls
        reqs = [r for r in reqs if r.entry != "crawler.catalog.tables"]
    check(ctx, crawler.role, reqs)


def check_job_run(ctx: Ctx, job: Any, args: dict[str, str], *, database: str | None,
                  catalog_reads: list[tuple[str, str]], s3_reads: list[str], s3_writes: list[str],
                  extra_s3_reads: list[str]) -> None:
    """What one job run needs, from its resolved arguments and SQL header."""
    from tf_checks.requirements import job_requirements

    script = (job.command or {}).get("ScriptLocation") or ""
    reqs = job_requirements(
        region=ctx.region, account=ctx.account_id, database=database,
        catalog_reads=catalog_reads, catalog_writes=[], s3_reads=s3_reads, s3_writes=s3_writes,
        temp_dir=args.get("--TempDir") or None, script_location=script,
        extra_s3_reads=extra_s3_reads,
        enable_catalog=str(args.get("--enable-glue-datacatalog", "")).lower() in ("true", ""),
        log_groups=[f"/aws-glue/jobs/{job.name}"],
        bookmarks=args.get("--job-bookmark-option") == "job-bookmark-enable",
        enable_metrics="--enable-metrics" in args,
    )
    check(ctx, job.role, reqs)

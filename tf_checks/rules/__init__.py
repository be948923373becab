"""The gate's rules: each module of this package declares its rules and check units in
:mod:`tf_checks.registry` on import; the engine runs the registered units over one shared
:class:`Context`.

Why a shared :class:`Context`: rules are pure functions over the typed model; the joins they
need (role by name, policy by ARN, job by name, uploaded object by S3 URL, ...) are built once
here in a single pass so no rule does a quadratic scan (10,000-resource plans must stay within
2x a bare ``json.load``).

Rule ids are stable; ``docs/rules.md`` is generated from the registry (``python -m tf_checks.docs``).
Script understanding (arguments, I/O) lives in :mod:`tf_checks.scripts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tf_checks.findings import Finding
from tf_checks.model import (Attachment, Crawler, Job, ManagedPolicy, Plan, Resource, Role,
                             RolePolicy, S3Object, Trigger, Workflow, split_s3_url)
from tf_checks.resolve import ACCOUNT, Resolver
from tf_checks.scripts.args import (_INLINE, GLUE_RUNTIME_MODULES, ScriptInfo,  # noqa: F401 (re-exported)
                                    extra_py_files, parse_script)

RESOLVE_RULE = "LG-RESOLVE-001"


def cannot_verify(address: str, what: str, reason: str, *, role_address: str | None = None) -> Finding:
    """The fail-closed finding: a value the gate needs could not be determined (declared in
    :mod:`tf_checks.rules.resolution`)."""
    from tf_checks.rules.resolution import cannot_verify as _cannot_verify
    return _cannot_verify(address, what, reason, role_address=role_address)


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
class Context:
    plan: Plan
    resolver: Resolver
    tf_dir: Path | None = None
    scripts_dir: Path | None = None          # --scripts DIR: where job scripts live
    job_declarations: list[Any] = field(default_factory=list)  # lakegate.toml [gate.jobs."glob"]
    _script_cache: dict[tuple[str, tuple[tuple[str, Path], ...]], ScriptInfo | None] = field(
        default_factory=dict)
    _located: dict[str, "Located"] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Any:
        from tf_checks import registry
        return registry.get(rule_id)

    # ------------------------------------------------------------ plan-level facts
    @cached_property
    def account(self) -> str:
        """The plan's account (see :meth:`Resolver.account_of`), symbolic when unknown."""
        return self.resolver.account_of()

    def account_of(self, res: Resource) -> str:
        """The account ``res`` lives in (tf_checks.resolve; ``--account-id`` as the fallback)."""
        return self.resolver.account_of(res)

    def region_of(self, res: Resource) -> str:
        """The region of the provider configuration ``res`` uses (aliases, ``var.*``, literal)."""
        return self.resolver.region_of(res)

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
        for res in self.plan.of("aws_s3_object") + self.plan.of("aws_s3_bucket_object"):
            bucket, _ = self.resolver.try_value(res, "bucket")
            key = S3Object(res).key
            if isinstance(bucket, str) and key:
                out[f"s3://{bucket}/{key.lstrip('/')}"] = res
        return out

    @cached_property
    def table_locations(self) -> dict[tuple[str, str], str]:
        """(database, table) -> S3 location: ``aws_glue_catalog_table`` storage descriptors, then
        the S3 targets of the crawlers that create the table (prefix + folder name)."""
        from lakegate.glue_naming import crawler_table_name
        from tf_checks.model import as_dict, as_list, first_block

        out: dict[tuple[str, str], str] = {}
        for res in self.plan.of("aws_glue_crawler"):
            db, _ = self.resolver.try_value(res, "database_name")
            targets, _ = self.resolver.try_value(res, "s3_target")
            if not isinstance(db, str):
                continue
            for t in as_list(targets):
                p = as_dict(t).get("path")
                if isinstance(p, str):
                    out.setdefault((db, crawler_table_name(Crawler(res).table_prefix, p)), p)
        for res in self.plan.of("aws_glue_catalog_table"):
            db, _ = self.resolver.try_value(res, "database_name")
            name, _ = self.resolver.try_value(res, "name")
            sd, _ = self.resolver.try_value(res, "storage_descriptor")
            loc = as_dict(first_block(sd)).get("location")
            if isinstance(db, str) and isinstance(name, str) and isinstance(loc, str) and loc:
                out[(db, name.lower())] = loc
        return out

    def table_location(self, db: str, table: str) -> str | None:
        return self.table_locations.get((db, table.lower()))

    # ------------------------------------------------------------ files behind uploaded objects
    def object_file(self, url: str) -> tuple[Resource | None, Path | None, str | None]:
        """The object uploading ``url`` and the local file it uploads (when known)."""
        obj = self.objects_by_url.get(url)
        if obj is None:
            return None, None, f"no aws_s3_object in the plan uploads {url}"
        src = S3Object(obj).source
        if not src:
            content = S3Object(obj).content
            if content:
                path = Path(f"<plan>/{obj.address}/{url.rsplit('/', 1)[-1]}")
                _INLINE[path] = content
                return obj, path, None
            return obj, None, f"{obj.address} has no 'source' file"
        if self.tf_dir is None:
            return obj, None, "the Terraform directory is not known (--tf-dir)"
        path = Path(src)
        if not path.is_absolute():
            path = self.tf_dir / path
        return obj, path, None

    @cached_property
    def _scripts_index(self) -> dict[str, list[Path]]:
        from tf_checks.scripts.jobio import file_index
        return file_index(self.scripts_dir) if self.scripts_dir is not None else {}

    @cached_property
    def _tf_index(self) -> dict[str, list[Path]]:
        from tf_checks.scripts.jobio import file_index
        return file_index(self.tf_dir) if self.tf_dir is not None else {}

    @cached_property
    def _repo(self) -> tuple[Path | None, dict[str, list[Path]]]:
        from tf_checks.scripts.jobio import file_index, repo_root
        if self.tf_dir is None:
            return None, {}
        root = repo_root(self.tf_dir)
        return root, (file_index(root) if root is not None else {})

    def locate(self, url: str) -> "Located":
        """The local file behind S3 object ``url``: uploaded by the plan (source/content), else
        found by file name in ``--scripts``, the Terraform directory or its repository (when
        exactly one file there has that name)."""
        if url in self._located:
            return self._located[url]
        obj, path, why = self.object_file(url)
        if path is not None:
            got = Located(path, f"uploaded by {obj.address}" if obj else "", None, obj)
        else:
            base = url.rstrip("/").rsplit("/", 1)[-1]
            key = url.split("://", 1)[-1].split("/", 1)[-1]
            tried = [why or ""]
            got = Located(None, "", None, obj)
            for label, index, root in (("--scripts", self._scripts_index, self.scripts_dir),
                                       ("the Terraform directory", self._tf_index, self.tf_dir),
                                       ("the repository", self._repo[1], self._repo[0])):
                if root is None:
                    continue
                cands = index.get(base, [])
                if len(cands) > 1:  # prefer the one whose path ends like the object key
                    exact = [c for c in cands if c.as_posix().endswith("/" + key)]
                    cands = exact if len(exact) == 1 else cands
                if len(cands) == 1:
                    rel = _rel(cands[0], root)
                    got = Located(cands[0], f"found by name in {label}: {rel} (uploaded outside "
                                            "Terraform)" if obj is None else
                                  f"found by name in {label}: {rel}", None, obj)
                    break
                tried.append(f"{len(cands)} files named {base} in {label}" if cands
                             else f"no {base} in {label}")
            if got.path is None:
                got = Located(None, "", "; ".join(t for t in tried if t), obj)
        self._located[url] = got
        return got

    def script_info(self, url: str, libraries: dict[str, Path] | None = None,
                    provided: Any = None) -> ScriptInfo | None:
        """The script behind ``url`` (see :meth:`locate`); ``libraries``: module name -> local
        file of each ``.py`` module the job ships with ``--extra-py-files``."""
        key = (url, tuple(sorted((libraries or {}).items())), id(provided))
        if key in self._script_cache:
            return self._script_cache[key]
        path = self.locate(url).path
        info = None if path is None else parse_script(path, libraries, provided)
        self._script_cache[key] = info
        return info


@dataclass(frozen=True)
class Located:
    path: Path | None
    how: str
    why: str | None
    obj: Resource | None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)

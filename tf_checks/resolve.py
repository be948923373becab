"""Resolving values that are unknown at plan time.

Why: a crawler's ``role = aws_iam_role.r.arn`` or a policy that interpolates
``aws_s3_bucket.x.arn`` is *unknown* in the plan when the bucket or role is created by the same
apply, yet what it will be is fully determined by values that are known (the planned bucket
name, the role name). Checkov and friends see a reference string there and either pass or give
up; we rebuild the value:

1. a known planned value is used as is;
2. with the Terraform source (``--tf-dir`` or a directory input) the attribute's expression is
   parsed (:mod:`tf_checks.hclsrc`) and evaluated with the planned values of what it references;
3. without the source, an attribute whose configuration is a single reference
   (``references == ["aws_iam_role.r.arn", "aws_iam_role.r"]``) takes that attribute's value;
4. attributes of referenced resources that are themselves unknown are *derived* from their known
   parts by :data:`DERIVED` (``aws_s3_bucket.arn = arn:aws:s3:::<bucket>``,
   ``aws_iam_role.arn = arn:aws:iam::<account>:role<path><name>``, ``data.aws_iam_policy_document
   .json`` rebuilt from its statements, ...).

Whatever is still unknown raises :class:`~tf_checks.hclsrc.Unresolved`; rules turn that into
``LG-RESOLVE-001 cannot verify`` (fail closed), never into a pass.

The account id is symbolic when unknown: :data:`ACCOUNT` (shared with
:mod:`tf_checks.requirements`, so required and granted ARNs use the same placeholder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from tf_checks.hclsrc import ModuleSource, Scope, Unresolved, evaluate_hcl_value, load_module_source
from tf_checks.loader import strip_indexes
from tf_checks.model import Plan, Resource

try:  # keep one convention for the symbolic account id
    from tf_checks.requirements import ACCOUNT as ACCOUNT  # type: ignore[attr-defined]
except Exception:  # noqa: BLE001 - requirements not landed or has no constant
    ACCOUNT = "${account_id}"

_MISSING = object()


def _contains_unknown(marks: Any) -> bool:
    if marks is True:
        return True
    if isinstance(marks, dict):
        return any(_contains_unknown(v) for v in marks.values())
    if isinstance(marks, list):
        return any(_contains_unknown(v) for v in marks)
    return False


def _unknown_at(marks: Any, steps: list[Any]) -> bool:
    """True when the value at ``steps`` is (partly) unknown according to ``after_unknown``."""
    for step in steps:
        if marks is True:
            return True
        if isinstance(marks, dict) and isinstance(step, str):
            marks = marks.get(step)
        elif isinstance(marks, list) and isinstance(step, int) and 0 <= step < len(marks):
            marks = marks[step]
        else:
            return False
    return _contains_unknown(marks)


def _mask_unknown(value: Any, marks: Any) -> Any:
    """``value`` with every leaf that ``marks`` flags as unknown replaced by None."""
    if marks is True:
        return None
    if isinstance(value, dict) and isinstance(marks, dict):
        out = dict(value)
        for k, m in marks.items():
            out[k] = _mask_unknown(value.get(k), m)
        return out
    if isinstance(value, list) and isinstance(marks, list):
        return [_mask_unknown(v, marks[i]) if i < len(marks) else v for i, v in enumerate(value)]
    return value


def build_policy_document(statements: list[dict[str, Any]], version: str | None = None) -> str:
    """The IAM JSON of ``aws_iam_policy_document`` statements (provider field names)."""
    out = []
    for i, st in enumerate(statements):
        if not isinstance(st, dict):
            raise Unresolved(f"statement {i} is not an object")
        doc: dict[str, Any] = {}
        if st.get("sid"):
            doc["Sid"] = st["sid"]
        doc["Effect"] = st.get("effect") or "Allow"
        for src, dst in (("actions", "Action"), ("not_actions", "NotAction"),
                         ("resources", "Resource"), ("not_resources", "NotResource")):
            val = st.get(src)
            if val:
                if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
                    raise Unresolved(f"statement {i} {src} is not a list of strings")
                doc[dst] = sorted(set(val))
        conds: dict[str, dict[str, list[str]]] = {}
        for c in st.get("condition") or []:
            if not isinstance(c, dict):
                raise Unresolved(f"statement {i} condition is malformed")
            conds.setdefault(str(c.get("test")), {})[str(c.get("variable"))] = list(c.get("values") or [])
        if conds:
            doc["Condition"] = conds
        out.append(doc)
    return json.dumps({"Version": version or "2012-10-17", "Statement": out})


# Attributes that are, in practice, a plain reference to another resource's attribute.
REFERENCE_ATTRS = frozenset({
    "role", "role_arn", "policy_arn", "bucket", "database_name", "workflow_name", "policy",
    "assume_role_policy", "name",
})


class Resolver:
    """Resolves attribute values of plan resources (see the module docstring)."""

    def __init__(self, plan: Plan, tf_dir: Path | None = None) -> None:
        self.plan = plan
        self.tf_dir = tf_dir if tf_dir is not None else plan.tf_dir
        self._cache: dict[tuple[str, str], Any] = {}
        self._active: set[tuple[str, str]] = set()
        self._sources: dict[str, ModuleSource | None] = {}

    # ---------------------------------------------------------------- public API
    def value(self, res: Resource, attr: str) -> Any:
        """The after-apply value of top-level ``attr`` of ``res``; raises Unresolved."""
        key = (res.address, attr)
        hit = self._cache.get(key, _MISSING)
        if hit is not _MISSING:
            if isinstance(hit, Unresolved):
                raise hit
            return hit
        if key in self._active:
            raise Unresolved(f"{res.address}.{attr} depends on itself")
        self._active.add(key)
        try:
            val = self._value(res, attr)
        except Unresolved as err:
            self._cache[key] = err
            raise
        finally:
            self._active.discard(key)
        self._cache[key] = val
        return val

    def try_value(self, res: Resource, attr: str) -> tuple[Any, str | None]:
        """``(value, None)`` or ``(None, reason)``."""
        try:
            return self.value(res, attr), None
        except Unresolved as err:
            return None, str(err)

    def is_resolved_from_source(self) -> bool:
        return self.tf_dir is not None

    # ---------------------------------------------------------------- internals
    def _value(self, res: Resource, attr: str) -> Any:
        if attr in res.values and not _contains_unknown(res.after_unknown.get(attr)):
            val = res.values[attr]
            if val is not None or attr not in DERIVED.get(res.kind, {}):
                return val
        marks = res.after_unknown.get(attr)
        if attr in res.values and isinstance(res.values[attr], (list, dict)) and marks is not True \
                and _contains_unknown(marks):
            # Partly unknown (e.g. a job's command.runtime): the source gives the whole value;
            # without it, unknown leaves read as None, which rules treat as "cannot verify".
            if self.tf_dir is not None:
                try:
                    return self._from_source(res, attr)
                except Unresolved:
                    pass
            return _mask_unknown(res.values[attr], marks)
        derive = DERIVED.get(res.kind, {}).get(attr)
        source_err: Unresolved | None = None
        if self.tf_dir is not None:
            try:
                return self._from_source(res, attr)
            except Unresolved as err:
                source_err = err
        if derive is not None:
            try:
                return derive(self, res)
            except Unresolved:
                pass
        refs = res.refs(attr)
        if refs and source_err is None and len(refs) <= 2 and attr in REFERENCE_ATTRS:
            # Without the source we only trust a *single* reference (Terraform lists it as
            # [X.attr, X]); a repeated or mixed list means interpolation or a larger expression.
            target_ref = refs[0]
            base = target_ref.rsplit(".", 1)[0]
            if len(refs) == 1 or refs[1] == base:
                if attr != "policy" or target_ref.endswith((".json", ".minified_json")):
                    return self._resolve_ref(res, target_ref)
        if source_err is not None:
            raise Unresolved(f"{res.address}.{attr}: {source_err}")
        if refs:
            raise Unresolved(f"{res.address}.{attr} is unknown until apply and is built from "
                             f"{', '.join(sorted(set(refs))[:4])}; give the Terraform directory "
                             "(--tf-dir) so the expression can be evaluated")
        raise Unresolved(f"{res.address}.{attr} is unknown until apply")

    def _resolve_ref(self, res: Resource, ref: str) -> Any:
        """Value of one configuration reference like ``aws_iam_role.r.arn`` seen from ``res``."""
        parts = ref.split(".")
        if parts[0] in ("var", "local", "path", "each", "count", "module"):
            raise Unresolved(f"{ref} is not resolved without the Terraform source")
        if parts[0] == "data":
            addr, rest = ".".join(parts[:3]), parts[3:]
        else:
            addr, rest = ".".join(parts[:2]), parts[2:]
        if not rest:
            raise Unresolved(f"{ref} refers to a whole resource")
        attr = rest[0]
        key = None
        if "[" in attr:
            attr, _, idx = attr.partition("[")
            idx = idx.rstrip("]")
            key = json.loads(idx) if idx else None
        return self._resource_attr(res.module, addr, key, [attr] + rest[1:])

    def _resource_attr(self, module: str, addr: str, key: Any, steps: list[Any]) -> Any:
        full = f"{module}.{addr}" if module else addr
        if key is not None:
            full += f"[{json.dumps(key)}]"
        target = self.plan.get(full)
        if target is None:
            raise Unresolved(f"{full} is not in the plan")
        if not steps:
            raise Unresolved(f"{full} is used as a whole object")
        val = self.value(target, steps[0])
        for step in steps[1:]:
            if isinstance(val, dict) and step in val:
                val = val[step]
            elif isinstance(val, list) and isinstance(step, int) and 0 <= step < len(val):
                val = val[step]
            else:
                raise Unresolved(f"cannot read {step!r} of {full}.{steps[0]}")
        return val

    # ---------------------------------------------------------------- source evaluation
    def _module_source(self, module: str) -> ModuleSource | None:
        mkey = strip_indexes(module)
        if mkey in self._sources:
            return self._sources[mkey]
        src: ModuleSource | None = None
        if self.tf_dir is not None:
            directory = self._module_dir(mkey)
            if directory is not None and directory.is_dir():
                src = load_module_source(directory)
        self._sources[mkey] = src
        return src

    def _module_dir(self, mkey: str) -> Path | None:
        assert self.tf_dir is not None
        if not mkey:
            return self.tf_dir
        parent = mkey.rsplit(".module.", 1)[0] if ".module." in mkey else ""
        parent_dir = self._module_dir(parent)
        source = self.plan.module_sources.get(mkey)
        if parent_dir is None or not source or not source.startswith(("./", "../")):
            return None
        return (parent_dir / source).resolve()

    def _scope(self, module: str, res: Resource | None) -> Scope:
        src = self._module_source(module)
        if src is None:
            raise Unresolved(f"no Terraform source for module {module or 'root'}")
        variables = self._variables(module, src)

        def resource(addr: str, key: Any, steps: list[Any]) -> Any:
            return self._resource_attr(module, addr, key, steps)

        scope = Scope(variables, src.locals, resource, module_path=".")
        if res is not None and res.index is not None:
            if isinstance(res.index, int) and not isinstance(res.index, bool):
                scope.count_index = res.index
            body = src.resources.get(_local_kind(res))
            scope.each_key = res.index
            if body is not None and "for_each" in body:
                try:
                    coll = evaluate_hcl_value(body["for_each"], Scope(variables, src.locals, resource))
                    if isinstance(coll, dict):
                        scope.each_value = coll.get(res.index)
                    elif isinstance(coll, list):
                        scope.each_value = res.index
                except Unresolved:
                    pass
        return scope

    def _variables(self, module: str, src: ModuleSource) -> dict[str, Any]:
        if not module:
            out: dict[str, Any] = {}
            for k, v in src.variables.items():
                try:
                    out[k] = evaluate_hcl_value(v, Scope({}, {}, _no_resources))
                except Unresolved:
                    pass
            out.update(self.plan.variables)
            return out
        parent = module.rsplit(".module.", 1)[0] if ".module." in module else ""
        name = _module_call_name(module)
        psrc = self._module_source(parent)
        out = {}
        for k, v in src.variables.items():
            try:
                out[k] = evaluate_hcl_value(v, Scope({}, {}, _no_resources))
            except Unresolved:
                pass
        if psrc is not None and name in psrc.module_calls:
            pscope = self._scope(parent, None)
            for k, v in psrc.module_calls[name].items():
                if k in ("source", "version", "providers", "count", "for_each", "depends_on",
                         "__is_block__"):
                    continue
                try:
                    out[k] = evaluate_hcl_value(v, pscope)
                except Unresolved:
                    out.pop(k, None)
        return out

    def _from_source(self, res: Resource, attr: str) -> Any:
        src = self._module_source(res.module)
        if src is None:
            raise Unresolved(f"no Terraform source for {res.address}")
        body = src.resources.get(_local_kind(res))
        if body is None:
            raise Unresolved(f"{_local_kind(res)} is not in the Terraform source")
        if res.kind == "data.aws_iam_policy_document" and attr in ("json", "minified_json"):
            scope = self._scope(res.module, res)
            if any(k in body for k in ("source_policy_documents", "override_policy_documents",
                                       "source_json", "override_json", "dynamic")):
                raise Unresolved(f"{res.address} merges other documents; not resolved")
            stmts = evaluate_hcl_value(body.get("statement", []), scope)
            version = evaluate_hcl_value(body["version"], scope) if "version" in body else None
            return build_policy_document(stmts if isinstance(stmts, list) else [stmts], version)
        if attr not in body:
            raise Unresolved(f"{res.address}.{attr} is computed by the provider")
        return evaluate_hcl_value(body[attr], self._scope(res.module, res))


def _no_resources(addr: str, key: Any, steps: list[Any]) -> Any:
    raise Unresolved("variable defaults cannot reference resources")


def _local_kind(res: Resource) -> str:
    return f"data.{res.type}.{res.name}" if res.mode == "data" else f"{res.type}.{res.name}"


def _module_call_name(module: str) -> str:
    last = module.rsplit("module.", 1)[-1]
    return last.split("[", 1)[0]


# ---------------------------------------------------------------- derivations

def _bucket_name(r: Resolver, res: Resource) -> str:
    name = r.value(res, "bucket")
    if not isinstance(name, str) or not name:
        raise Unresolved(f"{res.address}.bucket is unknown")
    return name


def _name(r: Resolver, res: Resource) -> str:
    name = r.value(res, "name")
    if not isinstance(name, str) or not name:
        raise Unresolved(f"{res.address}.name is unknown")
    return name


def _iam_arn(kind: str) -> Callable[[Resolver, Resource], str]:
    def derive(r: Resolver, res: Resource) -> str:
        name = _name(r, res)
        path = res.values.get("path") if isinstance(res.values.get("path"), str) else "/"
        return f"arn:aws:iam::{ACCOUNT}:{kind}{path}{name}"
    return derive


def _policy_doc_json(r: Resolver, res: Resource) -> str:
    if any(res.values.get(k) for k in ("source_policy_documents", "override_policy_documents",
                                         "source_json", "override_json")):
        raise Unresolved(f"{res.address} merges other documents; not resolved")
    if _contains_unknown(res.after_unknown.get("statement")):
        raise Unresolved(f"{res.address} has statements unknown until apply")
    stmts = res.values.get("statement")
    if not isinstance(stmts, list):
        raise Unresolved(f"{res.address}.statement is missing")
    version = res.values.get("version") if isinstance(res.values.get("version"), str) else None
    return build_policy_document(stmts, version)


DERIVED: dict[str, dict[str, Callable[[Resolver, Resource], Any]]] = {
    "aws_s3_bucket": {
        "arn": lambda r, res: f"arn:aws:s3:::{_bucket_name(r, res)}",
        "id": _bucket_name,
        "bucket": lambda r, res: _raise(f"{res.address}.bucket is unknown (bucket_prefix?)"),
    },
    "aws_iam_role": {"arn": _iam_arn("role"), "id": _name},
    "aws_iam_policy": {"arn": _iam_arn("policy"), "id": _iam_arn("policy")},
    "aws_glue_catalog_database": {"id": lambda r, res: f"{ACCOUNT}:{_name(r, res)}"},
    "aws_glue_job": {"id": _name},
    "aws_glue_crawler": {"id": _name},
    "aws_glue_workflow": {"id": _name},
    "aws_glue_trigger": {"id": _name},
    "aws_s3_object": {"id": lambda r, res: r.value(res, "key")},
    "data.aws_iam_policy_document": {"json": _policy_doc_json, "minified_json": _policy_doc_json},
    "data.aws_caller_identity": {"account_id": lambda r, res: ACCOUNT},
}


def _raise(msg: str) -> Any:
    raise Unresolved(msg)

"""Resolving values that are unknown at plan time.

Why: a crawler's ``role = aws_iam_role.r.arn`` or a policy that interpolates
``aws_s3_bucket.x.arn`` is *unknown* in the plan when the bucket or role is created by the same
apply, yet what it will be is fully determined by values that are known (the planned bucket
name, the role name). Checkov and friends see a reference string there and either pass or give
up; we rebuild the value, in this order:

1. a known planned value is used as is (partly unknown maps/blocks keep their known leaves);
2. an attribute the provider computes (``arn``, ``id``, ...) is built from the resource's other
   attributes with the templates of ``tf_checks/data/computed_attributes.json`` (each with its
   provider documentation source) and the region/account of the resource's provider
   configuration (:meth:`Resolver.region_of`, :meth:`Resolver.account_of`);
3. with the Terraform source (``--tf-dir`` or a directory input) a configured attribute is
   evaluated the way Terraform does by ``tfparse`` (:mod:`tf_checks.tfeval`: modules, locals,
   variables, count/for_each, operators, conditionals, ``for``, functions); the references it
   cannot compute come back as block ids and are substituted with steps 1-2. When tfparse's value
   is not trustworthy (see :mod:`tf_checks.tfeval`), :mod:`tf_checks.hclsrc` evaluates the
   expression with the same substitution;
4. without the source, an attribute whose configuration is a single reference
   (``references == ["aws_iam_role.r.arn", "aws_iam_role.r"]``) takes that attribute's value.

**An unknown value makes unverifiable only what depends on it**: a part that stays unknown is
the placeholder ``${unknown:<address>.<attr>}`` (:func:`tf_checks.tfeval.unknown`) inside the
value -- one Secrets Manager ARN in ``default_arguments`` leaves every other argument known, one
unknown statement resource leaves the rest of the policy evaluable (the IAM evaluator treats
the placeholder like any plan-time unknown). :class:`~tf_checks.hclsrc.Unresolved` is raised
only when no value at all can be given; rules turn it into ``LG-RESOLVE-001`` (fail closed).

The account id is symbolic when unknown: :data:`ACCOUNT` (shared with
:mod:`tf_checks.requirements`, so required and granted ARNs use the same placeholder); the region
likewise :data:`REGION`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources as _resources
from pathlib import Path
from typing import Any, Callable

from tf_checks.hclsrc import ModuleSource, Scope, Unresolved, evaluate_hcl_value, load_module_source
from tf_checks.loader import strip_indexes
from tf_checks.model import Plan, Resource
from tf_checks.tfeval import Evaluation, has_unknown, is_unclean, strip_block, unknown, unknowns_in

try:  # keep one convention for the symbolic account id
    from tf_checks.requirements import ACCOUNT as ACCOUNT  # type: ignore[attr-defined]
except Exception:  # noqa: BLE001 - requirements not landed or has no constant
    ACCOUNT = "${account_id}"
REGION = "${region}"
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ARN_ACCOUNT_RE = re.compile(r"arn:aws[a-z-]*:(?:iam|glue|logs|s3|sts)::?(?:[a-z0-9-]*:)?(\d{12}):")

__all__ = ["ACCOUNT", "REGION", "Resolver", "Unresolved", "build_policy_document",
           "computed_attributes", "has_unknown", "unknown", "unknowns_in"]
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
    "assume_role_policy", "name", "permissions_boundary", "role_name", "policy_arns",
    "policy_names",
})


@lru_cache(maxsize=1)
def computed_attributes() -> dict[str, dict[str, Any]]:
    """``tf_checks/data/computed_attributes.json`` -> {kind: {"attributes", "defaults", "source"}}."""
    raw = _resources.files("tf_checks.data").joinpath("computed_attributes.json").read_text()
    entries = json.loads(raw)["resources"]
    for kind, e in entries.items():
        if not str(e.get("source", "")).startswith("https://"):
            raise ValueError(f"computed_attributes.json: {kind} lacks an https source")
    return entries


_FIELD_RE = re.compile(r"\{([a-z_]+)\}")


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Resolver:
    """Resolves attribute values of plan resources (see the module docstring).

    ``account_id``: the account to assume when the plan does not know it (``--account-id`` /
    ``lakegate.toml [gate] account_id``)."""

    def __init__(self, plan: Plan, tf_dir: Path | None = None, *, account_id: str | None = None) -> None:
        self.plan = plan
        self.tf_dir = tf_dir if tf_dir is not None else plan.tf_dir
        self.account_hint = account_id
        self._cache: dict[tuple[str, str], Any] = {}
        self._active: set[tuple[str, str]] = set()
        self._sources: dict[str, ModuleSource | None] = {}
        self._evaluation: Evaluation | None = None
        self._evaluated = False
        self._account: str | None = None
        self._regions: dict[str, str] = {}
        self._attr_index: dict[tuple[str, str], set[str]] | None = None
        # unknown values already reported as LG-RESOLVE (rules report each one once)
        self.reported: set[str] = set()
        self.iam_snapshot: Path | None = None   # --iam-snapshot / [gate] iam_snapshot

    # ---------------------------------------------------------------- public API
    def value(self, res: Resource, attr: str) -> Any:
        """The after-apply value of top-level ``attr`` of ``res``; raises Unresolved.

        Parts that stay unknown are ``${unknown:...}`` placeholders (see module docstring)."""
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

    def value_or_unknown(self, res: Resource, attr: str) -> Any:
        """Like :meth:`value`, but a wholly unknown value is its placeholder."""
        try:
            return self.value(res, attr)
        except Unresolved:
            return unknown(f"{res.address}.{attr}")

    def is_resolved_from_source(self) -> bool:
        return self.tf_dir is not None

    # ---------------------------------------------------------------- region / account
    def account_of(self, res: Resource | None = None) -> str:
        """The account the resource lives in: a known ``data.aws_caller_identity``, the plan's
        ``account_id`` variable, the one account named by the ARNs of known IAM/Glue resources
        (plan values and prior state), ``--account-id`` / ``[gate] account_id``; else
        :data:`ACCOUNT` (symbolic). One account per plan (providers assuming roles into other
        accounts are not modelled)."""
        if self._account is None:
            self._account = self._find_account()
        return self._account

    def _find_account(self) -> str:
        for res in self.plan.of("data.aws_caller_identity", live=False):
            val = res.values.get("account_id")
            if isinstance(val, str) and _ACCOUNT_RE.match(val):
                return val
        acct = self.plan.variables.get("account_id")
        if isinstance(acct, str) and _ACCOUNT_RE.match(acct):
            return acct
        seen: set[str] = set()
        for kind in ("aws_iam_role", "aws_iam_policy", "aws_glue_catalog_database", "aws_glue_job",
                     "aws_glue_crawler", "data.aws_iam_role", "data.aws_iam_policy"):
            for res in self.plan.of(kind, live=False):
                for src in (res.values, res.before or {}):
                    arn = src.get("arn")
                    if isinstance(arn, str):
                        m = _ARN_ACCOUNT_RE.match(arn)
                        if m:
                            seen.add(m.group(1))
        if len(seen) == 1:
            return seen.pop()
        if self.account_hint and _ACCOUNT_RE.match(self.account_hint):
            return self.account_hint
        return ACCOUNT

    def region_of(self, res: Resource) -> str:
        """The region of the provider configuration ``res`` uses (alias aware): its literal
        ``region``, the root variable or local it references, else :data:`REGION` (symbolic).
        A ``data.aws_region`` with a known name is used when the provider says nothing."""
        key = self._provider_key(res)
        hit = self._regions.get(key)
        if hit is None:
            hit = self._regions[key] = self._find_region(key)
        return hit

    def partition_of(self, res: Resource) -> str:
        region = self.region_of(res)
        return "aws" if region == REGION else _partition(region)

    def _provider_key(self, res: Resource) -> str:
        extra = self.plan.config_extra
        mod = strip_indexes(res.module)
        local = f"data.{res.type}.{res.name}" if res.mode == "data" else f"{res.type}.{res.name}"
        return (extra.get("provider_keys") or {}).get(f"{mod}.{local}" if mod else local, "aws")

    def _find_region(self, key: str) -> str:
        configs = self.plan.config_extra.get("provider_configs") or {}
        expr = configs.get(key)
        if expr is None and ":" in key:
            expr = configs.get(key.split(":", 1)[1])
        module = key.split(":", 1)[0] if ":" in key else ""
        region = (expr or {}).get("region") if isinstance(expr, dict) else None
        if isinstance(region, dict):
            const = region.get("constant_value")
            if isinstance(const, str) and const:
                return const
            refs = [r for r in region.get("references") or [] if isinstance(r, str)]
            if refs and not module:
                parts = refs[0].split(".")
                if parts[0] == "var" and len(parts) >= 2:
                    val = self.plan.variables.get(parts[1])
                    if isinstance(val, str) and val:
                        return val
                ev = self._tfparse()
                if parts[0] == "local" and len(parts) >= 2 and ev is not None:
                    blk = ev.block("locals")
                    val = blk.get(parts[1]) if blk else None
                    if isinstance(val, str) and val and not is_unclean(val):
                        return val
        for res in self.plan.of("data.aws_region", live=False):
            if self._provider_key(res) == key:
                val = res.values.get("name") or res.values.get("region")
                if isinstance(val, str) and val:
                    return val
        if not configs:  # a plan without configuration (or a state): the old convention
            val = self.plan.variables.get("region")
            if isinstance(val, str) and val:
                return val
        return REGION

    # ---------------------------------------------------------------- internals
    def _value(self, res: Resource, attr: str) -> Any:
        marks = res.after_unknown.get(attr)
        computed = computed_attributes().get(res.kind)
        template = (computed or {}).get("attributes", {}).get(attr)
        if attr in res.values and not _contains_unknown(marks):
            val = res.values[attr]
            if val is not None or template is None:
                return val
        if attr in res.values and isinstance(res.values[attr], (list, dict)) and marks is not True \
                and _contains_unknown(marks):
            # Partly unknown (a map with one unknown entry, a block with one computed field):
            # known leaves from the plan, unknown ones from the source, else placeholders.
            full: Any = _MISSING
            if self.tf_dir is not None:
                try:
                    full = self._from_source(res, attr)
                except Unresolved:
                    full = _MISSING
            return _merge_unknown(res.values[attr], marks, full, f"{res.address}.{attr}")
        configured = res.config is not None and attr in res.config
        source_err: Unresolved | None = None
        if self.tf_dir is not None and (configured or template is None or res.config is None):
            try:
                return self._from_source(res, attr)
            except Unresolved as err:
                source_err = err
        if template is not None and not configured:
            return self._compute(res, attr, template, computed or {})
        refs = res.refs(attr)
        if refs and len(refs) <= 2 and attr in REFERENCE_ATTRS:
            # Without the source we only trust a *single* reference (Terraform lists it as
            # [X.attr, X]); a repeated or mixed list means interpolation or a larger expression.
            target_ref = refs[0]
            base = target_ref.rsplit(".", 1)[0]
            if len(refs) == 1 or refs[1] == base:
                if attr != "policy" or target_ref.endswith((".json", ".minified_json")):
                    try:
                        return self._resolve_ref(res, target_ref)
                    except Unresolved:
                        if source_err is None:
                            raise
        if source_err is not None:
            raise Unresolved(f"{res.address}.{attr}: {source_err}")
        if refs:
            raise Unresolved(f"{res.address}.{attr} is unknown until apply and is built from "
                             f"{', '.join(sorted(set(refs))[:4])}; give the Terraform directory "
                             "(--tf-dir) so the expression can be evaluated")
        raise Unresolved(f"{res.address}.{attr} is unknown until apply")

    def _compute(self, res: Resource, attr: str, template: str, entry: dict[str, Any]) -> Any:
        """A provider-computed attribute from its template (unknown inputs -> placeholders)."""
        defaults = entry.get("defaults") or {}

        def field_value(name: str) -> str:
            if name == "account":
                return self.account_of(res)
            if name == "region":
                return self.region_of(res)
            if name == "partition":
                return self.partition_of(res)
            try:
                val = self.value(res, name)
            except Unresolved:
                val = None
            if val is None and name in defaults:
                return _FIELD_RE.sub(lambda m: field_value(m.group(1)), defaults[name])
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                return str(val)
            if not isinstance(val, str):
                return unknown(f"{res.address}.{name}")
            return val

        if template == "{" + template[1:-1] + "}" and _FIELD_RE.fullmatch(template):
            return field_value(template[1:-1])
        return _FIELD_RE.sub(lambda m: field_value(m.group(1)), template)

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
        if "[" in addr:
            addr, _, idx = addr.partition("[")
            key = json.loads(idx.rstrip("]")) if idx.rstrip("]") else None
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
        return _read_steps(self.value(target, steps[0]), steps[1:], f"{full}.{steps[0]}")

    def _placeholder_attr(self, module: str, addr: str, key: Any, steps: list[Any]) -> Any:
        """Like :meth:`_resource_attr`, but an attribute that stays unknown is its placeholder
        (the resource must be in the plan)."""
        try:
            return self._resource_attr(module, addr, key, steps)
        except Unresolved:
            full = f"{module}.{addr}" if module else addr
            if key is not None:
                full += f"[{json.dumps(key)}]"
            if self.plan.get(full) is None or not steps:
                raise
            return unknown(f"{full}." + ".".join(str(s) for s in steps))

    # ---------------------------------------------------------------- tfparse evaluation
    def _tfparse(self) -> Evaluation | None:
        if not self._evaluated:
            self._evaluated = True
            if self.tf_dir is not None and self.tf_dir.is_dir():
                self._evaluation = Evaluation(self.tf_dir, self.plan.variables)
        ev = self._evaluation
        return ev if ev is not None and ev.error is None else None

    def _from_tfparse(self, res: Resource, attr: str) -> Any:
        ev = self._tfparse()
        if ev is None:
            raise Unresolved("the configuration could not be evaluated")
        block = ev.block(res.address)
        if block is None:
            raise Unresolved(f"{res.address} is not in the evaluated configuration")
        if attr not in block:
            raise Unresolved(f"{res.address}.{attr} is computed by the provider")
        if ev.tainted(res.address):
            raise Unresolved(f"{res.address} depends on values the evaluator could not compute")
        value = strip_block(block[attr])
        if is_unclean(value):
            raise Unresolved(f"{res.address}.{attr} did not evaluate completely")
        misled = self._misleading_ref(res, attr, ev)
        if misled:
            raise Unresolved(f"{res.address}.{attr} reads {misled}, which the evaluator guesses")
        return self._substitute(res, attr, value, ev)

    def _misleading_ref(self, res: Resource, attr: str, ev: Evaluation) -> str | None:
        """A reference whose value Trivy's evaluator *guesses* instead of leaving it unknown.

        Trivy presets provider-computed attributes: ``id``/``arn`` of every block are the
        block's generated id (detected and substituted), except that every ``aws_s3_bucket*``
        type gets ``id = bucket`` (wrong for ``aws_s3_bucket_object``, whose id is its key) and
        ``aws_s3_bucket.arn = "arn:aws:s3:::" + bucket`` even when the bucket name itself is
        unknown (``bucket_prefix``). Such values are taken from our own computed attributes
        instead (the caller falls back to hclsrc)."""
        for mkey, local, rattr in self._resource_refs(res, attr):
            if local.startswith("data."):
                # data sources Trivy cannot read may get invented values (data.aws_region.x.name
                # = "current-region"): trust only an attribute it evaluated from configuration
                prefix = f"{mkey}." if mkey else ""
                for addr, blk in ev.blocks.items():
                    if strip_indexes(addr) == f"{prefix}{local}":
                        val = blk.get(rattr)
                        if val is None or (isinstance(val, str) and ev.uuids(val)):
                            return f"{local}.{rattr}"
                continue
            rtype = local.split(".")[0]
            if rtype.startswith("aws_s3_bucket") and rtype != "aws_s3_bucket" and rattr == "id":
                return f"{local}.id"
            # ``rattr == "*"``: the whole resource (``[for b in aws_s3_bucket.x : b.arn]``,
            # ``values(aws_s3_bucket.x)[*].arn``): its instances' id/arn are read in the body
            if rtype == "aws_s3_bucket" and rattr in ("id", "arn", "bucket", "*"):
                prefix = f"{mkey}." if mkey else ""
                for addr, blk in ev.blocks.items():
                    if strip_indexes(addr) == f"{prefix}{local}":
                        name = blk.get("bucket")
                        # a name Trivy could not compute (unknown account id, bucket_prefix):
                        # it still invents "arn:aws:s3:::" + "" for the ARN
                        if not isinstance(name, str) or ev.uuids(name) or is_unclean(name):
                            return f"{local}.{rattr}" if rattr != "*" else f"{local} (its instances' names)"
        return None

    def _resource_refs(self, res: Resource, attr: str) -> list[tuple[str, str, str]]:
        """(module key, ``type.name`` / ``data.type.name``, attribute) of every resource
        attribute the expression of ``res.attr`` reads, through module outputs and inputs."""
        out: list[tuple[str, str, str]] = []
        extra = self.plan.config_extra
        outputs = extra.get("outputs") or {}
        margs = extra.get("module_args") or {}

        def walk(refs: list[str], mkey: str, depth: int) -> None:
            if depth > 20:
                return
            for ref in refs:
                parts = _split_ref(ref)
                if parts[:1] == ["module"] and len(parts) >= 3:
                    child = f"{mkey}.module.{parts[1]}" if mkey else f"module.{parts[1]}"
                    expr = outputs.get(f"{child}.output.{parts[2]}")
                    if expr is not None:
                        walk(_refs_of(expr), child, depth + 1)
                elif parts[:1] == ["var"] and mkey and len(parts) >= 2:
                    expr = (margs.get(mkey) or {}).get(parts[1])
                    if expr is not None:
                        walk(_refs_of(expr), mkey.rsplit(".module.", 1)[0] if ".module." in mkey else "",
                             depth + 1)
                elif parts[:1] == ["data"] and len(parts) >= 4:
                    out.append((mkey, f"data.{parts[1]}.{parts[2]}", parts[3]))
                elif parts and parts[0] not in ("var", "local", "each", "count", "path", "self", "module",
                                                "data") and len(parts) >= 3:
                    out.append((mkey, f"{parts[0]}.{parts[1]}", parts[2]))
                elif parts and parts[0] not in ("var", "local", "each", "count", "path", "self", "module",
                                                "data") and len(parts) == 2:
                    # the whole resource (a for expression or splat over its instances)
                    out.append((mkey, f"{parts[0]}.{parts[1]}", "*"))

        walk(_refs_of((res.config or {}).get(attr)), strip_indexes(res.module), 0)
        return out

    def _substitute(self, res: Resource, attr: str, value: Any, ev: Evaluation) -> Any:
        """Replace tfparse's block ids (references it could not compute) by their values."""
        if isinstance(value, str):
            ids = ev.uuids(value)
            if not ids:
                return value
            if len(ids) == 1 and value == ids[0]:
                return self._block_ref_value(res, attr, ev.by_id[ids[0]], ev)
            out = value
            for bid in ids:
                val = self._block_ref_value(res, attr, ev.by_id[bid], ev)
                if not isinstance(val, (str, int, float)) or isinstance(val, bool):
                    val = unknown(ev.by_id[bid])
                out = out.replace(bid, str(val))
            return out
        if isinstance(value, dict):
            return {k: self._substitute(res, attr, v, ev) for k, v in value.items()}
        if isinstance(value, list):
            return [self._substitute(res, attr, v, ev) for v in value]
        return value

    def _block_ref_value(self, res: Resource, attr: str, target_addr: str, ev: Evaluation) -> Any:
        """The value of ``<target_addr>.<attribute>`` that ``res.attr`` references (the
        attribute is found through the configuration's references)."""
        target = self.plan.get(target_addr)
        attrs = self._ref_attrs(res, attr, target_addr)
        block = ev.block(target_addr)
        if block is not None and len(attrs) > 1:
            # the block id stands for an attribute Trivy could not compute: not one it has
            attrs = {a for a in attrs if a not in block or (isinstance(block[a], str) and ev.uuids(block[a]))}
        if target is None or not attrs:
            return unknown(target_addr)
        values = []
        for a in sorted(attrs):
            values.append(self.value_or_unknown(target, a))
        if all(v == values[0] for v in values):
            return values[0]
        return unknown(f"{target_addr}.{'|'.join(sorted(attrs))}")

    def _ref_attrs(self, res: Resource, attr: str, target_addr: str) -> set[str]:
        """Which attribute(s) of block ``target_addr`` the expression of ``res.attr`` reads,
        following module outputs and module inputs through the plan's configuration."""
        tmod, tlocal = _split_address(target_addr)
        tmkey = strip_indexes(tmod)
        tlocal = strip_indexes(tlocal)
        found: set[str] = set()
        incomplete = False
        extra = self.plan.config_extra
        outputs = extra.get("outputs") or {}
        margs = extra.get("module_args") or {}

        def walk(refs: list[str], mkey: str, depth: int) -> None:
            nonlocal incomplete
            if depth > 20:
                return
            for ref in refs:
                parts = _split_ref(ref)
                if not parts:
                    continue
                if parts[0] == "module" and len(parts) >= 3:
                    child = f"{mkey}.module.{parts[1]}" if mkey else f"module.{parts[1]}"
                    expr = outputs.get(f"{child}.output.{parts[2]}")
                    if expr is None:
                        incomplete = True
                    else:
                        walk(_refs_of(expr), child, depth + 1)
                elif parts[0] == "var" and mkey and len(parts) >= 2:
                    expr = (margs.get(mkey) or {}).get(parts[1])
                    parent = mkey.rsplit(".module.", 1)[0] if ".module." in mkey else ""
                    if expr is None:
                        incomplete = True
                    else:
                        walk(_refs_of(expr), parent, depth + 1)
                elif parts[0] in ("local", "each"):
                    incomplete = True
                elif parts[0] == "data" and len(parts) >= 4:
                    if mkey == tmkey and f"data.{parts[1]}.{parts[2]}" == tlocal:
                        found.add(parts[3])
                elif parts[0] not in ("var", "count", "path", "self", "module", "data") and len(parts) >= 3:
                    if mkey == tmkey and f"{parts[0]}.{parts[1]}" == tlocal:
                        found.add(parts[2])

        walk(_refs_of((res.config or {}).get(attr)), strip_indexes(res.module), 0)
        if found and not incomplete:
            return found
        if self._attr_index is None:
            self._attr_index = self._build_attr_index()
        return found | self._attr_index.get((tmkey, tlocal), set())

    def _build_attr_index(self) -> dict[tuple[str, str], set[str]]:
        """(module key, ``type.name``) -> every attribute of it the configuration references."""
        out: dict[tuple[str, str], set[str]] = {}
        seen: set[int] = set()

        def add(mkey: str, refs: list[str]) -> None:
            for ref in refs:
                parts = _split_ref(ref)
                if len(parts) >= 4 and parts[0] == "data":
                    out.setdefault((mkey, f"data.{parts[1]}.{parts[2]}"), set()).add(parts[3])
                elif len(parts) >= 3 and parts[0] not in ("var", "local", "module", "each", "count",
                                                          "path", "self", "data"):
                    out.setdefault((mkey, f"{parts[0]}.{parts[1]}"), set()).add(parts[2])

        for res in self.plan.resources:
            if res.config is None or id(res.config) in seen:
                continue
            seen.add(id(res.config))
            add(strip_indexes(res.module), _refs_of(res.config))
        extra = self.plan.config_extra
        for key, expr in (extra.get("outputs") or {}).items():
            add(key.rsplit(".output.", 1)[0] if ".output." in key else "", _refs_of(expr))
        for key, args in (extra.get("module_args") or {}).items():
            add(key.rsplit(".module.", 1)[0] if ".module." in key else "", _refs_of(args))
        return out

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
            return self._placeholder_attr(module, addr, key, steps)

        def module_output(name: str, key: Any, steps: list[Any]) -> Any:
            return self._module_output(module, name, key, steps)

        scope = Scope(variables, src.locals, resource, module_path=".", module_output=module_output)
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

    def _module_output(self, module: str, name: str, key: Any, steps: list[Any]) -> Any:
        """``module.<name>[key].<output>`` seen from ``module``, from the tfparse evaluation."""
        ev = self._tfparse()
        if ev is None or not steps:
            raise Unresolved(f"module.{name} outputs are not evaluated")
        inst = f"{module}.module.{name}" if module else f"module.{name}"
        if key is not None:
            inst += f"[{json.dumps(key)}]"
        ok, raw = ev.output(inst, str(steps[0]))
        if not ok:
            raise Unresolved(f"{inst}.{steps[0]} is not an evaluated output")
        addr = f"{inst}.output.{steps[0]}"
        if ev.tainted(addr) or is_unclean(raw):
            raise Unresolved(f"{inst}.{steps[0]} did not evaluate completely")
        expr = (self.plan.config_extra.get("outputs") or {}).get(
            f"{strip_indexes(inst)}.output.{steps[0]}")
        probe = Resource(address=addr, mode="managed", type="output", name=str(steps[0]),
                         module=inst, index=None, values={}, config={"value": expr} if expr else {})
        misled = self._misleading_ref(probe, "value", ev)
        if misled:
            raise Unresolved(f"{inst}.{steps[0]} reads {misled}, which the evaluator guesses")
        return _read_steps(self._substitute(probe, "value", strip_block(raw), ev), steps[1:],
                           f"{inst}.{steps[0]}")

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
        ev = self._tfparse()
        mblock = ev.block(module) if ev is not None else None
        if mblock is not None and not ev.tainted(module):  # type: ignore[union-attr]
            for k, v in mblock.items():
                if k in ("source", "version", "providers", "count", "for_each", "depends_on",
                         "id", "__tfmeta"):
                    continue
                v = strip_block(v)
                if not is_unclean(v):
                    out[k] = v
            return out
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
        is_doc = res.kind == "data.aws_iam_policy_document" and attr in ("json", "minified_json")
        try:
            if is_doc:
                return self._policy_document_from_tfparse(res)
            return self._from_tfparse(res, attr)
        except Unresolved as err:
            tf_err = err
        try:
            return self._from_hclsrc(res, attr)
        except Unresolved as err:
            if "computed by the provider" in str(tf_err) and "computed by the provider" not in str(err):
                raise
            raise Unresolved(f"{err}" if self._tfparse() is None else f"{tf_err}; {err}") from None

    def _policy_document_from_tfparse(self, res: Resource) -> str:
        ev = self._tfparse()
        block = ev.block(res.address) if ev is not None else None
        if block is None:
            raise Unresolved(f"{res.address} is not in the evaluated configuration")
        if any(k in block for k in ("source_policy_documents", "override_policy_documents",
                                    "source_json", "override_json")):
            raise Unresolved(f"{res.address} merges other documents; not resolved")
        stmts = self._from_tfparse(res, "statement") if "statement" in block else []
        version = block.get("version") if isinstance(block.get("version"), str) else None
        return build_policy_document(_as_statements(stmts), version)

    def _from_hclsrc(self, res: Resource, attr: str) -> Any:
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
            return build_policy_document(_as_statements(stmts), version)
        if attr not in body:
            raise Unresolved(f"{res.address}.{attr} is computed by the provider")
        return evaluate_hcl_value(body[attr], self._scope(res.module, res))


def _as_statements(stmts: Any) -> list[Any]:
    if isinstance(stmts, dict):
        return [stmts]
    if isinstance(stmts, list):
        return stmts
    raise Unresolved("statement blocks did not evaluate")


def _merge_unknown(value: Any, marks: Any, full: Any, where: str) -> Any:
    """Known leaves of ``value``; leaves ``marks`` flags unknown from ``full`` (the evaluated
    whole value) or, without it, the placeholder ``${unknown:<where>...}``."""
    if marks is True:
        if full is _MISSING or full is None:
            return unknown(where)
        return full
    if isinstance(value, dict) and isinstance(marks, dict):
        out = dict(value)
        fdict = full if isinstance(full, dict) else {}
        for k, m in marks.items():
            out[k] = _merge_unknown(value.get(k), m, fdict.get(k, _MISSING), f'{where}["{k}"]')
        return out
    if isinstance(value, list) and isinstance(marks, list):
        flist = full if isinstance(full, list) and len(full) == len(value) else None
        return [_merge_unknown(v, marks[i], flist[i] if flist is not None else _MISSING, f"{where}[{i}]")
                if i < len(marks) else v for i, v in enumerate(value)]
    return value


def _split_address(addr: str) -> tuple[str, str]:
    """``module.a["k"].module.b.aws_x.y[0]`` -> (``module.a["k"].module.b``, ``aws_x.y[0]``)."""
    parts = _split_ref(addr)
    i = 0
    mods = []
    while i + 1 < len(parts) and parts[i] == "module":
        mods.append(i)
        i += 2
    # re-split on the original text to keep instance keys
    text = addr
    module = ""
    for _ in mods:
        j = _module_end(text)
        module = (module + "." if module else "") + text[:j]
        text = text[j + 1:]
    return module, text


def _module_end(text: str) -> int:
    """Index just past ``module.<name>[<key>]`` at the start of ``text``."""
    i = len("module.")
    while i < len(text) and text[i] not in ".[":
        i += 1
    if i < len(text) and text[i] == "[":
        depth = 0
        while i < len(text):
            if text[i] == "[":
                depth += 1
            elif text[i] == "]":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            i += 1
    return i


def _split_ref(ref: str) -> list[str]:
    """``module.a["x.y"].out[0]`` -> ["module", "a", "out"] (indexes dropped)."""
    out = []
    buf = ""
    i = 0
    while i < len(ref):
        c = ref[i]
        if c == "[":
            depth = 0
            while i < len(ref):
                if ref[i] == "[":
                    depth += 1
                elif ref[i] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
        elif c == ".":
            out.append(buf)
            buf = ""
        else:
            buf += c
        i += 1
    if buf:
        out.append(buf)
    return out


def _refs_of(expr: Any) -> list[str]:
    """Every ``references`` entry inside a configuration expression (nested blocks included)."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            refs = v.get("references")
            if isinstance(refs, list):
                out.extend(r for r in refs if isinstance(r, str))
            for k, x in v.items():
                if k != "references":
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(expr)
    return out


def _read_steps(val: Any, steps: list[Any], where: str) -> Any:
    """``val[steps[0]][steps[1]]...`` (map keys and list indexes), or :class:`Unresolved`."""
    for step in steps:
        if isinstance(val, dict) and step in val:
            val = val[step]
        elif isinstance(val, list) and isinstance(step, int) and 0 <= step < len(val):
            val = val[step]
        else:
            raise Unresolved(f"cannot read {step!r} of {where}")
    return val


def _no_resources(addr: str, key: Any, steps: list[Any]) -> Any:
    raise Unresolved("variable defaults cannot reference resources")


def _local_kind(res: Resource) -> str:
    return f"data.{res.type}.{res.name}" if res.mode == "data" else f"{res.type}.{res.name}"


def _module_call_name(module: str) -> str:
    last = module.rsplit("module.", 1)[-1]
    return last.split("[", 1)[0]

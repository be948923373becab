"""Reading the gate's inputs into a :class:`tf_checks.model.Plan`.

Accepted inputs (detected from content, not file name):

* a plan JSON (``terraform show -json plan.bin``, ``format_version`` 1.x): resources come from
  ``planned_values`` (root and child modules, recursively), joined by address with
  ``resource_changes`` (actions, ``after_unknown``, ``before``; deleted resources are kept with
  their before-values) and with ``prior_state`` for data sources read at plan time; the
  ``configuration`` block gives each resource its expressions;
* a state JSON (``terraform show -json`` of a state: ``values.root_module``);
* a raw ``terraform.tfstate`` (``version`` 4: ``resources[].instances[].attributes``);
* a Terraform directory: the driver (:mod:`lakegate.terraform`) makes an offline plan first.

Why strict: the gate fails closed. Anything we cannot read exactly raises
:class:`~lakegate.errors.LakegateError` naming the file, the JSON path (e.g.
``$.planned_values.root_module.resources[3].values``) and the reason; the CLI exits 2. Checks
are shallow (the shapes the model needs) so loading stays close to the cost of ``json.load``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from tf_checks.model import Plan, Resource

_INDEX_RE = re.compile(r"\[[^\]]*\]")


class InputError(LakegateError):
    """Unusable input (exit 2)."""


def _fail(source: str, path: str, reason: str, fix: str | None = None) -> InputError:
    return InputError(f"unusable input: {reason}", where=f"{source} at {path}",
                      fix=fix or "pass the output of 'terraform show -json' for a plan or state, "
                                 "a terraform.tfstate (version 4) or a Terraform directory")


def _obj(value: Any, source: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, path, f"expected a JSON object, found {_kind(value)}")
    return value


def _list(value: Any, source: str, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(source, path, f"expected a JSON array, found {_kind(value)}")
    return value


def _str(value: Any, source: str, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(source, path, f"expected a non-empty string, found {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def strip_indexes(address: str) -> str:
    """``module.a["x"].aws_s3_bucket.b[0]`` -> ``module.a.aws_s3_bucket.b`` (config address)."""
    return _INDEX_RE.sub("", address) if "[" in address else address


# --------------------------------------------------------------------------- entry points

def load_input(path: str | Path, tf_dir: str | Path | None = None) -> Plan:
    """Load ``path`` (plan JSON, state JSON, terraform.tfstate or Terraform directory)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input {p} does not exist", where=str(p),
                         fix="pass a plan JSON, a state JSON or a Terraform directory")
    if p.is_dir():
        return load_dir(p)
    try:
        # bytes + one decode: same text as read_text(encoding="utf-8") for JSON (newline
        # translation only touches whitespace), without TextIOWrapper's slower decoding path
        text = p.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read input: {err}", where=str(p),
                         fix="pass a UTF-8 JSON file written by 'terraform show -json'") from None
    data = parse_json_text(text, str(p))
    plan = load_data(data, str(p))
    if tf_dir is not None:
        plan.tf_dir = Path(tf_dir)
    return plan


def parse_json_text(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})",
                         where=f"{source} at $", fix="pass the complete output of 'terraform show "
                         "-json' (the file may be truncated or not JSON)") from None
    except RecursionError:
        raise InputError("JSON nested too deeply", where=f"{source} at $") from None


def load_dir(tf_dir: Path) -> Plan:
    """Plan a Terraform directory offline with the driver and load the result."""
    if not any(tf_dir.glob("*.tf")) and not any(tf_dir.glob("*.tf.json")):
        raise InputError(f"{tf_dir} holds no Terraform configuration (*.tf)", where=str(tf_dir),
                         fix="pass the Terraform directory (the one with the .tf files) or a plan JSON")
    try:
        from lakegate.terraform import TerraformDriver
    except ImportError:
        raise InputError("planning a Terraform directory needs lakegate.terraform, which is not "
                         "available", where=str(tf_dir),
                         fix="run 'terraform plan -out plan.bin && terraform show -json plan.bin > "
                             "plan.json' and pass plan.json with --tf-dir") from None
    # The plan JSON lives in the driver's own working area, never in the user's directory.
    driver = TerraformDriver(tf_dir, target="offline")
    out = driver.work_root / "plan.offline.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = driver.plan(out)
    plan = load_data(data, str(out))
    plan.tf_dir = tf_dir
    return plan


def load_data(data: Any, source: str) -> Plan:
    """Detect the input kind from its content and build the :class:`Plan`."""
    top = _obj(data, source, "$")
    if "planned_values" in top or "resource_changes" in top:
        return _load_plan(top, source)
    if "values" in top and "format_version" in top:
        return _load_state_json(top, source)
    if "resources" in top and "version" in top:
        return _load_tfstate(top, source)
    raise _fail(source, "$", "not a Terraform plan, state JSON or terraform.tfstate (none of "
                "'planned_values', 'values' or 'resources' is present)")


def _check_format(top: dict[str, Any], source: str) -> None:
    fv = top.get("format_version")
    if not isinstance(fv, str):
        raise _fail(source, "$.format_version", f"missing or not a string ({_kind(fv)})")
    if not fv.startswith("1."):
        raise _fail(source, "$.format_version", f"unsupported format_version {fv!r} (supported: 1.x)",
                    fix="use terraform >= 0.12 'terraform show -json' output (format 1.x)")


# --------------------------------------------------------------------------- plan JSON

def _load_plan(top: dict[str, Any], source: str) -> Plan:
    _check_format(top, source)
    cfg_extra: dict[str, Any] = {}
    configs, module_sources = _config_index(top.get("configuration"), source, cfg_extra)
    resources: list[Resource] = []
    seen: dict[str, Resource] = {}

    pv = top.get("planned_values")
    if pv is not None:
        root = _obj(_obj(pv, source, "$.planned_values").get("root_module"), source,
                    "$.planned_values.root_module")
        _walk_module(root, source, "$.planned_values.root_module", "", configs, resources, seen)
    elif "resource_changes" not in top:
        raise _fail(source, "$.planned_values", "missing")

    changes = top.get("resource_changes")
    if changes is not None:
        for i, rc in enumerate(_list(changes, source, "$.resource_changes")):
            # hot loop: inline type checks, paths formatted only on failure (or when needed)
            if type(rc) is not dict:
                _obj(rc, source, f"$.resource_changes[{i}]")
            if rc.get("deposed"):
                continue
            address = rc.get("address")
            if type(address) is not str or not address:
                _str(address, source, f"$.resource_changes[{i}].address")
            change = rc.get("change")
            if type(change) is not dict:
                _obj(change, source, f"$.resource_changes[{i}].change")
            actions = change.get("actions")
            if type(actions) is not list:
                _list(actions, source, f"$.resource_changes[{i}].change.actions")
            if not all(isinstance(a, str) for a in actions):
                raise _fail(source, f"$.resource_changes[{i}].change.actions", "actions must be strings")
            path = f"$.resource_changes[{i}]"
            res = seen.get(address)
            unknown = change.get("after_unknown")
            if unknown is not None and not isinstance(unknown, dict):
                unknown = _obj(unknown, source, f"{path}.change.after_unknown")
            before = change.get("before")
            if before is not None and not isinstance(before, dict):
                before = _obj(before, source, f"{path}.change.before")
            if res is None:
                # Deleted resources (and resource_changes-only plans): build from the change.
                values = change.get("after") if change.get("after") is not None else (before or {})
                values = _obj(values, source, f"{path}.change.after")
                mode = _str(rc.get("mode"), source, f"{path}.mode")
                rtype = _str(rc.get("type"), source, f"{path}.type")
                name = _str(rc.get("name"), source, f"{path}.name")
                module = rc.get("module_address") or ""
                if not isinstance(module, str):
                    raise _fail(source, f"{path}.module_address", "expected a string")
                res = Resource(address, mode, rtype, name, module, rc.get("index"), values,
                               json_path=f"{path}.change")
                res.config = configs.get(_config_key(module, mode, rtype, name))
                resources.append(res)
                seen[address] = res
            res.actions = tuple(actions)
            res.after_unknown = unknown or {}
            res.before = before

    prior = top.get("prior_state")
    if prior is not None:
        vals = _obj(_obj(prior, source, "$.prior_state").get("values"), source, "$.prior_state.values")
        root = vals.get("root_module")
        if root is not None:
            extra: list[Resource] = []
            _walk_module(_obj(root, source, "$.prior_state.values.root_module"), source,
                         "$.prior_state.values.root_module", "", configs, extra, {}, data_only=True)
            for res in extra:
                if res.address not in seen:
                    res.actions = ("read",)
                    resources.append(res)
                    seen[res.address] = res

    variables: dict[str, Any] = {}
    for k, v in _obj(top.get("variables") or {}, source, "$.variables").items():
        if isinstance(v, dict) and "value" in v:
            variables[k] = v["value"]
    plan = Plan("plan", source, resources, variables=variables, module_sources=module_sources)
    plan.config_extra = cfg_extra
    return plan


def _config_key(module: str, mode: str, rtype: str, name: str) -> str:
    local = f"data.{rtype}.{name}" if mode == "data" else f"{rtype}.{name}"
    mod = strip_indexes(module)
    return f"{mod}.{local}" if mod else local


def _config_index(conf: Any, source: str, extra: dict[str, Any] | None = None
                  ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``{"module.a.aws_x.y": expressions}`` and ``{"module.a": source}`` from ``configuration``.

    ``extra`` (when given) receives what the evaluator needs besides resources:
    ``provider_keys`` (config address -> ``provider_config_key``), ``provider_configs``
    (key -> expressions), ``outputs`` (``module.a.output.x`` -> expression) and ``module_args``
    (``module.a`` -> the call's expressions)."""
    configs: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    if conf is None:
        return configs, sources
    conf = _obj(conf, source, "$.configuration")
    root = conf.get("root_module")
    if root is None:
        return configs, sources
    if extra is not None:
        extra.setdefault("provider_keys", {})
        extra.setdefault("outputs", {})
        extra.setdefault("module_args", {})
        pcs = conf.get("provider_config")
        extra["provider_configs"] = {k: (v.get("expressions") or {}) for k, v in pcs.items()
                                     if isinstance(v, dict)} if isinstance(pcs, dict) else {}

    def walk(mod: Any, prefix: str, path: str, depth: int) -> None:
        mod = _obj(mod, source, path)
        if depth > 50:
            raise _fail(source, path, "modules nested more than 50 levels")
        for i, r in enumerate(_list(mod.get("resources") or [], source, f"{path}.resources")):
            r = _obj(r, source, f"{path}.resources[{i}]")
            addr = r.get("address")
            expr = r.get("expressions") or {}
            if isinstance(addr, str) and isinstance(expr, dict):
                configs[f"{prefix}.{addr}" if prefix else addr] = expr
                if extra is not None and isinstance(r.get("provider_config_key"), str):
                    extra["provider_keys"][f"{prefix}.{addr}" if prefix else addr] = r["provider_config_key"]
        if extra is not None:
            for oname, out in (mod.get("outputs") or {}).items():
                if isinstance(out, dict) and isinstance(out.get("expression"), dict):
                    extra["outputs"][f"{prefix}.output.{oname}" if prefix else f"output.{oname}"] = \
                        out["expression"]
        calls = _obj(mod.get("module_calls") or {}, source, f"{path}.module_calls")
        for name, call in calls.items():
            cpath = f"{path}.module_calls.{name}"
            call = _obj(call, source, cpath)
            key = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            if isinstance(call.get("source"), str):
                sources[key] = call["source"]
            if extra is not None and isinstance(call.get("expressions"), dict):
                extra["module_args"][key] = call["expressions"]
            if call.get("module") is not None:
                walk(call["module"], key, f"{cpath}.module", depth + 1)

    walk(root, "", "$.configuration.root_module", 0)
    return configs, sources


def _walk_module(mod: dict[str, Any], source: str, path: str, module: str,
                 configs: dict[str, dict[str, Any]], out: list[Resource], seen: dict[str, Resource],
                 *, data_only: bool = False, depth: int = 0) -> None:
    """Collect the resources of one ``*_module`` object and recurse into ``child_modules``."""
    if depth > 50:
        raise _fail(source, path, "modules nested more than 50 levels")
    # The hot loop of loading (one pass per resource): types are checked inline and a JSON
    # path is only formatted when a check fails.
    for i, r in enumerate(_list(mod.get("resources") or [], source, f"{path}.resources")):
        if type(r) is not dict:
            _obj(r, source, f"{path}.resources[{i}]")
        mode = r.get("mode")
        if type(mode) is not str or not mode:
            _str(mode, source, f"{path}.resources[{i}].mode")
        if data_only and mode != "data":
            continue
        if mode not in ("managed", "data"):
            raise _fail(source, f"{path}.resources[{i}].mode", f"unknown mode {mode!r} (managed or data)")
        address, rtype, name = r.get("address"), r.get("type"), r.get("name")
        for key, val in (("address", address), ("type", rtype), ("name", name)):
            if type(val) is not str or not val:
                _str(val, source, f"{path}.resources[{i}].{key}")
        values = r.get("values")
        if values is None:
            values = {}
        elif type(values) is not dict:
            _obj(values, source, f"{path}.resources[{i}].values")
        res = Resource(address, mode, rtype, name, module, r.get("index"), values,
                       json_path=f"{path}.resources[{i}].values")
        res.config = configs.get(_config_key(module, mode, rtype, name))
        if address in seen:
            raise _fail(source, f"{rpath}.address", f"duplicate resource address {address!r}")
        seen[address] = res
        out.append(res)
    for j, child in enumerate(_list(mod.get("child_modules") or [], source, f"{path}.child_modules")):
        cpath = f"{path}.child_modules[{j}]"
        child = _obj(child, source, cpath)
        caddr = _str(child.get("address"), source, f"{cpath}.address")
        _walk_module(child, source, cpath, caddr, configs, out, seen, data_only=data_only,
                     depth=depth + 1)


# --------------------------------------------------------------------------- state inputs

def _load_state_json(top: dict[str, Any], source: str) -> Plan:
    _check_format(top, source)
    vals = _obj(top.get("values"), source, "$.values")
    resources: list[Resource] = []
    root = vals.get("root_module")
    if root is not None:
        _walk_module(_obj(root, source, "$.values.root_module"), source, "$.values.root_module", "",
                     {}, resources, {})
    return Plan("state", source, resources)


def _load_tfstate(top: dict[str, Any], source: str) -> Plan:
    version = top.get("version")
    if version != 4:
        raise _fail(source, "$.version", f"unsupported state version {version!r} (supported: 4)",
                    fix="use a terraform.tfstate written by terraform >= 0.12, or "
                        "'terraform show -json' of it")
    resources: list[Resource] = []
    seen: set[str] = set()
    for i, r in enumerate(_list(top.get("resources"), source, "$.resources")):
        rpath = f"$.resources[{i}]"
        r = _obj(r, source, rpath)
        mode = _str(r.get("mode"), source, f"{rpath}.mode")
        rtype = _str(r.get("type"), source, f"{rpath}.type")
        name = _str(r.get("name"), source, f"{rpath}.name")
        module = r.get("module") or ""
        if not isinstance(module, str):
            raise _fail(source, f"{rpath}.module", "expected a string")
        local = f"data.{rtype}.{name}" if mode == "data" else f"{rtype}.{name}"
        base = f"{module}.{local}" if module else local
        for j, inst in enumerate(_list(r.get("instances"), source, f"{rpath}.instances")):
            ipath = f"{rpath}.instances[{j}]"
            inst = _obj(inst, source, ipath)
            attrs = _obj(inst.get("attributes"), source, f"{ipath}.attributes")
            key = inst.get("index_key")
            if key is None:
                address = base
            elif isinstance(key, bool) or not isinstance(key, (int, str)):
                raise _fail(source, f"{ipath}.index_key", "expected a number or a string")
            else:
                address = f"{base}[{json.dumps(key)}]"
            if address in seen:
                raise _fail(source, ipath, f"duplicate resource address {address!r}")
            seen.add(address)
            resources.append(Resource(address, mode, rtype, name, module, key, attrs,
                                      json_path=f"{ipath}.attributes"))
    return Plan("tfstate", source, resources)

"""Which job arguments a Glue script reads (``getResolvedOptions``), for LG-CONS-004/006.

Moved here from ``tf_checks/rules/__init__.py`` (script understanding has its own package);
what a script reads and writes is :mod:`tf_checks.scripts.analyze`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tf_checks.scripts.libraries import GLUE_RUNTIME_MODULES

# Modules a job can import without shipping them come from tf_checks.scripts.libraries (the
# standard library, the Glue/Spark runtime and the modules each Glue version provides, plus
# --additional-python-modules). Any other import is code the gate must read to know which job
# arguments the script reads -- or say that it cannot.
_READERS = ("getResolvedOptions",)
_CATALOG_READS = ("from_catalog", "create_dynamic_frame_from_catalog", "create_data_frame_from_catalog")


def extra_py_files(args: dict[str, Any]) -> list[str]:
    """The S3 URLs of a job's ``--extra-py-files`` (comma-separated, per the Glue docs)."""
    value = args.get("--extra-py-files")
    if not isinstance(value, str):
        return []
    return [u.strip() for u in value.split(",") if u.strip()]


@dataclass
class ScriptInfo:
    """What the gate reads from an uploaded Glue script's Python source (and the ``.py`` modules
    shipped with it through ``--extra-py-files`` that it imports)."""

    path: Path
    args: list[str] | None          # getResolvedOptions names; None when not statically known
    catalog_reads_without_ctx: list[str]  # "file.py:LINE" of from_catalog calls lacking the ctx
    error: str | None = None
    args_unknown: str | None = None  # why ``args`` is None
    # medium: the script's own getResolvedOptions list is not literal (as documented for
    # LG-CONS-004); high: a read through a shipped module the gate cannot follow
    args_unknown_severity: str = "medium"
    # imported modules whose source the gate cannot read: (module, why); they may read arguments
    unreadable_imports: list[tuple[str, str]] = field(default_factory=list)


def _call_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else (
        node.func.id if isinstance(node.func, ast.Name) else "")


# Scripts given inline in the plan (aws_s3_object ``content``), by the pseudo path naming them.
_INLINE: dict[Path, str] = {}


def _read_tree(path: Path) -> tuple[ast.Module | None, str | None]:
    try:
        text = _INLINE[path] if path in _INLINE else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, f"cannot read {path}: {err}"
    try:
        return ast.parse(text, filename=str(path)), None
    except SyntaxError as err:
        return None, f"{path.name} line {err.lineno}: {err.msg}"


def _imports(tree: ast.Module) -> tuple[dict[str, tuple[str, str]], dict[str, str], list[str]]:
    """``from M import f as g`` -> {g: (M, f)}; ``import M as N`` -> {N: M}; and every top-level
    module name imported (relative imports count as unreadable: ``.`` + name)."""
    names: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = ("." * node.level) + (node.module or "")
            imported.append(mod.split(".")[0] if not node.level else mod)
            for alias in node.names:
                names[alias.asname or alias.name] = (mod, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported.append(alias.name.split(".")[0])
                if "." not in alias.name or alias.asname:
                    modules[alias.asname or alias.name.split(".")[0]] = alias.name
    return names, modules, imported


@dataclass
class _Library:
    """A shipped ``.py`` module: its functions and the getResolvedOptions calls in each."""

    path: Path
    tree: ast.Module
    functions: dict[str, ast.FunctionDef]
    reads: dict[str, list[ast.Call]]      # function -> its getResolvedOptions calls
    calls: dict[str, set[str]]            # function -> module functions it calls by name
    loose_reads: list[ast.Call]           # getResolvedOptions outside module-level functions


def _library(path: Path, tree: ast.Module) -> _Library:
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    reads: dict[str, list[ast.Call]] = {}
    calls: dict[str, set[str]] = {}
    inside: set[int] = set()
    for name, fn in functions.items():
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                inside.add(id(node))
                if _call_name(node) in _READERS:
                    reads.setdefault(name, []).append(node)
                elif isinstance(node.func, ast.Name) and node.func.id in functions:
                    calls.setdefault(name, set()).add(node.func.id)
    loose = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _call_name(n) in _READERS
             and id(n) not in inside]
    return _Library(path, tree, functions, reads, calls, loose)


def _reaches_reader(lib: _Library, fname: str) -> str | None:
    """A function other than ``fname`` that ``fname`` calls (transitively) and that reads
    arguments -- the gate evaluates only reads in the called function itself."""
    seen, todo = {fname}, list(lib.calls.get(fname, ()))
    while todo:
        g = todo.pop()
        if g in seen:
            continue
        seen.add(g)
        if g in lib.reads:
            return g
        todo.extend(lib.calls.get(g, ()))
    return None


def _bind(fn: ast.FunctionDef, call: ast.Call, env: "_Env", lib_env: "_Env"
          ) -> dict[str, tuple[ast.expr, "_Env"]] | None:
    """Parameter -> (expression, where to evaluate it) for one call of ``fn``; None when the
    call uses ``*args``/``**kwargs`` (not statically known)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    params = [a.arg for a in fn.args.args]
    bound: dict[str, tuple[ast.expr, _Env]] = {}
    for name, value in zip(params, call.args):
        bound[name] = (value, env)
    for kw in call.keywords:
        bound[kw.arg] = (kw.value, env)  # type: ignore[index]
    defaults = fn.args.defaults
    for name, value in zip(params[len(params) - len(defaults):], defaults):
        bound.setdefault(name, (value, lib_env))
    return bound


@dataclass
class _Env:
    """Where a name list is evaluated: a module's constants and function parameters, and the
    parameters bound by the call being followed."""

    tree: ast.Module
    consts: dict[str, ast.expr]
    params: dict[str, tuple[str, int]]
    bound: dict[str, tuple[ast.expr, "_Env"]] = field(default_factory=dict)

    @classmethod
    def of(cls, tree: ast.Module) -> "_Env":
        return cls(tree, _module_constants(tree), _function_params(tree))


def parse_script(path: Path, libraries: dict[str, Path] | None = None,
                 provided: Any = None) -> ScriptInfo:
    """Read a Glue script: the names passed to ``getResolvedOptions`` and catalog reads.

    ``libraries`` (module name -> local ``.py``): the modules the job ships with
    ``--extra-py-files``. A call from the script to a function of one of them that calls
    ``getResolvedOptions`` counts as the script's read, evaluated with the call's arguments
    (``run(JOB_ARGUMENTS)`` -> ``["JOB_NAME"] + list(arg_names)`` with ``arg_names`` bound to the
    script's ``JOB_ARGUMENTS``). Fail closed: an import of anything that is neither the Glue
    runtime (:data:`GLUE_RUNTIME_MODULES`) nor a readable shipped module is listed in
    ``unreadable_imports``; a read the gate cannot follow makes ``args`` None with the reason.
    """
    libraries = libraries or {}
    if provided is None:   # default: a Glue 4.0 Spark job without extra modules
        from tf_checks.scripts.libraries import provided_check
        provided = provided_check(None, None, {})
    tree, error = _read_tree(path)
    if tree is None:
        return ScriptInfo(path, None, [], error=error)
    names: list[str] | None = []
    unknown: str | None = None
    no_ctx: list[str] = []
    found = False
    env = _Env.of(tree)

    severity = "medium"

    def add(got: list[str] | None, why: str, sev: str = "high") -> None:
        nonlocal names, unknown, severity
        if got is None:
            if unknown is None or (sev == "high" and severity != "high"):
                unknown, severity = why, sev
            names = None
        elif names is not None:
            names.extend(got)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fname = _call_name(node)
        if fname in _READERS:
            found = True
            arg = node.args[1] if len(node.args) > 1 else None
            add(_string_list(arg, env, 0) if arg is not None else None,
                f"the arguments read by {path.name} are not a literal list", "medium")
        elif fname in _CATALOG_READS:
            if not any(k.arg == "transformation_ctx" for k in node.keywords):
                no_ctx.append(f"{path.name}:{node.lineno}")

    imported_names, imported_modules, imported = _imports(tree)
    unreadable: list[tuple[str, str]] = []
    libs: dict[str, _Library] = {}
    for mod in dict.fromkeys(imported):
        if provided(mod):
            continue
        if mod not in libraries:
            unreadable.append((mod, "it is neither provided by the job's Glue version nor "
                                    "installed with --additional-python-modules, nor a .py module "
                                    "the job ships with --extra-py-files that the gate can read"))
            continue
        lib_tree, lib_error = _read_tree(libraries[mod])
        if lib_tree is None:
            return ScriptInfo(path, None, [], error=f"module {mod} (--extra-py-files): {lib_error}")
        lib = libs[mod] = _library(libraries[mod], lib_tree)
        lib_env = _Env.of(lib_tree)
        for call in lib.loose_reads:  # runs on import, or inside a class/nested scope
            found = True
            arg = call.args[1] if len(call.args) > 1 else None
            add(_string_list(arg, lib_env, 0) if arg is not None else None,
                f"{libraries[mod].name} line {call.lineno} reads arguments outside a module-level "
                "function; the gate cannot tell when or with what")
        for node in ast.walk(lib_tree):
            if isinstance(node, ast.Call) and _call_name(node) in _CATALOG_READS and \
                    not any(k.arg == "transformation_ctx" for k in node.keywords):
                no_ctx.append(f"{libraries[mod].name}:{node.lineno}")
        for inner in dict.fromkeys(_imports(lib_tree)[2]):
            if not provided(inner) and inner not in libraries:
                unreadable.append((inner, f"the shipped module {libraries[mod].name} imports it "
                                          "and the gate does not follow imports of shipped modules"))

    # calls from the script into the shipped modules
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target: tuple[str, str] | None = None
        if isinstance(node.func, ast.Name) and node.func.id in imported_names:
            target = imported_names[node.func.id]
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in imported_modules:
            target = (imported_modules[node.func.value.id], node.func.attr)
        if target is None or target[0] not in libs:
            continue
        mod, fname = target
        lib = libs[mod]
        via = _reaches_reader(lib, fname)
        if via is not None:
            found = True
            add(None, f"{fname}() of {lib.path.name} reads arguments through {via}(); the gate "
                      "follows only reads in the function the script calls")
        if fname not in lib.reads:
            continue
        found = True
        lib_env = _Env.of(lib.tree)
        bound = _bind(lib.functions[fname], node, env, lib_env)
        for call in lib.reads[fname]:
            arg = call.args[1] if len(call.args) > 1 else None
            if bound is None or arg is None:
                add(None, f"the call {fname}(...) at {path.name}:{node.lineno} is not statically known")
                continue
            add(_string_list(arg, _Env(lib.tree, lib_env.consts, lib_env.params, bound), 0),
                f"the arguments {fname}() at {path.name}:{node.lineno} makes {lib.path.name} read "
                "are not a literal list")
    # a star import of a shipped module hides which function is called
    for alias_name, (mod, name) in imported_names.items():
        if name == "*" and mod in libs and (libs[mod].reads or libs[mod].loose_reads):
            found = True
            add(None, f"{path.name} star-imports {mod}, which reads arguments")
    return ScriptInfo(path, names if found else [], no_ctx,
                      args_unknown=unknown if names is None else None,
                      args_unknown_severity=severity, unreadable_imports=unreadable)


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


def _string_list(node: ast.expr, env: _Env, depth: int) -> list[str] | None:
    """Statically evaluate a list of argument names: literals, ``+``, ``list()``/``tuple()``,
    module constants, a parameter bound by the call being followed (a shipped module's function
    called from the script), and a function parameter fed literal lists at every call site.
    None when not statically known (the rule then says so instead of guessing)."""
    if depth > 8:
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return [e.value for e in node.elts]  # type: ignore[attr-defined]
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a = _string_list(node.left, env, depth + 1)
        b = _string_list(node.right, env, depth + 1)
        return None if a is None or b is None else a + b
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") \
            and len(node.args) == 1:
        return _string_list(node.args[0], env, depth + 1)
    if isinstance(node, ast.Name):
        if node.id in env.bound:
            expr, where = env.bound[node.id]
            return _string_list(expr, where, depth + 1)
        if node.id in env.params:
            fname, pos = env.params[node.id]
            found: list[str] = []
            calls = 0
            for call in ast.walk(env.tree):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == fname:
                    if pos >= len(call.args):
                        return None
                    got = _string_list(call.args[pos], env, depth + 1)
                    if got is None:
                        return None
                    calls += 1
                    found.extend(x for x in got if x not in found)
            return found if calls else None
        if node.id in env.consts:
            return _string_list(env.consts[node.id], env, depth + 1)
    return None

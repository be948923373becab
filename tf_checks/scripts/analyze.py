"""What a Glue Python script reads and writes, from its source (``ast``), without running it.

Why a small abstract interpreter instead of pattern matching on text: real Glue scripts pass
paths through ``args[...]``, ``argparse``, f-strings, ``os.path.join``, module constants, helper
functions and the helper modules shipped with ``--extra-py-files``. Every expression is evaluated
to a set of possible values (flow-insensitive: the union of every assignment of a name, and of
every call site of a function for its parameters) or to :class:`Unknown` with the reason. An I/O
call whose target is Unknown is never guessed: it is reported as unknown with file, line and why.

Recognised I/O (``Op``):

* GlueContext: ``create_dynamic_frame|create_data_frame .from_catalog|.from_options``,
  ``create_dynamic_frame_from_catalog|_from_options``, ``write_dynamic_frame|write_data_frame
  .from_options|.from_catalog|.from_jdbc_conf`` (``redshift_tmp_dir``), ``getSource``,
  ``getSink`` + ``setCatalogInfo``, ``purge_s3_path``, ``purge_table``;
* Spark: ``<x>.read[.format().option()...].parquet|csv|json|orc|text|avro|load|table``,
  ``<x>.write[.mode().format().partitionBy()...].parquet|csv|json|orc|text|save|saveAsTable|
  insertInto`` (``mode("overwrite")`` also deletes; append/ignore/error only write),
  ``spark.sql`` (tables read/written, through sqlglot) and ``spark.table``;
* boto3 S3 client and resource calls (get/put/head/copy/delete/list/upload/download).
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

MAX_ALTS = 32


# ----------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Unknown:
    """A value the gate cannot know statically; ``missing_arg``: a job argument the script
    reads that the job does not pass (reported by LG-CONS-004, not again as unknown I/O)."""

    why: str
    missing_arg: str | None = None


class Wild(str):
    """A string meaning "any string starting with this" (an S3 key taken from a listing)."""


@dataclass(frozen=True)
class Obj:
    kind: str
    data: tuple = ()


@dataclass(frozen=True)
class Lst:
    items: tuple  # of concrete alternatives (flattened)


@dataclass(frozen=True)
class Dct:
    items: tuple  # ((key, Val), ...)

    def get(self, key: str) -> "Val | None":
        for k, v in self.items:
            if k == key:
                return v
        return None


Val = Any  # list of alternatives, or Unknown
EMPTY: list = []


def _u(why: str) -> Unknown:
    return Unknown(why)


def union(vals: Iterable[Val]) -> Val:
    out: list = []
    for v in vals:
        if isinstance(v, Unknown):
            return v
        for x in v:
            if x not in out:
                out.append(x)
    if len(out) > MAX_ALTS:
        return _u(f"more than {MAX_ALTS} possible values")
    return out


def strings(val: Val) -> list[str] | Unknown:
    """The string alternatives of ``val`` (a list of strings flattens); Unknown otherwise."""
    if isinstance(val, Unknown):
        return val
    out: list[str] = []
    for x in val:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, Lst):
            for y in x.items:
                if isinstance(y, str):
                    out.append(y)
                else:
                    return _u("a list element is not a string")
        else:
            return _u(f"not a string ({type(x).__name__})")
    return out


# ----------------------------------------------------------------------------- operations

@dataclass
class Op:
    """One I/O the script performs. ``kind``: read | write | delete | list | catalog_read |
    catalog_write. ``target``: an s3:// URL (a Wild key means every object under it) or
    ``db.table``; Unknown when it cannot be known."""

    kind: str
    target: str | Unknown
    file: str
    line: int
    what: str
    partitioned: bool = False   # a write with partitionBy / partitionKeys

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Analysis:
    ops: list[Op] = field(default_factory=list)
    resolved_args: list[str] = field(default_factory=list)   # getResolvedOptions names seen
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- program

@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    parents: dict[int, ast.AST] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # alias -> (module, name|None)
    assigns: dict[int, dict[str, list[tuple[ast.AST, Any]]]] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, path: Path, tree: ast.Module) -> "Module":
        m = cls(name, path, tree)
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                m.parents[id(child)] = parent
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                m.functions.setdefault(node.name, node)  # type: ignore[arg-type]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                for a in node.names:
                    m.imports[a.asname or a.name] = (node.module or "", a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        m.imports[a.asname] = (a.name, None)
                    else:
                        m.imports[a.name.split(".")[0]] = (a.name.split(".")[0], None)
        return m

    def scope_of(self, node: ast.AST) -> ast.AST:
        cur = self.parents.get(id(node))
        while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                        ast.Lambda, ast.Module)):
            cur = self.parents.get(id(cur))
        return cur if cur is not None else self.tree

    def scope_assigns(self, scope: ast.AST) -> dict[str, list[tuple[ast.AST, Any]]]:
        """name -> [(value node or marker, extra)] for assignments directly in ``scope``."""
        got = self.assigns.get(id(scope))
        if got is not None:
            return got
        out: dict[str, list[tuple[ast.AST, Any]]] = {}

        def bind(target: ast.AST, value: ast.AST, how: Any) -> None:
            if isinstance(target, ast.Name):
                out.setdefault(target.id, []).append((value, how))
            elif isinstance(target, (ast.Tuple, ast.List)):
                for i, t in enumerate(target.elts):
                    bind(t, value, ("item", i, how))
            elif isinstance(target, ast.Starred):
                bind(target.value, value, ("opaque", "a starred target"))

        for node in _walk_scope(scope):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    bind(t, node.value, None)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                bind(node.target, node.value, None)
            elif isinstance(node, ast.AugAssign):
                bind(node.target, node, ("aug",))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                bind(node.target, node.iter, ("for",))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars, item.context_expr, ("with",))
            elif isinstance(node, ast.NamedExpr):
                bind(node.target, node.value, None)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                out.setdefault(node.name, []).append((node, ("opaque", "an exception")))
        self.assigns[id(scope)] = out
        return out


def _walk_scope(scope: ast.AST) -> Iterable[ast.AST]:
    """Nodes of ``scope`` without descending into nested functions/classes/lambdas
    (comprehensions are walked: their targets are bound in the enclosing scope here)."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        todo.extend(ast.iter_child_nodes(node))


class Program:
    """The script plus the shipped modules it can import (name -> Module)."""

    def __init__(self, script: Module, modules: dict[str, Module], job_args: dict[str, str]):
        self.script = script
        self.modules = {script.name: script, **modules}
        self.job_args = job_args
        self.analysis = Analysis()
        self._active: set[tuple[int, tuple]] = set()
        self._param_cache: dict[tuple[int, str], Val] = {}
        self._argparse = self._collect_argparse()
        self._temp_views = self._collect_temp_views()

    # ------------------------------------------------------------------ name resolution
    def module_of(self, node: ast.AST) -> Module:
        for m in self.modules.values():
            if id(node) in m.parents or node is m.tree:
                return m
        return self.script

    def lookup(self, mod: Module, name: str, scope: ast.AST, over: dict[str, Val]) -> Val:
        if name in over:
            return over[name]
        key = (id(scope), (name,))
        if key in self._active:
            return EMPTY   # a self-reference contributes nothing beyond the other assignments
        self._active.add(key)
        try:
            return self._lookup(mod, name, scope, over)
        finally:
            self._active.discard(key)

    def _lookup(self, mod: Module, name: str, scope: ast.AST, over: dict[str, Val]) -> Val:
        cur: ast.AST | None = scope
        while cur is not None:
            assigns = mod.scope_assigns(cur)
            if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in _params(cur):
                if name in assigns:
                    return union([self.param_value(mod, cur, name)] +
                                 [self._assigned(mod, v, how, cur, over, name) for v, how in assigns[name]])
                return self.param_value(mod, cur, name)
            if name in assigns:
                return self._self_ref_union(mod, name, assigns[name], cur, over)
            if isinstance(cur, ast.Module):
                break
            cur = mod.scope_of(cur)
        if name in mod.imports:
            src, attr = mod.imports[name]
            if src in self.modules and attr is not None:
                other = self.modules[src]
                if attr in other.functions:
                    return [Obj("func", (src, attr))]
                return self.lookup(other, attr, other.tree, {})
            return [Obj("module", (src if attr is None else f"{src}.{attr}",))]
        if name in mod.functions:
            return [Obj("func", (mod.name, name))]
        return _u(f"the name {name!r} is not defined in the script")

    def _self_ref_union(self, mod: Module, name: str, items: list, scope: ast.AST,
                        over: dict[str, Val]) -> Val:
        """``x = a(); x = x.b()``: evaluate the self-referencing assignments on top of the
        others (one round), so ``writer = writer.mode("overwrite")`` keeps its mode."""
        plain = [(v, h) for v, h in items if not _mentions(v, name)]
        selfref = [(v, h) for v, h in items if _mentions(v, name)]
        base = union([self._assigned(mod, v, h, scope, over, name) for v, h in plain]) if plain else EMPTY
        if not selfref:
            return base
        if isinstance(base, Unknown):
            return base
        more = [self._assigned(mod, v, h, scope, {**over, name: base}, name) for v, h in selfref]
        return union([base, *more])

    def _assigned(self, mod: Module, value: ast.AST, how: Any, scope: ast.AST,
                  over: dict[str, Val], name: str) -> Val:
        if how is None:
            return self.ev(mod, value, scope, over)
        tag = how[0]
        if tag == "for":
            it = self.ev(mod, value, scope, over)
            if isinstance(it, Unknown):
                return it
            out: list = []
            for x in it:
                if isinstance(x, Lst):
                    out.extend(x.items)
                elif isinstance(x, Dct):
                    out.extend(k for k, _ in x.items)
                elif isinstance(x, Obj) and x.kind == "listing":
                    out.append(x)
                elif isinstance(x, str):
                    return _u(f"{name!r} iterates over the characters of a string")
                else:
                    return _u(f"{name!r} is a loop variable over values the gate cannot list")
            return union([out])
        if tag == "item":
            inner = self._assigned(mod, value, how[2], scope, over, name)
            if isinstance(inner, Unknown):
                return inner
            out = []
            for x in inner:
                if isinstance(x, Lst) and how[1] < len(x.items):
                    out.append(x.items[how[1]])
                elif isinstance(x, Obj) and x.kind == "listing":
                    out.append(x)
                elif isinstance(x, Obj) and x.kind == "parsed_known":
                    out.append(Obj("namespace") if how[1] == 0 else Obj("rest"))
                else:
                    return _u(f"{name!r} is unpacked from a value the gate cannot split")
            return out
        if tag == "aug":
            node = value
            assert isinstance(node, ast.AugAssign)
            return _u(f"{name!r} is changed in place ({ast.unparse(node).strip()[:60]})")
        if tag == "with":
            return self.ev(mod, value, scope, over)
        return _u(f"{name!r} is bound by {how[1]}")

    def param_value(self, mod: Module, fn: ast.FunctionDef, pname: str) -> Val:
        key = (id(fn), pname)
        if key in self._param_cache:
            return self._param_cache[key]
        self._param_cache[key] = EMPTY   # recursion guard
        vals: list[Val] = []
        params = _params(fn)
        pos = params.index(pname)
        if fn.args.vararg is not None and pname == fn.args.vararg.arg:
            n_pos = len(fn.args.posonlyargs) + len(fn.args.args)
            calls = list(self._calls_to(mod, fn))
            for cmod, call in calls:
                cscope = cmod.scope_of(call)
                items = [self.ev(cmod, a, cscope, {}) for a in call.args[n_pos:]
                         if not isinstance(a, ast.Starred)]
                if any(isinstance(a, ast.Starred) for a in call.args[n_pos:]):
                    vals.append(_u(f"{fn.name}() is called with *args"))
                    continue
                combos = _product(items, lambda xs: Lst(tuple(xs)))
                vals.append(combos)
            result = union(vals) if calls else _u(f"*{pname} of {fn.name}() (no call)")
            self._param_cache[key] = result
            return result
        n_defaults = len(fn.args.defaults)
        default = fn.args.defaults[pos - (len(fn.args.args) - n_defaults)] \
            if pos < len(fn.args.args) and pos >= len(fn.args.args) - n_defaults else None
        if default is None and pname in [a.arg for a in fn.args.kwonlyargs]:
            i = [a.arg for a in fn.args.kwonlyargs].index(pname)
            default = fn.args.kw_defaults[i]
        calls = 0
        for cmod, call in self._calls_to(mod, fn):
            calls += 1
            cscope = cmod.scope_of(call)
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                vals.append(_u(f"{fn.name}() is called with *args/**kwargs at {cmod.path.name}:{call.lineno}"))
                continue
            got: ast.expr | None = None
            if pos < len(call.args) and pos < len(fn.args.args):
                got = call.args[pos]
            for k in call.keywords:
                if k.arg == pname:
                    got = k.value
            if got is not None:
                vals.append(self.ev(cmod, got, cscope, {}))
            elif default is not None:
                vals.append(self.ev(mod, default, mod.tree, {}))
            else:
                vals.append(_u(f"{fn.name}() is called without {pname}"))
        if calls == 0:
            result: Val = _u(f"parameter {pname!r} of {fn.name}() (no call the gate can follow)")
        else:
            result = union(vals)
        self._param_cache[key] = result
        return result

    def _calls_to(self, mod: Module, fn: ast.FunctionDef) -> Iterable[tuple[Module, ast.Call]]:
        for cmod in self.modules.values():
            for node in ast.walk(cmod.tree):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                if isinstance(f, ast.Name):
                    if cmod is mod and f.id == fn.name:
                        yield cmod, node
                    elif cmod.imports.get(f.id) == (mod.name, fn.name):
                        yield cmod, node
                elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.attr == fn.name:
                    if cmod.imports.get(f.value.id) == (mod.name, None):
                        yield cmod, node

    # ------------------------------------------------------------------ evaluation
    def ev(self, mod: Module, node: ast.AST | None, scope: ast.AST, over: dict[str, Val]) -> Val:
        if node is None:
            return [None]
        key = (id(node), tuple(sorted((k, id(v)) for k, v in over.items())))
        if key in self._active:
            return EMPTY
        self._active.add(key)
        try:
            return self._ev(mod, node, scope, over)
        except RecursionError:
            return _u("the expression is nested too deeply")
        finally:
            self._active.discard(key)

    def _ev(self, mod: Module, node: ast.AST, scope: ast.AST, over: dict[str, Val]) -> Val:
        ev = lambda n: self.ev(mod, n, scope, over)  # noqa: E731
        if isinstance(node, ast.Constant):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            parts: list[Val] = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append([str(v.value)])
                elif isinstance(v, ast.FormattedValue):
                    if v.format_spec is not None:
                        return _u("an f-string with a format spec")
                    parts.append(_strish(ev(v.value)))
            return _concat(parts)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left, right = ev(node.left), ev(node.right)
                if _all(left, Lst) and _all(right, Lst):
                    return [Lst(tuple(x for a in left for x in a.items) + tuple(x for b in right for x in b.items))] \
                        if len(left) == 1 and len(right) == 1 else _u("a list sum with several values")
                return _concat([_strish(left), _strish(right)])
            if isinstance(node.op, ast.Mod):
                fmt = strings(ev(node.left))
                if isinstance(fmt, Unknown):
                    return fmt
                right = ev(node.right)
                if isinstance(right, Unknown):
                    return right
                out = []
                for f in fmt:
                    for r in right:
                        args = r.items if isinstance(r, Lst) else (r,)
                        try:
                            out.append(f % tuple(args))
                        except (TypeError, ValueError):
                            return _u("a %-format the gate cannot apply")
                return union([out])
            return _u("an arithmetic expression")
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items: list = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    v = ev(e.value)
                    if isinstance(v, Unknown):
                        return v
                    for x in v:
                        items.extend(x.items if isinstance(x, Lst) else [x])
                    continue
                v = ev(e)
                if isinstance(v, Unknown):
                    return v
                items.extend(v)
            return [Lst(tuple(items))]
        if isinstance(node, ast.Dict):
            pairs = []
            for k, v in zip(node.keys, node.values):
                if k is None:
                    inner = ev(v)
                    if isinstance(inner, Unknown) or len(inner) != 1 or not isinstance(inner[0], Dct):
                        return _u("a dict merged with ** from values the gate cannot read")
                    pairs.extend(inner[0].items)
                    continue
                kk = ev(k)
                if isinstance(kk, Unknown) or len(kk) != 1 or not isinstance(kk[0], str):
                    return _u("a dict with a computed key")
                pairs.append((kk[0], ev(v)))
            return [Dct(tuple(pairs))]
        if isinstance(node, ast.Name):
            return self.lookup(mod, node.id, scope, over)
        if isinstance(node, ast.IfExp):
            return union([ev(node.body), ev(node.orelse)])
        if isinstance(node, ast.BoolOp):
            return union([ev(v) for v in node.values])
        if isinstance(node, ast.Subscript):
            return self._subscript(mod, node, scope, over)
        if isinstance(node, ast.Attribute):
            return self._attribute(mod, node, scope, over)
        if isinstance(node, ast.Call):
            return self._call(mod, node, scope, over)
        if isinstance(node, ast.NamedExpr):
            return ev(node.value)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            if len(node.generators) == 1 and not node.generators[0].ifs:
                it = ev(node.generators[0].iter)
                tgt = node.generators[0].target
                if isinstance(it, Unknown) or not isinstance(tgt, ast.Name):
                    return it if isinstance(it, Unknown) else _u("a comprehension with a complex target")
                elems = []
                for x in it:
                    elems.extend(x.items if isinstance(x, Lst) else [x])
                out = []
                for e in elems[:MAX_ALTS]:
                    v = self.ev(mod, node.elt, scope, {**over, tgt.id: [e]})
                    if isinstance(v, Unknown):
                        return v
                    out.extend(v)
                return [Lst(tuple(out))]
            return _u("a comprehension")
        return _u(f"a {type(node).__name__} expression")

    def _subscript(self, mod: Module, node: ast.Subscript, scope: ast.AST, over: dict[str, Val]) -> Val:
        # sys.argv[sys.argv.index("--x") + 1]
        if _is_sys_argv(node.value, mod):
            s = node.slice
            if isinstance(s, ast.BinOp) and isinstance(s.op, ast.Add) and isinstance(s.left, ast.Call) \
                    and isinstance(s.left.func, ast.Attribute) and s.left.func.attr == "index" \
                    and _is_sys_argv(s.left.func.value, mod) and s.left.args \
                    and isinstance(s.left.args[0], ast.Constant):
                opt = str(s.left.args[0].value)
                return self.job_arg(opt, f"sys.argv after {opt}")
            return _u("a positional sys.argv item (Glue passes --key value pairs in no fixed order)")
        base = self.ev(mod, node.value, scope, over)
        if isinstance(base, Unknown):
            return base
        idx = self.ev(mod, node.slice, scope, over)
        out: list[Val] = []
        for b in base:
            if isinstance(b, Obj) and b.kind == "args":
                keys = strings(idx)
                if isinstance(keys, Unknown):
                    return _u("args[...] with a key the gate cannot know")
                out += [self.job_arg("--" + k, f"args[{k!r}]") for k in keys]
            elif isinstance(b, Obj) and b.kind == "listing":
                out.append([b])
            elif isinstance(b, Dct):
                keys = strings(idx)
                if isinstance(keys, Unknown):
                    return keys
                for k in keys:
                    v = b.get(k)
                    out.append(v if v is not None else _u(f"the key {k!r} is not in the dict"))
            elif isinstance(b, Lst):
                if isinstance(idx, Unknown):
                    return idx
                for i in idx:
                    if isinstance(i, int) and -len(b.items) <= i < len(b.items):
                        out.append([b.items[i]])
                    else:
                        return _u("a list index the gate cannot apply")
            elif isinstance(b, str):
                return _u("a slice or index of a string")
            else:
                return _u("an index into a value the gate cannot read")
        return union(out)

    def job_arg(self, option: str, how: str) -> Val:
        if option in self.job_args:
            return [self.job_args[option]]
        if option in ("--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID"):
            return _u(f"{how}: Glue sets it at run time")
        return Unknown(f"{how}: the job does not pass {option}", missing_arg=option)

    def _attribute(self, mod: Module, node: ast.Attribute, scope: ast.AST, over: dict[str, Val]) -> Val:
        attr = node.attr
        if attr in ("read", "readStream"):
            return [Obj("reader", (None, ()))]
        if attr in ("write", "writeStream"):
            return [Obj("writer", (None, ()))]
        if attr in ("create_dynamic_frame", "create_data_frame"):
            return [Obj("glue_read")]
        if attr in ("write_dynamic_frame", "write_data_frame"):
            return [Obj("glue_write")]
        base = self.ev(mod, node.value, scope, over)
        if isinstance(base, Unknown):
            return _u(f"the attribute .{attr} of a value the gate cannot know")
        out: list = []
        for b in base:
            if isinstance(b, Obj) and b.kind == "namespace":
                out.append(self._argparse_value(attr))
            elif isinstance(b, Obj) and b.kind == "module":
                out.append([Obj("module", (f"{b.data[0]}.{attr}",))])
            elif isinstance(b, Obj) and b.kind == "s3resource" and attr == "meta":
                out.append([Obj("s3resource_meta")])
            elif isinstance(b, Obj) and b.kind == "s3resource_meta" and attr == "client":
                out.append([Obj("s3client")])
            elif isinstance(b, Obj) and b.kind == "bucket" and attr == "objects":
                out.append([Obj("bucket_objects", b.data)])
            elif isinstance(b, Obj) and b.kind == "bucket" and attr == "name":
                out.append([b.data[0]])
            elif isinstance(b, Obj) and b.kind == "glue" and attr == "spark_session":
                out.append([Obj("spark")])
            elif isinstance(b, Obj) and b.kind in ("listing", "s3response") and attr in ("Contents", "contents"):
                out.append([b])
            else:
                out.append(_u(f"the attribute .{attr}"))
        return union(out)

    def _argparse_value(self, dest: str) -> Val:
        for opts, d, default in self._argparse:
            if d == dest:
                for o in opts:
                    if o in self.job_args:
                        return [self.job_args[o]]
                if default is not None:
                    return default
                return Unknown(f"argparse option {opts[0]}: the job does not pass it", missing_arg=opts[0])
        return _u(f"argparse has no option for {dest!r}")

    def _collect_argparse(self) -> list[tuple[list[str], str, Val | None]]:
        out = []
        for m in self.modules.values():
            for node in ast.walk(m.tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr == "add_argument":
                    opts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                    longs = [o for o in opts if o.startswith("--")]
                    if not longs:
                        continue
                    dest = longs[0][2:].replace("-", "_")
                    default = None
                    for k in node.keywords:
                        if k.arg == "dest" and isinstance(k.value, ast.Constant):
                            dest = str(k.value.value)
                        if k.arg == "default":
                            default = self.ev(m, k.value, m.scope_of(node), {})
                    out.append((longs, dest, default))
        return out

    def _collect_temp_views(self) -> set[str]:
        names: set[str] = set()
        for m in self.modules.values():
            for node in ast.walk(m.tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                        "createOrReplaceTempView", "createTempView", "registerTempTable",
                        "createGlobalTempView", "createOrReplaceGlobalTempView") and node.args:
                    got = strings(self.ev(m, node.args[0], m.scope_of(node), {}))
                    if not isinstance(got, Unknown):
                        names.update(g.lower() for g in got)
        return names

    # ------------------------------------------------------------------ calls
    def _call(self, mod: Module, node: ast.Call, scope: ast.AST, over: dict[str, Val]) -> Val:
        f = node.func
        ev = lambda n: self.ev(mod, n, scope, over)  # noqa: E731
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name == "getResolvedOptions":
            return [Obj("args")]
        if name in _RUNTIME_VALUES:
            return [Obj("anystr")]
        if name == "ArgumentParser":
            return [Obj("argparser")]
        if name == "parse_args":
            return [Obj("namespace")]
        if name == "parse_known_args":
            return [Obj("parsed_known")]
        if name in ("client", "resource") and node.args:
            svc = strings(ev(node.args[0]))
            if not isinstance(svc, Unknown) and svc == ["s3"]:
                return [Obj("s3client" if name == "client" else "s3resource")]
        if name == "join" and isinstance(f, ast.Attribute) and _dotted(f.value) in ("os.path", "posixpath"):
            arglists: list[list] = [[]]
            for a in node.args:
                v = ev(a.value if isinstance(a, ast.Starred) else a)
                if isinstance(v, Unknown):
                    return v
                nxt = []
                for alt in v:
                    if isinstance(a, ast.Starred):
                        if not isinstance(alt, Lst) or not all(isinstance(x, str) for x in alt.items):
                            return _u("os.path.join(*x) of values the gate cannot list")
                        nxt += [al + list(alt.items) for al in arglists]
                    else:
                        sv = _strish([alt])
                        if isinstance(sv, Unknown):
                            return sv
                        nxt += [al + [sv[0]] for al in arglists]
                arglists = nxt
                if len(arglists) > MAX_ALTS:
                    return _u(f"more than {MAX_ALTS} possible values")
            return union([[posixpath.join(*al) for al in arglists if al]])
        if name in ("str",) and isinstance(f, ast.Name) and len(node.args) == 1:
            return _strish(ev(node.args[0]))
        if name in ("list", "tuple", "sorted") and isinstance(f, ast.Name) and len(node.args) == 1:
            return ev(node.args[0])
        if name in ("dict",) and isinstance(f, ast.Name) and not node.args:
            return [Dct(tuple((k.arg, ev(k.value)) for k in node.keywords if k.arg))]
        if isinstance(f, ast.Attribute):
            recv = ev(f.value)
            return self._method(mod, node, name, recv, scope, over)
        if isinstance(f, ast.Name):
            target = self.lookup(mod, f.id, scope, over)
            if not isinstance(target, Unknown) and len(target) == 1 and isinstance(target[0], Obj) \
                    and target[0].kind == "func":
                return self._return_value(*target[0].data, call=node, caller=(mod, scope, over))
            if not isinstance(target, Unknown) and len(target) == 1 and isinstance(target[0], Obj) \
                    and target[0].kind == "module" and target[0].data[0].endswith("GlueContext"):
                return [Obj("glue")]
        return _u(f"the result of {name or 'a call'}()")

    def _return_value(self, modname: str, fname: str, call: ast.Call | None = None,
                      caller: tuple | None = None) -> Val:
        """What ``fname`` returns; with ``call``, its parameters bound to this call's arguments
        (so a path helper called twice gives each call its own value)."""
        mod = self.modules[modname]
        fn = mod.functions.get(fname)
        if fn is None:
            return _u(f"{fname}() is not defined")
        rets = [n for n in _walk_scope(fn) if isinstance(n, ast.Return) and n.value is not None]
        if not rets:
            return [None]
        bound: dict[str, Val] = {}
        if call is not None and caller is not None:
            cmod, cscope, cover = caller
            args = fn.args
            positional = [a.arg for a in args.posonlyargs + args.args]
            extra: list[Val] = []
            for i, a in enumerate(call.args):
                if isinstance(a, ast.Starred):
                    bound = {}
                    break
                v = self.ev(cmod, a, cscope, cover)
                if i < len(positional):
                    bound[positional[i]] = v
                else:
                    extra.append(v)
            else:
                for k in call.keywords:
                    if k.arg is not None:
                        bound[k.arg] = self.ev(cmod, k.value, cscope, cover)
                if args.vararg is not None:
                    bound[args.vararg.arg] = _product(extra, lambda xs: Lst(tuple(xs)))
                defaults = args.defaults
                for name, d in zip(positional[len(positional) - len(defaults):], defaults):
                    bound.setdefault(name, self.ev(mod, d, mod.tree, {}))
        return union([self.ev(mod, r.value, fn, bound) for r in rets])

    def _method(self, mod: Module, node: ast.Call, name: str, recv: Val, scope: ast.AST,
                over: dict[str, Val]) -> Val:
        ev = lambda n: self.ev(mod, n, scope, over)  # noqa: E731
        if isinstance(recv, Unknown):
            if name in _STR_METHODS or name == "format":
                return recv
            # distinctive I/O calls count whatever the receiver (spark from a builder, ...)
            return self._generic_method(mod, node, Obj("unknown", (recv.why,)), name, ev)
        out: list[Val] = []
        for r in recv:
            if isinstance(r, str):
                out.append(self._str_method(r, name, node, ev))
            elif isinstance(r, Lst) and name in ("copy",):
                out.append([r])
            elif isinstance(r, Dct) and name == "get" and node.args:
                keys = strings(ev(node.args[0]))
                if isinstance(keys, Unknown):
                    return keys
                for k in keys:
                    v = r.get(k)
                    out.append(v if v is not None else (ev(node.args[1]) if len(node.args) > 1 else [None]))
            elif isinstance(r, Obj):
                out.append(self._obj_method(mod, node, r, name, ev))
            else:
                out.append(_u(f"the result of .{name}()"))
        return union(out)

    def _str_method(self, s: str, name: str, node: ast.Call, ev: Any) -> Val:
        if name == "format":
            args = [_strish(ev(a)) for a in node.args]
            kws = [(k.arg, _strish(ev(k.value))) for k in node.keywords if k.arg]
            combos = _product(args + [v for _, v in kws], lambda xs: xs)
            if isinstance(combos, Unknown):
                return combos
            out = []
            for xs in combos:
                pos = list(xs[:len(args)])
                kw = {k: xs[len(args) + i] for i, (k, _) in enumerate(kws)}
                try:
                    out.append(s.format(*pos, **kw))
                except (IndexError, KeyError, ValueError):
                    return _u("a str.format the gate cannot apply")
            return union([out])
        if name == "join" and len(node.args) == 1:
            items = ev(node.args[0])
            if isinstance(items, Unknown):
                return items
            out = []
            for it in items:
                if isinstance(it, Lst) and all(isinstance(x, str) for x in it.items):
                    out.append(s.join(it.items))
                else:
                    return _u("str.join of values the gate cannot list")
            return out
        if name in _STR_METHODS:
            args = []
            for a in node.args:
                v = ev(a)
                if isinstance(v, Unknown) or len(v) != 1:
                    return _u(f"str.{name} with an argument the gate cannot know")
                args.append(v[0])
            try:
                res = getattr(s, name)(*args)
            except (TypeError, ValueError):
                return _u(f"str.{name}")
            return [res] if isinstance(res, str) else _u(f"str.{name} returns {type(res).__name__}")
        return _u(f"str.{name}()")

    def _obj_method(self, mod: Module, node: ast.Call, r: Obj, name: str, ev: Any) -> Val:
        k = r.kind
        if k == "module" and r.data[0].split(".")[-1] == "GlueContext" and name:
            return _u(f"{name}")
        if k == "argparser":
            if name == "parse_args":
                return [Obj("namespace")]
            if name == "parse_known_args":
                return [Obj("parsed_known")]
            return [r]
        if k == "parsed_known":
            return _u("parse_known_args() result")
        if k == "reader":
            fmt, opts = r.data
            if name == "format" and node.args:
                f = strings(ev(node.args[0]))
                return [Obj("reader", (x, opts)) for x in f] if not isinstance(f, Unknown) else [r]
            if name in ("option", "options", "schema"):
                return [Obj("reader", (fmt, opts + _options(node, ev)))]
            if name in _READ_FORMATS or name == "load":
                self._spark_read(mod, node, name, opts, ev)
                return [Obj("df")]
            if name == "table" and node.args:
                self._catalog_names(mod, node, ev(node.args[0]), "catalog_read", "spark.read.table")
                return [Obj("df")]
            return [r]
        if k == "writer":
            mode, opts = r.data
            if name == "mode" and node.args:
                m = strings(ev(node.args[0]))
                if isinstance(m, Unknown):
                    return [Obj("writer", (m, opts))]
                return [Obj("writer", (x.lower(), opts)) for x in m]
            if name == "partitionBy":
                return [Obj("writer", (mode, opts + (("__partitioned__", [True]),)))]
            if name in ("format", "bucketBy", "sortBy", "option", "options",
                        "outputMode", "trigger", "queryName"):
                return [Obj("writer", (mode, opts + _options(node, ev)))]
            if name in _READ_FORMATS or name == "save" or name == "start":
                self._spark_write(mod, node, name, mode, opts, ev)
                return [None]
            if name in ("saveAsTable", "insertInto") and node.args:
                kmode = _kw(node, "mode") or (node.args[1] if name == "insertInto" and len(node.args) > 1 else None)
                if kmode is not None:
                    m = strings(ev(kmode))
                    mode = m[0].lower() if not isinstance(m, Unknown) and m else mode
                if name == "insertInto" and _kw(node, "overwrite") is not None:
                    ov = ev(_kw(node, "overwrite"))
                    if not isinstance(ov, Unknown) and True in ov:
                        mode = "overwrite"
                self._catalog_names(mod, node, ev(node.args[0]), "catalog_write", f".{name}()",
                                    delete=(mode == "overwrite"))
                return [None]
            return [r]
        if k == "glue_read":
            if name == "from_catalog":
                self._glue_catalog(mod, node, ev, "catalog_read", "create_dynamic_frame.from_catalog")
            elif name == "from_options":
                self._glue_options(mod, node, ev, "read", "create_dynamic_frame.from_options")
            return [Obj("dynamic_frame")]
        if k == "glue_write":
            if name == "from_catalog":
                self._glue_catalog(mod, node, ev, "catalog_write", "write_dynamic_frame.from_catalog", frame=True)
            elif name == "from_options":
                self._glue_options(mod, node, ev, "write", "write_dynamic_frame.from_options", frame=True)
            elif name == "from_jdbc_conf":
                tmp = _kw(node, "redshift_tmp_dir") or (node.args[3] if len(node.args) > 3 else None)
                if tmp is not None:
                    self._s3(mod, node, "write", ev(tmp), "write_dynamic_frame.from_jdbc_conf redshift_tmp_dir")
            return [None]
        return self._generic_method(mod, node, r, name, ev)

    def _generic_method(self, mod: Module, node: ast.Call, r: Obj, name: str, ev: Any) -> Val:
        k = r.kind
        if name in ("create_dynamic_frame_from_catalog", "create_data_frame_from_catalog"):
            self._glue_catalog(mod, node, ev, "catalog_read", name)
            return [Obj("dynamic_frame")]
        if name in ("create_dynamic_frame_from_options", "getSource"):
            self._glue_options(mod, node, ev, "read", name)
            return [Obj("dynamic_frame")]
        if name in ("write_dynamic_frame_from_options",):
            self._glue_options(mod, node, ev, "write", name, frame=True)
            return [None]
        if name in ("write_dynamic_frame_from_catalog",):
            self._glue_catalog(mod, node, ev, "catalog_write", name, frame=True)
            return [None]
        if name == "getSink":
            self._glue_options(mod, node, ev, "write", "getSink", sink=True)
            return [Obj("sink")]
        if name == "setCatalogInfo" and k == "sink":
            db = _kw(node, "catalogDatabase") or (node.args[0] if node.args else None)
            tb = _kw(node, "catalogTableName") or (node.args[1] if len(node.args) > 1 else None)
            self._catalog_pair(mod, node, db, tb, ev, "catalog_write", "sink.setCatalogInfo")
            return [None]
        if name == "purge_s3_path":
            p = _kw(node, "s3_path") or (node.args[0] if node.args else None)
            self._s3(mod, node, "delete", ev(p), "purge_s3_path")
            self._s3(mod, node, "list", ev(p), "purge_s3_path")
            return [None]
        if name == "purge_table":
            db = _kw(node, "database") or (node.args[0] if node.args else None)
            tb = _kw(node, "table_name") or (node.args[1] if len(node.args) > 1 else None)
            self._catalog_pair(mod, node, db, tb, ev, "catalog_read", "purge_table", delete=True)
            return [None]
        if name == "sql" and node.args:
            self._spark_sql(mod, node, ev(node.args[0]))
            return [Obj("df")]
        if name == "table" and node.args and k != "reader":
            self._catalog_names(mod, node, ev(node.args[0]), "catalog_read", "spark.table")
            return [Obj("df")]
        if name in ("textFile", "wholeTextFiles", "binaryFiles") and node.args:
            self._s3(mod, node, "read", ev(node.args[0]), f"sc.{name}")
            return [Obj("df")]
        if k == "s3client" or (k == "unknown" and _kw(node, "Bucket") is not None):
            return self._boto_client(mod, node, name, ev)
        if k == "paginator" and name == "paginate":
            b, p = _kw(node, "Bucket"), _kw(node, "Prefix")
            bucket = ev(b) if b is not None else _u("Bucket not given")
            prefix = ev(p) if p is not None else [""]
            self._s3(mod, node, "list", _join_url(bucket, prefix), "paginator.paginate")
            return [_listing(bucket, prefix)]
        if k in ("s3resource", "bucket", "s3object", "bucket_objects", "listing"):
            return self._boto_resource(mod, node, r, name, ev)
        if name in ("toDF", "fromDF", "cache", "repartition", "coalesce", "filter", "select",
                    "withColumn", "drop", "dropDuplicates", "union", "unionByName", "join",
                    "groupBy", "agg", "orderBy", "limit", "persist", "distinct", "where",
                    "resolveChoice", "apply_mapping", "drop_fields", "select_fields", "relationalize"):
            return [Obj("df")]
        if k == "glue" and name == "spark_session":
            return [Obj("spark")]
        return _u(f"the result of .{name}()")

    # ------------------------------------------------------------------ op recorders
    def _record(self, mod: Module, node: ast.AST, kind: str, target: str | Unknown, what: str,
                partitioned: bool = False) -> None:
        self.analysis.ops.append(Op(kind, target, mod.path.name, getattr(node, "lineno", 0), what,
                                    partitioned))

    def _s3(self, mod: Module, node: ast.AST, kind: str, val: Val, what: str,
            partitioned: bool = False) -> None:
        urls = strings(val)
        if isinstance(urls, Unknown):
            self._record(mod, node, kind, urls, what)
            return
        if not urls:
            self._record(mod, node, kind, _u("no value"), what)
        for u in urls:
            if u.startswith(("s3://", "s3a://", "s3n://")):
                url = "s3://" + u.split("://", 1)[1]
                self._record(mod, node, kind, Wild(url) if isinstance(u, Wild) else url, what, partitioned)
            else:
                self._record(mod, node, kind, _u(f"{u!r} is not an s3:// URL"), what)

    def _spark_read(self, mod: Module, node: ast.Call, name: str, opts: tuple, ev: Any) -> None:
        paths: list[ast.expr] = list(node.args[:1]) if name != "load" or node.args else []
        if name == "load" and not node.args:
            p = _kw(node, "path")
            if p is not None:
                paths = [p]
        if name in _READ_FORMATS and len(node.args) > 1:
            paths = list(node.args)   # spark.read.parquet(p1, p2, ...)
        kpath = _kw(node, "path")
        if kpath is not None and not paths:
            paths = [kpath]
        if not paths:
            path_opt = dict(opts).get("path")
            if path_opt is not None:
                self._s3(mod, node, "read", path_opt, f"spark.read.{name}")
                return
            self._record(mod, node, "read", _u("no path given"), f"spark.read.{name}")
            return
        for p in paths:
            self._s3(mod, node, "read", ev(p), f"spark.read.{name}")

    def _spark_write(self, mod: Module, node: ast.Call, name: str, mode: Any, opts: tuple, ev: Any) -> None:
        kmode = _kw(node, "mode")
        if kmode is not None:
            m = strings(ev(kmode))
            mode = m if isinstance(m, Unknown) else (m[0].lower() if len(m) == 1 else _u("several modes"))
        p = node.args[0] if node.args else _kw(node, "path")
        val = ev(p) if p is not None else dict(opts).get("path", _u("no path given"))
        what = f".write.{name}()"
        part = "__partitioned__" in dict(opts) or _kw(node, "partitionBy") is not None
        self._s3(mod, node, "write", val, what, part)
        if isinstance(mode, Unknown):
            self._record(mod, node, "delete", Unknown(f"the write mode: {mode.why}"), what)
        elif mode == "overwrite":
            self._s3(mod, node, "delete", val, what + " mode overwrite")
            self._s3(mod, node, "list", val, what + " mode overwrite")

    def _glue_catalog(self, mod: Module, node: ast.Call, ev: Any, kind: str, what: str, frame: bool = False) -> None:
        off = 1 if frame and node.args and not _kw(node, "frame") else 0
        db = _kw(node, "database") or _kw(node, "name_space") or (node.args[off] if len(node.args) > off else None)
        tb = _kw(node, "table_name") or (node.args[off + 1] if len(node.args) > off + 1 else None)
        self._catalog_pair(mod, node, db, tb, ev, kind, what)

    def _catalog_pair(self, mod: Module, node: ast.Call, db: ast.expr | None, tb: ast.expr | None,
                      ev: Any, kind: str, what: str, delete: bool = False) -> None:
        if db is None or tb is None:
            self._record(mod, node, kind, _u("database or table not given"), what)
            return
        dbs, tbs = strings(ev(db)), strings(ev(tb))
        for vals in (dbs, tbs):
            if isinstance(vals, Unknown):
                self._record(mod, node, kind, vals, what)
                if delete:
                    self._record(mod, node, "catalog_delete", vals, what)
                return
        for d in dbs:  # type: ignore[union-attr]
            for t in tbs:  # type: ignore[union-attr]
                self._record(mod, node, kind, f"{d}.{t}", what)
                if delete:
                    self._record(mod, node, "catalog_delete", f"{d}.{t}", what)

    def _catalog_names(self, mod: Module, node: ast.Call, val: Val, kind: str, what: str,
                       delete: bool = False) -> None:
        names = strings(val)
        if isinstance(names, Unknown):
            self._record(mod, node, kind, names, what)
            return
        for n in names:
            if n.lower() in self._temp_views:
                continue
            full = n if "." in n else f"default.{n}"
            self._record(mod, node, kind, full.replace("`", ""), what)
            if delete:
                self._record(mod, node, "catalog_delete", full.replace("`", ""), what)

    def _glue_options(self, mod: Module, node: ast.Call, ev: Any, kind: str, what: str,
                      frame: bool = False, sink: bool = False) -> None:
        off = 1 if frame and node.args and not _kw(node, "frame") else 0
        ctype = _kw(node, "connection_type") or (node.args[off] if len(node.args) > off else None)
        types = strings(ev(ctype)) if ctype is not None else _u("no connection_type")
        if isinstance(types, Unknown):
            self._record(mod, node, kind, types, what)
            return
        if not any(t.lower() == "s3" for t in types):
            self.analysis.notes.append(f"{mod.path.name}:{node.lineno} {what} connection_type "
                                       f"{'/'.join(types)} (not S3)")
            return
        if sink or what == "getSource":
            p = _kw(node, "path") or _kw(node, "paths")
            if p is None:
                self._record(mod, node, kind, _u("no path"), what)
                return
            self._s3(mod, node, kind, ev(p), what)
            return
        copts = _kw(node, "connection_options") or (node.args[off + 1] if len(node.args) > off + 1 else None)
        if copts is None:
            self._record(mod, node, kind, _u("no connection_options"), what)
            return
        d = ev(copts)
        if isinstance(d, Unknown):
            self._record(mod, node, kind, d, what)
            return
        for x in d:
            if not isinstance(x, Dct):
                self._record(mod, node, kind, _u("connection_options is not a dict the gate can read"), what)
                continue
            v = x.get("paths") if kind == "read" else x.get("path")
            if v is None:
                v = x.get("path") if kind == "read" else x.get("paths")
            pk = x.get("partitionKeys")
            part = pk is not None and not isinstance(pk, Unknown) and any(
                isinstance(i, Lst) and i.items for i in pk)
            self._s3(mod, node, kind, v if v is not None else _u("no path in connection_options"), what, part)

    def _spark_sql(self, mod: Module, node: ast.Call, val: Val) -> None:
        queries = strings(val)
        if isinstance(queries, Unknown):
            self._record(mod, node, "catalog_read", Unknown(f"the SQL text: {queries.why}"), "spark.sql")
            return
        for q in queries:
            try:
                reads, writes, overwrite, locations = sql_tables(q)
            except ValueError as err:
                self._record(mod, node, "catalog_read", _u(f"the SQL does not parse: {err}"), "spark.sql")
                continue
            for t in reads:
                if t.split(".")[-1].lower() not in self._temp_views:
                    self._record(mod, node, "catalog_read", t if "." in t else f"default.{t}", "spark.sql")
            for t in writes:
                full = t if "." in t else f"default.{t}"
                self._record(mod, node, "catalog_write", full, "spark.sql")
                if overwrite:
                    self._record(mod, node, "catalog_delete", full, "spark.sql INSERT OVERWRITE")
            for loc in locations:
                self._s3(mod, node, "write", [loc], "spark.sql LOCATION")

    def _boto_client(self, mod: Module, node: ast.Call, name: str, ev: Any) -> Val:
        def arg(kw: str, pos: int | None) -> Val:
            v = _kw(node, kw)
            if v is None and pos is not None and len(node.args) > pos:
                v = node.args[pos]
            return ev(v) if v is not None else _u(f"{kw} not given")

        simple = {"get_object": ("read", "Bucket", None, "Key", None),
                  "head_object": ("read", "Bucket", None, "Key", None),
                  "put_object": ("write", "Bucket", None, "Key", None),
                  "delete_object": ("delete", "Bucket", None, "Key", None),
                  "upload_file": ("write", "Bucket", 1, "Key", 2),
                  "upload_fileobj": ("write", "Bucket", 1, "Key", 2),
                  "download_file": ("read", "Bucket", 0, "Key", 1),
                  "download_fileobj": ("read", "Bucket", 0, "Key", 1)}
        if name in simple:
            kind, bk, bp, kk, kp = simple[name]
            self._s3(mod, node, kind, _join_url(arg(bk, bp), arg(kk, kp)), f"s3.{name}")
            return [Obj("s3response")]
        if name in ("copy_object", "copy"):
            pos = (None, None, None) if name == "copy_object" else (1, 2, 0)
            self._s3(mod, node, "write", _join_url(arg("Bucket", pos[0]), arg("Key", pos[1])), f"s3.{name}")
            self._s3(mod, node, "read", _copy_source(arg("CopySource", pos[2])), f"s3.{name} CopySource")
            return [Obj("s3response")]
        if name == "delete_objects":
            self._s3(mod, node, "delete", _u("the keys of delete_objects"), "s3.delete_objects") \
                if not self._delete_objects(mod, node, arg) else None
            return [None]
        if name in ("list_objects", "list_objects_v2"):
            b, p = arg("Bucket", None), _kw(node, "Prefix")
            prefix = ev(p) if p is not None else [""]
            self._s3(mod, node, "list", _join_url(b, prefix), f"s3.{name}")
            return [_listing(b, prefix)]
        if name == "get_paginator":
            return [Obj("paginator")]
        return _u(f"s3.{name}()")

    def _delete_objects(self, mod: Module, node: ast.Call, arg: Any) -> bool:
        bucket = arg("Bucket", None)
        delete = arg("Delete", None)
        if isinstance(delete, Unknown):
            return False
        keys: list = []
        for d in delete:
            objs = d.get("Objects") if isinstance(d, Dct) else None
            if objs is None or isinstance(objs, Unknown):
                return False
            for o in objs:
                for item in (o.items if isinstance(o, Lst) else [o]):
                    k = item.get("Key") if isinstance(item, Dct) else None
                    if k is None or isinstance(k, Unknown):
                        return False
                    keys.extend(k)
        self._s3(mod, node, "delete", _join_url(bucket, keys), "s3.delete_objects")
        return True

    def _boto_resource(self, mod: Module, node: ast.Call, r: Obj, name: str, ev: Any) -> Val:
        k = r.kind
        a0 = ev(node.args[0]) if node.args else None
        if k == "s3resource" and name == "Bucket":
            b = a0 if a0 is not None else ev(_kw(node, "name"))
            bs = strings(b)
            return [Obj("bucket", (x,)) for x in bs] if not isinstance(bs, Unknown) else bs
        if k == "s3resource" and name == "Object" and len(node.args) >= 2:
            url = _join_url(a0, ev(node.args[1]))
            us = strings(url)
            return [Obj("s3object", (u,)) for u in us] if not isinstance(us, Unknown) else us
        if k == "bucket":
            bucket = r.data[0]
            if name == "Object":
                key = a0 if a0 is not None else ev(_kw(node, "key"))
                us = strings(_join_url([bucket], key))
                return [Obj("s3object", (u,)) for u in us] if not isinstance(us, Unknown) else us
            if name in ("upload_file", "upload_fileobj", "put_object"):
                key = _kw(node, "Key")
                keyv = ev(key) if key is not None else (ev(node.args[1]) if len(node.args) > 1 else _u("no Key"))
                self._s3(mod, node, "write", _join_url([bucket], keyv), f"Bucket.{name}")
                return [None]
            if name in ("download_file", "download_fileobj"):
                key = _kw(node, "Key")
                keyv = ev(key) if key is not None else (a0 if a0 is not None else _u("no Key"))
                self._s3(mod, node, "read", _join_url([bucket], keyv), f"Bucket.{name}")
                return [None]
            if name == "copy":
                key = _kw(node, "Key") or (node.args[1] if len(node.args) > 1 else None)
                self._s3(mod, node, "write", _join_url([bucket], ev(key) if key is not None else _u("no Key")),
                         "Bucket.copy")
                src = _kw(node, "CopySource") or (node.args[0] if node.args else None)
                self._s3(mod, node, "read", _copy_source(ev(src) if src is not None else _u("no CopySource")),
                         "Bucket.copy CopySource")
                return [None]
        if k == "bucket_objects":
            bucket = r.data[0]
            if name == "filter":
                p = _kw(node, "Prefix")
                prefix = ev(p) if p is not None else [""]
                self._s3(mod, node, "list", _join_url([bucket], prefix), "Bucket.objects.filter")
                return [_listing([bucket], prefix)]
            if name == "all":
                self._s3(mod, node, "list", [f"s3://{bucket}/"], "Bucket.objects.all")
                return [_listing([bucket], [""])]
        if k == "listing" and name == "delete":
            b, p = r.data
            self._s3(mod, node, "delete", [Wild(f"s3://{b}/{p}")] if b and p is not None
                     else _u("the listing's bucket or prefix"), "objects.delete")
            return [None]
        if k == "listing" and name in ("get", "paginate"):
            return [r]
        if k == "s3object":
            url = r.data[0]
            kinds = {"get": "read", "download_file": "read", "download_fileobj": "read", "load": "read",
                     "put": "write", "upload_file": "write", "upload_fileobj": "write",
                     "delete": "delete", "copy_from": "write"}
            if name in kinds:
                self._s3(mod, node, kinds[name], [url], f"Object.{name}")
                if name == "copy_from":
                    src = _kw(node, "CopySource")
                    self._s3(mod, node, "read", _copy_source(ev(src) if src is not None else _u("no CopySource")),
                             "Object.copy_from CopySource")
                return [Obj("s3response")]
        return _u(f"the result of .{name}()")

    # ------------------------------------------------------------------ driver
    def run(self) -> Analysis:
        """Evaluate every call in the code that runs: the script's module body, the shipped
        modules it imports, and every function reachable from them."""
        scopes = self._reachable_scopes()
        for mod, scope in scopes:
            for node in _walk_scope(scope):
                if isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                        node.func.id if isinstance(node.func, ast.Name) else ""
                    if name == "getResolvedOptions" and len(node.args) > 1:
                        got = strings(self.ev(mod, node.args[1], scope, {}))
                        if not isinstance(got, Unknown):
                            self.analysis.resolved_args.extend(got)
                    if name in _OP_NAMES:
                        self.ev(mod, node, scope, {})
        # the same call evaluated from several places records its op once
        seen: set[tuple] = set()
        ops = []
        for op in self.analysis.ops:
            key = (op.kind, op.target if isinstance(op.target, str) else op.target.why, op.file, op.line)
            if key not in seen:
                seen.add(key)
                ops.append(op)
        self.analysis.ops = ops
        return self.analysis

    def _reachable_scopes(self) -> list[tuple[Module, ast.AST]]:
        out: list[tuple[Module, ast.AST]] = []
        seen: set[int] = set()
        todo: list[tuple[Module, ast.AST]] = [(self.script, self.script.tree)]
        for m in self.modules.values():
            if m is not self.script:
                todo.append((m, m.tree))   # a shipped module's body runs on import
        while todo:
            mod, scope = todo.pop()
            if id(scope) in seen:
                continue
            seen.add(id(scope))
            out.append((mod, scope))
            for node in _walk_scope(scope):
                if isinstance(node, ast.Lambda) or (
                        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not isinstance(scope, ast.Module)):
                    # nested helpers run when their parent does; a lambda has no name to be
                    # reached by (``save = lambda df: df.write...``), so any lambda counts
                    todo.append((mod, node))
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    tgt = self._function_named(mod, node.id)
                    if tgt is not None:
                        todo.append(tgt)
                elif isinstance(node, ast.Attribute):
                    if isinstance(node.value, ast.Name):   # module.function
                        src = mod.imports.get(node.value.id)
                        if src and src[1] is None and src[0] in self.modules:
                            fn = self.modules[src[0]].functions.get(node.attr)
                            if fn is not None:
                                todo.append((self.modules[src[0]], fn))
                    # obj.method, but also Sink().publish / self.make().run: any class's method
                    # of that name may be the one called
                    for cls_fn in self._methods_named(node.attr):
                        todo.append(cls_fn)
        return out

    def _function_named(self, mod: Module, name: str) -> tuple[Module, ast.AST] | None:
        if name in mod.functions:
            return mod, mod.functions[name]
        src = mod.imports.get(name)
        if src and src[0] in self.modules and src[1] in self.modules[src[0]].functions:
            other = self.modules[src[0]]
            return other, other.functions[src[1]]  # type: ignore[index]
        return None

    def _methods_named(self, name: str) -> list[tuple[Module, ast.AST]]:
        """Every class method called ``name`` in the script and its shipped modules, in module
        order, then source order. One walk of every tree builds the index for all names (the
        modules are fixed in ``__init__``); walking them again for each attribute name read was
        ~30 % of the gate's time on the reference pipeline's three jobs."""
        index = self.__dict__.get("_methods_index")
        if index is None:
            index = {}
            for m in self.modules.values():
                for node in ast.walk(m.tree):
                    if isinstance(node, ast.ClassDef):
                        for item in node.body:
                            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                                index.setdefault(item.name, []).append((m, item))
            self.__dict__["_methods_index"] = index
        return index.get(name, [])


# ----------------------------------------------------------------------------- helpers

# Calls whose string value is chosen at run time (dates, times, uuids): any string.
_RUNTIME_VALUES = frozenset({"isoformat", "strftime", "now", "today", "utcnow", "uuid4", "uuid1",
                             "time_ns", "timestamp", "date_format"})
_READ_FORMATS = ("parquet", "csv", "json", "orc", "text", "avro", "jdbc")
_STR_METHODS = ("rstrip", "lstrip", "strip", "lower", "upper", "replace", "removeprefix",
                "removesuffix", "casefold")
_OP_NAMES = frozenset({
    "from_catalog", "from_options", "from_jdbc_conf", "create_dynamic_frame_from_catalog",
    "create_data_frame_from_catalog", "create_dynamic_frame_from_options", "getSource",
    "write_dynamic_frame_from_options", "write_dynamic_frame_from_catalog", "getSink",
    "setCatalogInfo", "purge_s3_path", "purge_table", "sql", "table", "textFile", "wholeTextFiles",
    "binaryFiles", *_READ_FORMATS, "load", "save", "start", "saveAsTable", "insertInto",
    "get_object", "head_object", "put_object", "delete_object", "delete_objects", "upload_file",
    "upload_fileobj", "download_file", "download_fileobj", "copy_object", "copy", "list_objects",
    "list_objects_v2", "filter", "all", "delete", "get", "put", "copy_from", "paginate"})


def _params(fn: ast.FunctionDef) -> list[str]:
    extra = [fn.args.vararg.arg] if fn.args.vararg is not None else []
    return [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs] + extra


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    return ""


def _is_sys_argv(node: ast.AST, mod: Module) -> bool:
    d = _dotted(node)
    return d == "sys.argv" or (d == "argv" and mod.imports.get("argv") == ("sys", "argv"))


def _kw(node: ast.Call, name: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg == name:
            return k.value
    return None


def _all(val: Val, cls: type) -> bool:
    return not isinstance(val, Unknown) and bool(val) and all(isinstance(x, cls) for x in val)


def _strish(val: Val) -> Val:
    if isinstance(val, Unknown):
        return val
    out = []
    for x in val:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            out.append(str(x))
        elif isinstance(x, Obj) and x.kind == "listing" and x.data[1] is not None:
            out.append(Wild(x.data[1]))   # a key from a listing: starts with the listed prefix
        elif isinstance(x, Obj) and x.kind == "anystr":
            out.append(Wild(""))          # a run-time value (date, uuid): any string
        else:
            return _u("a value that is not a string")
    return out


def _product(parts: list[Val], fn: Any) -> Val:
    combos: list[tuple] = [()]
    for p in parts:
        if isinstance(p, Unknown):
            return p
        combos = [c + (x,) for c in combos for x in p]
        if len(combos) > MAX_ALTS:
            return _u(f"more than {MAX_ALTS} possible values")
    try:
        return union([[fn(c) for c in combos]])
    except TypeError:
        return _u("values of the wrong type")


def _concat(parts: list[Val]) -> Val:
    """Concatenate string alternatives; from the first Wild part on (a listed key, a run-time
    date or uuid) the result is "any string starting with" what precedes it plus that part."""
    def cat(xs: tuple) -> str:
        for i, x in enumerate(xs):
            if isinstance(x, Wild):
                return Wild("".join(xs[:i + 1]))
        return "".join(xs)
    return _product(parts, cat)


def _options(node: ast.Call, ev: Any) -> tuple:
    if node.args and len(node.args) >= 2:
        k = strings(ev(node.args[0]))
        if not isinstance(k, Unknown) and len(k) == 1:
            return ((k[0].lower(), ev(node.args[1])),)
    return tuple((kw.arg.lower(), ev(kw.value)) for kw in node.keywords if kw.arg)


def _join_url(bucket: Val, key: Val) -> Val:
    bs, ks = strings(bucket), key
    if isinstance(bs, Unknown):
        return bs
    if isinstance(ks, Unknown):
        return ks
    out = []
    for b in bs:
        for k in ks:
            if isinstance(k, Obj) and k.kind == "listing" and k.data[1] is not None:
                out.append(Wild(f"s3://{b}/{k.data[1]}") if not k.data[0] or k.data[0] == b
                           else Wild(f"s3://{k.data[0]}/{k.data[1]}"))
            elif isinstance(k, str):
                u = f"s3://{b}/{k.lstrip('/')}"
                out.append(Wild(u) if isinstance(k, Wild) else u)
            else:
                return _u("an S3 key the gate cannot know")
    return out


def _copy_source(val: Val) -> Val:
    if isinstance(val, Unknown):
        return val
    out = []
    for v in val:
        if isinstance(v, Dct):
            got = _join_url(v.get("Bucket") or _u("no Bucket"), v.get("Key") or _u("no Key"))
            if isinstance(got, Unknown):
                return got
            out.extend(got)
        elif isinstance(v, str) and "/" in v:
            out.append("s3://" + v.lstrip("/").split("?", 1)[0])
        else:
            return _u("a CopySource the gate cannot read")
    return out


def _listing(bucket: Val, prefix: Val) -> Obj:
    bs, ps = strings(bucket), strings(prefix)
    b = bs[0] if not isinstance(bs, Unknown) and len(bs) == 1 else ""
    p = ps[0] if not isinstance(ps, Unknown) and len(ps) == 1 else None
    return Obj("listing", (b, p))


_SQL_CACHE: dict[str, tuple] = {}


def sql_tables(sql: str) -> tuple[list[str], list[str], bool, list[str]]:
    """(tables read, tables written, overwrite?, LOCATION URLs) of Spark SQL text, via sqlglot.
    CTE names are not tables. ValueError when sqlglot cannot parse it."""
    if sql in _SQL_CACHE:
        return _SQL_CACHE[sql]
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = sqlglot.parse(sql, read="spark")
    except SqlglotError as err:
        raise ValueError(str(err).splitlines()[0]) from None
    reads: list[str] = []
    writes: list[str] = []
    locations: list[str] = []
    overwrite = False
    for st in statements:
        if st is None:
            continue
        ctes = {c.alias_or_name.lower() for c in st.find_all(exp.CTE)}
        written: set[int] = set()
        if isinstance(st, (exp.Insert, exp.Create)):
            target = st.this
            tbl = target if isinstance(target, exp.Table) else target.find(exp.Table) if target else None
            if tbl is not None:
                writes.append(_table_name(tbl))
                written.add(id(tbl))
            if isinstance(st, exp.Insert) and st.args.get("overwrite"):
                overwrite = True
            for loc in st.find_all(exp.LocationProperty):
                locations.append(loc.this.name)
        for tbl in st.find_all(exp.Table):
            if id(tbl) in written or not tbl.name:
                continue
            if tbl.name.lower() in ctes and not tbl.db:
                continue
            reads.append(_table_name(tbl))
    result = (list(dict.fromkeys(reads)), list(dict.fromkeys(writes)), overwrite, locations)
    _SQL_CACHE[sql] = result
    return result


def _table_name(tbl: Any) -> str:
    return f"{tbl.db}.{tbl.name}" if tbl.db else tbl.name


def analyze(script_path: Path, script_tree: ast.Module, modules: dict[str, tuple[Path, ast.Module]],
            job_args: dict[str, str]) -> Analysis:
    """Analyse ``script_tree`` with the shipped ``modules`` (name -> (path, tree)) for a job
    passing ``job_args`` (``{"--key": "value"}``)."""
    script = Module.build("__main__", script_path, script_tree)
    mods = {name: Module.build(name, p, t) for name, (p, t) in modules.items()}
    return Program(script, mods, job_args).run()


__all__ = ["Analysis", "Op", "Unknown", "Wild", "analyze", "sql_tables"]

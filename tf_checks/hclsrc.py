"""Reading Terraform ``.tf`` sources and evaluating the expression subset used in policies.

Why: for a non-constant expression such as ``policy = jsonencode({...})`` the plan's
``configuration`` keeps only the list of references, and the planned value is unknown when it
interpolates an ARN created in the same plan. With the source we can rebuild the value: parse the
expression and evaluate it with the planned values of what it references substituted.

python-hcl2 (8.x) gives attribute values as expression *text* (``"${aws_s3_bucket.x.arn}"``,
``"\\"s3://${...}/\\""``); this module parses that text with a small recursive-descent parser for
the subset that appears in policies and pipeline wiring: string templates with ``${...}``,
numbers, bools, null, lists, objects, parentheses, references with attribute/index traversal
(``var.``, ``local.``, ``path.module``, ``each.key``, ``count.index``, resources, ``data.``) and the
functions in :data:`FUNCTIONS`. Anything else (operators, conditionals, ``for`` expressions,
splats, template directives) raises :class:`Unresolved` — the caller reports "cannot verify",
never guesses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lakegate.errors import LakegateError


class Unresolved(Exception):
    """An expression (or a value it references) cannot be evaluated before apply."""


# --------------------------------------------------------------------------- parser

_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<punct>\.\.\.|=>|==|!=|<=|>=|&&|\|\||[\[\]{}(),.=:?!<>+\-*/%])
""", re.VERBOSE | re.DOTALL)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    # -- low level
    def _skip(self) -> None:
        while self.i < len(self.s):
            m = _TOKEN.match(self.s, self.i)
            if m and m.lastgroup == "ws":
                self.i = m.end()
            else:
                return

    def peek(self) -> str:
        self._skip()
        return self.s[self.i] if self.i < len(self.s) else ""

    def eat(self, ch: str) -> None:
        if self.peek() != ch:
            raise Unresolved(f"expected {ch!r} at offset {self.i} in {self.s[:80]!r}")
        self.i += 1

    def at_end(self) -> bool:
        return self.peek() == ""

    # -- grammar
    def expr(self) -> tuple:
        node = self.postfix(self.primary())
        c = self.peek()
        if c and c in "?+-*/%<>=!&|" and not self.s.startswith("=>", self.i):
            raise Unresolved(f"operator {c!r} is not supported in {self.s[:80]!r}")
        return node

    def primary(self) -> tuple:
        c = self.peek()
        if c == '"':
            return self.template()
        if c == "[":
            self.i += 1
            if self.s.startswith("for ", self.i) or re.match(r"\s*for\s", self.s[self.i:]):
                raise Unresolved("for expressions are not supported")
            items = []
            while self.peek() != "]":
                items.append(self.expr())
                if self.peek() == ",":
                    self.i += 1
                elif self.peek() != "]":
                    raise Unresolved(f"expected ',' or ']' at offset {self.i}")
            self.i += 1
            return ("list", items)
        if c == "{":
            self.i += 1
            if re.match(r"\s*for\s", self.s[self.i:]):
                raise Unresolved("for expressions are not supported")
            pairs = []
            while self.peek() != "}":
                key = self.object_key()
                if self.peek() in ("=", ":"):
                    self.i += 1
                else:
                    raise Unresolved(f"expected '=' or ':' at offset {self.i}")
                pairs.append((key, self.expr()))
                if self.peek() == ",":
                    self.i += 1
            self.i += 1
            return ("obj", pairs)
        if c == "(":
            self.i += 1
            node = self.expr()
            self.eat(")")
            return node
        self._skip()
        m = _TOKEN.match(self.s, self.i)
        if m is None or m.lastgroup not in ("num", "ident"):
            raise Unresolved(f"unexpected input at offset {self.i} in {self.s[:80]!r}")
        self.i = m.end()
        tok = m.group()
        if m.lastgroup == "num":
            v = float(tok)
            return ("lit", int(v) if v.is_integer() and "." not in tok and "e" not in tok.lower() else v)
        if tok in ("true", "false"):
            return ("lit", tok == "true")
        if tok == "null":
            return ("lit", None)
        if self.peek() == "(":
            self.i += 1
            args = []
            while self.peek() != ")":
                args.append(self.expr())
                if self.peek() == ",":
                    self.i += 1
                elif self.s.startswith("...", self.i):
                    raise Unresolved("argument expansion (...) is not supported")
                elif self.peek() != ")":
                    raise Unresolved(f"expected ',' or ')' at offset {self.i}")
            self.i += 1
            return ("call", tok, args)
        return ("ref", [tok])

    def object_key(self) -> tuple:
        c = self.peek()
        if c == '"':
            return self.template()
        if c == "(":
            self.i += 1
            node = self.expr()
            self.eat(")")
            return node
        m = _TOKEN.match(self.s, self.i)
        if m is None or m.lastgroup != "ident":
            raise Unresolved(f"bad object key at offset {self.i}")
        self.i = m.end()
        return ("lit", m.group())

    def postfix(self, node: tuple) -> tuple:
        while True:
            c = self.peek()
            if c == "." and not self.s.startswith("...", self.i):
                self.i += 1
                self._skip()
                if self.peek() == "*":
                    raise Unresolved("splat expressions are not supported")
                m = _TOKEN.match(self.s, self.i)
                if m is None or m.lastgroup not in ("ident", "num"):
                    raise Unresolved(f"bad attribute at offset {self.i}")
                self.i = m.end()
                step: Any = int(m.group()) if m.lastgroup == "num" else m.group()
                node = self._step(node, ("attr", step) if isinstance(step, str) else ("idx", ("lit", step)))
            elif c == "[":
                self.i += 1
                if self.peek() == "*":
                    raise Unresolved("splat expressions are not supported")
                key = self.expr()
                self.eat("]")
                node = self._step(node, ("idx", key))
            else:
                return node

    @staticmethod
    def _step(node: tuple, step: tuple) -> tuple:
        if node[0] == "ref":
            return ("ref", node[1] + [step])
        return ("get", node, step)

    def template(self) -> tuple:
        """A quoted string with ``${...}`` interpolations (``%{`` directives unsupported)."""
        self.eat('"')
        parts: list[Any] = []
        buf: list[str] = []
        s = self.s
        while True:
            if self.i >= len(s):
                raise Unresolved("unterminated string")
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                break
            if ch == "\\":
                nxt = s[self.i + 1:self.i + 2]
                buf.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(nxt, nxt))
                self.i += 2
                continue
            if s.startswith("$${", self.i) or s.startswith("%%{", self.i):
                buf.append(s[self.i + 1:self.i + 3])
                self.i += 3
                continue
            if s.startswith("%{", self.i):
                raise Unresolved("template directives (%{...}) are not supported")
            if s.startswith("${", self.i):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                self.i += 2
                if s.startswith("~", self.i):
                    self.i += 1
                parts.append(self.expr())
                self._skip()
                if s.startswith("~", self.i):
                    self.i += 1
                self.eat("}")
                continue
            buf.append(ch)
            self.i += 1
        if buf:
            parts.append("".join(buf))
        return ("tmpl", parts)


def parse_expression(text: str) -> tuple:
    """Parse one HCL expression (as python-hcl2 renders it) into a small AST."""
    if text.startswith('"<<'):
        raise Unresolved("heredoc strings are not supported")
    p = _Parser(text)
    if text.startswith("${") and text.endswith("}"):
        # python-hcl2 wraps a non-literal expression in ${...}; a bare ${X} is the value of X.
        inner = _Parser(text[2:-1])
        node = inner.expr()
        if inner.at_end():
            return node
    node = p.expr()
    if not p.at_end():
        raise Unresolved(f"unsupported syntax at offset {p.i} in {text[:80]!r}")
    return node


# --------------------------------------------------------------------------- evaluation

def _tostring(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    raise Unresolved(f"cannot convert {type(v).__name__} to a string")


def _norm_num(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _norm_num(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm_num(x) for x in v]
    return v


def _jsonencode(v: Any) -> str:
    # Terraform's jsonencode: object keys sorted, no whitespace, 1.0 -> 1.
    return json.dumps(_norm_num(v), sort_keys=True, separators=(",", ":"))


def _format(fmt: Any, *args: Any) -> str:
    if not isinstance(fmt, str):
        raise Unresolved("format() needs a string")
    it = iter(args)
    out = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            verb = fmt[i + 1]
            if verb == "%":
                out.append("%")
            elif verb in "sdvq":
                try:
                    val = next(it)
                except StopIteration:
                    raise Unresolved("format(): not enough arguments") from None
                out.append(json.dumps(val) if verb == "q" else _tostring(val))
            else:
                raise Unresolved(f"format() verb %{verb} is not supported")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in v:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": lambda s: json.loads(s),
    "format": _format,
    "join": lambda sep, items: sep.join(_tostring(x) for x in items),
    "concat": lambda *ls: [x for lst in ls for x in lst],
    "merge": lambda *ds: {k: v for d in ds for k, v in d.items()},
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "tostring": _tostring,
    "tolist": list,
    "toset": lambda xs: sorted(set(xs), key=str),
    "flatten": _flatten,
    "distinct": lambda xs: list(dict.fromkeys(xs)),
    "compact": lambda xs: [x for x in xs if x not in ("", None)],
    "replace": lambda s, a, b: s.replace(a, b),
    "trimsuffix": lambda s, x: s[: -len(x)] if x and s.endswith(x) else s,
    "trimprefix": lambda s, x: s[len(x):] if s.startswith(x) else s,
    "coalesce": lambda *xs: next(x for x in xs if x not in (None, "")),
}


@dataclass
class Scope:
    """What names mean while evaluating one module's expressions.

    ``resource`` is called with (config address like ``aws_s3_bucket.x`` or ``data.t.n``,
    instance key or ``None``, remaining traversal steps as plain values) and returns the value
    or raises :class:`Unresolved`.
    """

    variables: dict[str, Any]
    locals_src: dict[str, Any]
    resource: Callable[[str, Any, list[Any]], Any]
    module_path: str = "."
    # module.<name>[key].<output...>: (name, key, steps) -> value, or None (not resolved)
    module_output: Callable[[str, Any, list[Any]], Any] | None = None
    each_key: Any = None
    each_value: Any = None
    count_index: Any = None
    _locals: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        if name not in self.locals_src:
            raise Unresolved(f"local.{name} is not declared")
        if name in self._evaluating:
            raise Unresolved(f"local.{name} refers to itself")
        self._evaluating.add(name)
        try:
            # locals do not see each/count of the resource being evaluated
            sub = Scope(self.variables, self.locals_src, self.resource, self.module_path,
                        module_output=self.module_output,
                        _locals=self._locals, _evaluating=self._evaluating)
            value = evaluate_hcl_value(self.locals_src[name], sub)
        finally:
            self._evaluating.discard(name)
        self._locals[name] = value
        return value


def _traverse(value: Any, steps: list[Any]) -> Any:
    for step in steps:
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            raise Unresolved(f"cannot read {step!r}")
    return value


def evaluate(node: tuple, scope: Scope) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "tmpl":
        parts = node[1]
        if len(parts) == 1 and not isinstance(parts[0], str):
            return evaluate(parts[0], scope)
        return "".join(p if isinstance(p, str) else _tostring(evaluate(p, scope)) for p in parts)
    if kind == "list":
        return [evaluate(x, scope) for x in node[1]]
    if kind == "obj":
        out = {}
        for k, v in node[1]:
            key = evaluate(k, scope)
            out[_tostring(key)] = evaluate(v, scope)
        return out
    if kind == "call":
        fn = FUNCTIONS.get(node[1])
        if fn is None:
            raise Unresolved(f"function {node[1]}() is not supported")
        args = [evaluate(a, scope) for a in node[2]]
        try:
            return fn(*args)
        except Unresolved:
            raise
        except Exception as err:  # noqa: BLE001 - wrong argument types etc.
            raise Unresolved(f"{node[1]}() failed: {err}") from None
    if kind == "get":
        base = evaluate(node[1], scope)
        return _traverse(base, [_step_value(node[2], scope)])
    if kind == "ref":
        return _ref(node[1], scope)
    raise Unresolved(f"unsupported expression {kind}")


def _step_value(step: tuple, scope: Scope) -> Any:
    if step[0] == "attr":
        return step[1]
    v = evaluate(step[1], scope)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return v


def _ref(steps: list[Any], scope: Scope) -> Any:
    root = steps[0]
    kinds = [s[0] for s in steps[1:]]
    rest = [_step_value(s, scope) for s in steps[1:]]
    if root == "var":
        if not rest or rest[0] not in scope.variables:
            raise Unresolved(f"var.{rest[0] if rest else '?'} has no value")
        return _traverse(scope.variables[rest[0]], rest[1:])
    if root == "local":
        if not rest:
            raise Unresolved("bare 'local'")
        return _traverse(scope.local(rest[0]), rest[1:])
    if root == "path":
        if rest[:1] in (["module"], ["root"], ["cwd"]):
            return scope.module_path
        raise Unresolved("unknown path.* value")
    if root == "each":
        if scope.each_key is None:
            raise Unresolved("each.* outside for_each")
        if rest[:1] == ["key"]:
            return scope.each_key
        if rest[:1] == ["value"]:
            if scope.each_value is None:
                raise Unresolved("each.value is not known")
            return _traverse(scope.each_value, rest[1:])
        raise Unresolved("unknown each.* attribute")
    if root == "count":
        if scope.count_index is None:
            raise Unresolved("count.index outside count")
        return scope.count_index
    if root == "module":
        if scope.module_output is None or not rest:
            raise Unresolved("module outputs are not resolved")
        name, kinds, rest = rest[0], kinds[1:], rest[1:]
        key = None
        if kinds and kinds[0] == "idx":
            key, rest = rest[0], rest[1:]
        return scope.module_output(name, key, rest)
    if root == "data":
        if len(rest) < 2 or kinds[:2] != ["attr", "attr"]:
            raise Unresolved("incomplete data reference")
        addr = f"data.{rest[0]}.{rest[1]}"
        kinds, rest = kinds[2:], rest[2:]
    else:
        if not rest or kinds[0] != "attr":
            raise Unresolved(f"unknown name {root!r}")
        addr = f"{root}.{rest[0]}"
        kinds, rest = kinds[1:], rest[1:]
    key = None
    if kinds and kinds[0] == "idx":
        key = rest[0]
        rest = rest[1:]
    return scope.resource(addr, key, rest)


def evaluate_hcl_value(value: Any, scope: Scope) -> Any:
    """Evaluate a python-hcl2 value (expression text, literal, list or object)."""
    if isinstance(value, str):
        return evaluate(parse_expression(value), scope)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list):
        return [evaluate_hcl_value(v, scope) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): evaluate_hcl_value(v, scope) for k, v in value.items()
                if k != "__is_block__"}
    raise Unresolved(f"unsupported value {type(value).__name__}")


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == '"' and key[-1] == '"':
        return key[1:-1]
    return key


# --------------------------------------------------------------------------- sources

@dataclass
class ModuleSource:
    """The blocks of one module directory, indexed for lookup."""

    directory: Path
    resources: dict[str, dict[str, Any]]      # "aws_x.y" / "data.aws_x.y" -> body
    locals: dict[str, Any]
    variables: dict[str, Any]                 # name -> default (hcl value), when given
    module_calls: dict[str, dict[str, Any]]   # name -> body (incl. "source")
    files: dict[str, str]                     # config address -> file name (relative)


def load_module_source(directory: Path) -> ModuleSource:
    """Parse every ``*.tf`` file of ``directory`` (not recursive)."""
    import hcl2

    resources: dict[str, dict[str, Any]] = {}
    locals_: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    calls: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for path in sorted(directory.glob("*.tf")):
        try:
            with path.open(encoding="utf-8") as fh:
                doc = hcl2.load(fh)
        except Exception as err:  # noqa: BLE001 - python-hcl2 raises lark errors of many types
            raise LakegateError(f"cannot parse Terraform file: {str(err).splitlines()[0][:200]}",
                                where=str(path), fix="run 'terraform validate' and fix the syntax") from None
        for block in doc.get("resource", []) or []:
            for rtype, named in block.items():
                for rname, body in named.items():
                    key = f"{_unquote(rtype)}.{_unquote(rname)}"
                    resources[key] = body
                    files[key] = path.name
        for block in doc.get("data", []) or []:
            for rtype, named in block.items():
                for rname, body in named.items():
                    key = f"data.{_unquote(rtype)}.{_unquote(rname)}"
                    resources[key] = body
                    files[key] = path.name
        for block in doc.get("locals", []) or []:
            for k, v in block.items():
                if k != "__is_block__":
                    locals_[k] = v
        for block in doc.get("variable", []) or []:
            for name, body in block.items():
                if isinstance(body, dict) and "default" in body:
                    variables[_unquote(name)] = body["default"]
        for block in doc.get("module", []) or []:
            for name, body in block.items():
                calls[_unquote(name)] = body
    return ModuleSource(directory, resources, locals_, variables, calls, files)


def block_line(directory: Path, file: str, kind: str) -> int | None:
    """1-based line of the ``resource "t" "n"`` / ``data "t" "n"`` header in ``file``."""
    parts = kind.split(".")
    if parts[0] == "data":
        pat = re.compile(rf'^\s*data\s+"{re.escape(parts[1])}"\s+"{re.escape(parts[2])}"')
    else:
        pat = re.compile(rf'^\s*resource\s+"{re.escape(parts[0])}"\s+"{re.escape(parts[1])}"')
    try:
        for n, line in enumerate((directory / file).read_text(encoding="utf-8").splitlines(), 1):
            if pat.match(line):
                return n
    except OSError:
        return None
    return None

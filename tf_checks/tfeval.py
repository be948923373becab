"""Evaluating a Terraform configuration the way Terraform does, through ``tfparse``.

Why tfparse (Cloud Custodian's binding of the Trivy/defsec Terraform evaluator, see
``docs/gate-evaluation.md``): it evaluates modules (inputs, outputs, nesting, ``count`` /
``for_each`` instances), locals, variables, conditionals, operators, ``for`` expressions,
splats, heredocs and Terraform's functions -- the language, maintained upstream -- where
``tf_checks.hclsrc`` only knows a subset. It runs only when the gate has the Terraform
directory *and* a value is unknown in the plan (lazy, once per run, ~0.1-0.2 s).

What tfparse returns that must not be trusted as is (measured, tfparse 0.6.22):

* a reference to an attribute it cannot compute (``aws_iam_role.r.arn``) comes back as the
  referenced block's generated ``id`` (a UUID) -- whole, or inside a string
  (``"s3://<uuid>/p"``). :class:`Evaluation` maps such UUIDs back to the block's address so the
  resolver can substitute the attribute's real value (plan value or computed attribute);
* an expression it cannot evaluate at all stays as its text (``"named-${var.x}"``) or becomes
  ``null`` (in a list, or ``jsonencode`` of an object holding one: ``{"Statement":null}``);
* values Trivy computes itself from such broken inputs can be silently wrong
  (``arn:aws:s3:::`` for a bucket whose name did not evaluate). A block whose values -- or the
  values of any block it references, transitively -- hold unevaluated text or ``null`` is
  therefore *tainted*, and the resolver does not use tfparse's values for it (it falls back to
  ``hclsrc``, then to "cannot verify").

Variables: the plan's ``variables`` (which already hold ``-var``, ``*.tfvars`` and defaults)
are handed to tfparse as a ``.tfvars.json`` file, so defaults never shadow the real values.

Unknown values are symbolic: :func:`unknown` writes ``${unknown:<address>.<attr>}``, a
placeholder the IAM evaluator treats like any other ``${...}`` (identical placeholders match,
``*`` covers them, anything else is "conditional"), so an unknown value makes unverifiable only
what depends on it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

UNKNOWN_RE = re.compile(r"\$\{unknown:([^}]*)\}")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# text tfparse left unevaluated: a Terraform reference inside ${...} (IAM policy variables such
# as ${aws:username} have a colon and are not references)
_UNEVALUATED_RE = re.compile(
    r"\$\{[^}]*\b(?:var|local|module|data|each|count|path|self)\.|\$\{[^}:]*\b[a-z][a-z0-9]*_[a-z0-9_]+\.[a-z]")
_META = "__tfmeta"


def unknown(ref: str) -> str:
    """The placeholder for a value unknown until apply (``ref``: what it is, e.g. an address)."""
    return "${unknown:" + ref.replace("}", ")") + "}"


def unknowns_in(value: Any) -> list[str]:
    """The unknown-value refs inside ``value`` (strings, lists, dicts), in order, unique."""
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if "${unknown:" in v:
                for m in UNKNOWN_RE.finditer(v):
                    if m.group(1) not in out:
                        out.append(m.group(1))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(value)
    return out


def has_unknown(value: Any) -> bool:
    if isinstance(value, str):
        return "${unknown:" in value
    return bool(unknowns_in(value))


class Evaluation:
    """One tfparse evaluation of a Terraform directory, indexed by address and block id."""

    def __init__(self, tf_dir: Path, variables: dict[str, Any] | None = None) -> None:
        self.tf_dir = tf_dir
        self.error: str | None = None
        self.blocks: dict[str, dict[str, Any]] = {}   # address -> block
        self.by_id: dict[str, str] = {}               # generated id -> address
        self._taint: dict[str, bool] = {}
        self._load(variables or {})

    # ------------------------------------------------------------------ loading
    def _load(self, variables: dict[str, Any]) -> None:
        try:
            import tfparse
        except ImportError as err:  # pragma: no cover - a declared dependency
            self.error = f"tfparse is not installed ({err})"
            return
        # tfparse joins var-file paths to the directory: give them relative to it
        root = self.tf_dir.resolve()
        var_files = [p.name for p in sorted(root.glob("*.auto.tfvars"))]
        if (root / "terraform.tfvars").is_file():
            var_files.insert(0, "terraform.tfvars")
        tmp = None
        try:
            if variables:
                fd, tmp = tempfile.mkstemp(suffix=".tfvars.json", prefix="lakegate-vars-")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(variables, fh)
                var_files.append(os.path.relpath(tmp, root))
            try:
                raw = tfparse.load_from_path(str(root), vars_paths=var_files)
            except Exception as err:  # noqa: BLE001 - tfparse raises ParseError and Go errors
                self.error = f"tfparse could not evaluate {self.tf_dir}: {str(err).splitlines()[0][:300]}"
                return
        finally:
            if tmp:
                os.unlink(tmp)
        for kind, blocks in (raw or {}).items():
            if not isinstance(blocks, list):
                continue
            for block in blocks:
                meta = block.get(_META) if isinstance(block, dict) else None
                if not isinstance(meta, dict):
                    continue
                path = meta.get("path")
                if isinstance(path, str):
                    self.blocks[path] = block
                    bid = block.get("id")
                    if isinstance(bid, str):
                        self.by_id[bid] = path

    # ------------------------------------------------------------------ queries
    def block(self, address: str) -> dict[str, Any] | None:
        return self.blocks.get(address)

    def output(self, module_instance: str, name: str) -> tuple[bool, Any]:
        """``(found, value)`` of output ``name`` of ``module.x["k"]`` (raw tfparse value)."""
        blk = self.blocks.get(f"{module_instance}.output.{name}")
        if blk is None or "value" not in blk:
            return False, None
        return True, blk["value"]

    def tainted(self, address: str) -> bool:
        """True when the block or a block it references holds unevaluated text or null."""
        return self._tainted(address, set())

    def _tainted(self, address: str, seen: set[str]) -> bool:
        hit = self._taint.get(address)
        if hit is not None:
            return hit
        if address in seen:
            return False
        seen.add(address)
        block = self.blocks.get(address)
        if block is None:
            return False
        bad = _unclean(block)
        if not bad:
            for ref in (block.get(_META) or {}).get("references") or []:
                rid = ref.get("id") if isinstance(ref, dict) else None
                target = self.by_id.get(rid) if isinstance(rid, str) else None
                if target and self._tainted(target, seen):
                    bad = True
                    break
        self._taint[address] = bad
        return bad

    def uuids(self, text: str) -> list[str]:
        """Generated block ids inside ``text`` that name a block of this evaluation."""
        return [m for m in _UUID_RE.findall(text) if m in self.by_id]


def _unclean(value: Any, top: bool = True) -> bool:
    if value is None:
        return not top
    if isinstance(value, str):
        if "${" in value and _UNEVALUATED_RE.search(value):
            return True
        if value[:1] in "{[" and "null" in value:
            try:
                return _has_null(json.loads(value))
            except ValueError:
                return False
        return False
    if isinstance(value, dict):
        return any(_unclean(v, False) for k, v in value.items() if k != _META)
    if isinstance(value, list):
        return any(_unclean(v, False) for v in value)
    return False


def _has_null(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, dict):
        return any(_has_null(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_null(x) for x in v)
    return False


def is_unclean(value: Any) -> bool:
    """Unevaluated text or null anywhere in ``value`` (see module docstring)."""
    return _unclean(value, top=False)


def strip_block(value: Any) -> Any:
    """tfparse's nested block dicts -> the plan's shape (lists of objects, no generated ids)."""
    if isinstance(value, dict):
        if _META in value:
            return [_strip_one(value)]
        return {k: strip_block(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and _META in v for v in value):
            return [_strip_one(v) for v in value]
        return [strip_block(v) for v in value]
    return value


def _strip_one(block: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in block.items():
        if k == _META or (k == "id" and isinstance(v, str) and _UUID_RE.fullmatch(v)):
            continue
        out[k] = strip_block(v)
    return out

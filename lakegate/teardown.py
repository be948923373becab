"""The teardown override: what lets a throw-away stack (the local AWS, tests) be destroyed while
the configuration itself protects its data.

Why an override file and not a variable: ``lifecycle { prevent_destroy = ... }`` must be a literal
in Terraform (no variables), so a configuration that protects its data layers -- as the gate's
LG-SAFE rules ask -- can only be made destroyable by changing its text. Terraform's override
files do exactly that without touching the user's files: arguments of a ``lifecycle`` block in an
override are merged argument by argument, and top-level arguments (``force_destroy``) replace the
original's. The driver (:mod:`lakegate.terraform`) appends this text to the override file of its
private working copy for the ``local`` target only -- never for ``offline`` plans (the gate must
see the real configuration) nor for ``aws`` (production keeps its guards).

What it overrides, for every root-module ``resource`` block (found by parsing the ``*.tf`` files,
so it works on configurations lakegate did not write):

* ``lifecycle { prevent_destroy = false }`` where the block sets ``prevent_destroy``;
* ``force_destroy = true`` on ``aws_s3_bucket`` (a versioned bucket with objects cannot be deleted
  otherwise) and ``aws_athena_workgroup`` (a workgroup with saved queries cannot either).

Limitation: resources inside child modules cannot be overridden from the root module; their
``prevent_destroy`` still stops a local destroy, and Terraform's error names them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FORCE_DESTROY_TYPES = ("aws_s3_bucket", "aws_athena_workgroup")


def _unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def _blocks(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource block in one ``.tf`` / ``.tf.json`` file."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    try:
        if path.name.endswith(".tf.json"):
            doc = json.loads(path.read_text(encoding="utf-8"))
            resources = doc.get("resource", {}) if isinstance(doc, dict) else {}
            groups = resources if isinstance(resources, list) else [resources]
        else:
            import hcl2

            with path.open(encoding="utf-8") as fh:
                groups = hcl2.load(fh).get("resource", []) or []
    except Exception:  # noqa: BLE001 - terraform itself reports syntax errors, with line numbers
        return out
    for group in groups:
        if not isinstance(group, dict):
            continue
        for rtype, named in group.items():
            if not isinstance(named, dict):
                continue
            for rname, body in named.items():
                if isinstance(body, list):  # .tf.json allows a list of bodies
                    body = body[0] if body and isinstance(body[0], dict) else {}
                if isinstance(body, dict):
                    out.append((_unquote(rtype), _unquote(rname), body))
    return out


def _sets_prevent_destroy(body: dict[str, Any]) -> bool:
    life = body.get("lifecycle")
    blocks = life if isinstance(life, list) else [life] if isinstance(life, dict) else []
    return any(isinstance(b, dict) and "prevent_destroy" in b for b in blocks)


def teardown_override(tf_files: list[Path]) -> str:
    """Override blocks that make every root resource destroyable ('' when none is needed)."""
    parts: list[str] = []
    seen: set[tuple[str, str]] = set()
    for path in tf_files:
        if path.name.endswith("_override.tf") or path.name == "override.tf":
            continue
        for rtype, rname, body in _blocks(path):
            if (rtype, rname) in seen:
                continue
            seen.add((rtype, rname))
            lines: list[str] = []
            if rtype in FORCE_DESTROY_TYPES:
                lines.append("  force_destroy = true")
            if _sets_prevent_destroy(body):
                lines += ["  lifecycle {", "    prevent_destroy = false", "  }"]
            if lines:
                parts.append(f'resource "{rtype}" "{rname}" {{\n' + "\n".join(lines) + "\n}\n")
    if not parts:
        return ""
    return ("\n# Teardown (lakegate.teardown): this throw-away stack must be destroyable; the\n"
            "# configuration's own prevent_destroy / force_destroy stay as written.\n"
            + "\n".join(parts))

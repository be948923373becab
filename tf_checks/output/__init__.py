"""Renderers of a :class:`tf_checks.findings.CheckResult`: text, json (here), sarif/junit
(``tf_checks.output.sarif`` / ``.junit``, owned by the outputs part)."""

from __future__ import annotations

import importlib
from pathlib import Path

from lakegate.errors import LakegateError
from tf_checks.findings import CheckResult

FORMATS = ("text", "json", "sarif", "junit")


def render(result: CheckResult, fmt: str, tf_dir: Path | None = None) -> str:
    if fmt == "text":
        from tf_checks.output.text import render as text
        return text(result)
    if fmt == "json":
        from tf_checks.output.jsonout import render as js
        return js(result)
    if fmt in ("sarif", "junit"):
        try:
            mod = importlib.import_module(f"tf_checks.output.{fmt}")
        except ImportError:
            raise LakegateError(f"the {fmt} output is not available in this build",
                                where=f"tf_checks/output/{fmt}.py",
                                fix="use --format text or json") from None
        return mod.render(result, tf_dir) if fmt == "sarif" else mod.render(result)
    raise LakegateError(f"unknown format {fmt!r}", fix=f"use one of {', '.join(FORMATS)}")

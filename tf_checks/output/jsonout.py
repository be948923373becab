"""``--format json``: exactly :meth:`CheckResult.to_json` (the CLI contract).

Layout: the document's first two levels are indented, each finding (and anything deeper) is one
compact line. Why: ``json.dumps(indent=...)`` runs Python's pure-Python encoder, twice as slow as
the C encoder a compact dump uses, and on plans with thousands of findings rendering cost more
than checking. One finding per line still reads (and diffs) well.
"""

from __future__ import annotations

import json
from typing import Any

from tf_checks.findings import CheckResult

_ENC = json.JSONEncoder(ensure_ascii=True, check_circular=False, separators=(", ", ": "))


def dumps(obj: Any, levels: int = 2, indent: str = "  ", _depth: int = 0) -> str:
    """JSON text of ``obj`` with its first ``levels`` levels of containers indented."""
    if _depth >= levels or not isinstance(obj, (dict, list)) or not obj:
        return _ENC.encode(obj)
    pad = indent * (_depth + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{_ENC.encode(str(k))}: {dumps(v, levels, indent, _depth + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent * _depth + "}"
    items = [pad + dumps(v, levels, indent, _depth + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + indent * _depth + "]"


def render(result: CheckResult) -> str:
    return dumps(result.to_json()) + "\n"

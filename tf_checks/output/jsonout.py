"""``--format json``: exactly :meth:`CheckResult.to_json` (the CLI contract)."""

from __future__ import annotations

import json

from tf_checks.findings import CheckResult


def render(result: CheckResult) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=False) + "\n"

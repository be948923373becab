"""Small helpers shared by the gate tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tf_checks.engine import run_rules
from tf_checks.findings import CheckResult
from tf_checks.loader import load_data


def check(data: dict, tf_dir: Path | None = None) -> CheckResult:
    plan = load_data(data, "test.plan.json")
    return run_rules(plan, tf_dir)


def ids(result: CheckResult, min_sev: str = "info") -> list[str]:
    from tf_checks.findings import severity_rank
    return sorted(f.rule_id for f in result.findings if severity_rank(f.severity) >= severity_rank(min_sev))


def change(data: dict, address: str) -> dict[str, Any]:
    for rc in data["resource_changes"]:
        if rc["address"] == address:
            return rc["change"]
    raise KeyError(address)


def planned(data: dict, address: str) -> dict[str, Any]:
    def walk(mod: dict) -> dict | None:
        for r in mod.get("resources", []):
            if r["address"] == address:
                return r
        for c in mod.get("child_modules", []):
            got = walk(c)
            if got:
                return got
        return None
    got = walk(data["planned_values"]["root_module"])
    if got is None:
        raise KeyError(address)
    return got


def set_value(data: dict, address: str, key: str, value: Any) -> None:
    """Set an after-value in both planned_values and resource_changes (and mark it known)."""
    planned(data, address)["values"][key] = value
    ch = change(data, address)
    ch["after"][key] = value
    ch["after_unknown"].pop(key, None)

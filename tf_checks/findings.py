"""The gate's result types, shared by rules, outputs (text/JSON/SARIF/JUnit) and the CLI.

A rule returns :class:`Finding` objects; the engine collects them into a :class:`CheckResult`.
The JSON form (:meth:`CheckResult.to_json`) is the CLI contract of ``lakegate check --format json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """Position of ``severity`` in :data:`SEVERITIES` (higher is worse)."""
    try:
        return SEVERITIES.index(severity.lower())
    except ValueError:
        raise ValueError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}") from None


@dataclass
class Missing:
    """One action on one resource that a role needs and does not get."""

    action: str
    resource: str
    why: str = ""
    decision: str = "implicit_deny"  # implicit_deny | explicit_deny | conditional | unresolved


@dataclass
class Finding:
    rule_id: str           # e.g. "LG-IAM-001"
    severity: str          # one of SEVERITIES
    address: str           # Terraform address of the resource the finding is about
    message: str           # what is wrong, one or two sentences
    fix: str = ""          # how to fix it (for IAM: the exact statement to add)
    role_address: str | None = None          # IAM rules: the role's Terraform address
    missing: list[Missing] = field(default_factory=list)  # IAM rules
    file: str | None = None                  # .tf file (relative to the tf dir) when known
    line: int | None = None
    suppressed: str | None = None            # reason, when suppressed (still shown in reports)
    source: str = "lakegate"                 # "lakegate" or "checkov"

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON-ready dict (same keys and order as ``dataclasses.asdict``, minus
        ``role_address`` when None). Built by hand: ``asdict`` deep-copies recursively and cost
        more than the checks themselves on plans with thousands of findings."""
        data: dict[str, Any] = {"rule_id": self.rule_id, "severity": self.severity,
                                "address": self.address, "message": self.message, "fix": self.fix}
        if self.role_address is not None:
            data["role_address"] = self.role_address
        data["missing"] = [{"action": m.action, "resource": m.resource, "why": m.why,
                            "decision": m.decision} for m in self.missing]
        data["file"] = self.file
        data["line"] = self.line
        data["suppressed"] = self.suppressed
        data["source"] = self.source
        return data


@dataclass
class WorkflowSummary:
    name: str
    actions: int
    parallel_groups: list[list[str]]  # names started by one trigger together (len >= 2)


@dataclass
class CheckResult:
    findings: list[Finding]
    resources: int
    workflows: list[WorkflowSummary] = field(default_factory=list)
    recovery_plan: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # what was read (paths, kinds)

    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def by_severity(self) -> dict[str, int]:
        counts = {s: 0 for s in SEVERITIES}
        for f in self.active():
            counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    def exit_code(self, fail_on: str = "high") -> int:
        """0 when no unsuppressed finding is at or above ``fail_on``, else 1."""
        limit = severity_rank(fail_on)
        return 1 if any(severity_rank(f.severity) >= limit for f in self.active()) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "summary": {
                "resources": self.resources,
                "findings": len(self.active()),
                "suppressed": len(self.findings) - len(self.active()),
                "by_severity": self.by_severity(),
            },
            "workflows": [{"name": w.name, "actions": w.actions,
                           "parallel_groups": [list(g) for g in w.parallel_groups]}
                          for w in self.workflows],
            "recovery_plan": self.recovery_plan,
            "inputs": self.inputs,
        }

"""Run every rule family over one input and collect a :class:`CheckResult`.

Why one function: the CLI, the tests, the benchmark and the local AWS all need the same
verdict; the order of rules is fixed so output is deterministic.
"""

from __future__ import annotations

import gc
from pathlib import Path

from tf_checks.findings import CheckResult, Finding, severity_rank
from tf_checks.loader import load_input
from tf_checks.model import Plan
from tf_checks.resolve import Resolver
from tf_checks.rules import Context, consistency, impact, workflow_graph


def run_rules(plan: Plan, tf_dir: Path | None = None, *, account_id: str | None = None,
              iam_snapshot: Path | None = None) -> CheckResult:
    """All rules on ``plan``; ``tf_dir`` enables source resolution and script/SQL checks.

    ``account_id`` / ``iam_snapshot``: ``--account-id`` / ``--iam-snapshot`` (else ``[gate]`` of
    ``lakegate.toml``, see :mod:`tf_checks.settings`)."""
    from tf_checks.settings import load_settings

    tf_dir = tf_dir if tf_dir is not None else plan.tf_dir
    settings = load_settings(tf_dir, account_id=account_id, iam_snapshot=iam_snapshot)
    resolver = Resolver(plan, tf_dir, account_id=settings.account_id)
    resolver.iam_snapshot = settings.iam_snapshot  # type: ignore[attr-defined]
    ctx = Context(plan, resolver, tf_dir)
    findings: list[Finding] = []
    wf_findings, summaries = workflow_graph.check(ctx)
    findings += wf_findings
    findings += consistency.check(ctx)
    # rule units registered through tf_checks.registry (new rules land here; the families above
    # move into it one by one)
    from tf_checks import registry
    for _name, unit in registry.checks():
        findings += list(unit(ctx))
    findings = _dedupe(findings)
    findings.sort(key=lambda f: (-severity_rank(f.severity), f.address, f.rule_id, f.message))
    if tf_dir is not None:
        _locate(findings, plan, ctx)
    return CheckResult(findings=findings, resources=len(plan.resources), workflows=summaries,
                       recovery_plan=impact.recovery_plan(ctx),
                       inputs={"source": plan.source, "kind": plan.kind,
                               "tf_dir": str(tf_dir) if tf_dir is not None else None})


def check_path(path: str | Path, tf_dir: str | Path | None = None, *, account_id: str | None = None,
               iam_snapshot: str | Path | None = None) -> CheckResult:
    """Load ``path`` and run every rule.

    The cyclic garbage collector is paused meanwhile: loading a large plan allocates millions of
    acyclic objects and the collector's repeated scans of them cost more than the rules
    themselves (measured: ~2x on a 10,000-resource plan). Nothing here creates reference cycles
    that need collecting before we return.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        plan = load_input(path, tf_dir)
        return run_rules(plan, Path(tf_dir) if tf_dir is not None else plan.tf_dir,
                         account_id=account_id,
                         iam_snapshot=Path(iam_snapshot) if iam_snapshot is not None else None)
    finally:
        if was_enabled:
            gc.enable()


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.address, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _locate(findings: list[Finding], plan: Plan, ctx: Context) -> None:
    """Fill ``file``/``line`` from the Terraform source (root module resources)."""
    from tf_checks.hclsrc import block_line
    from tf_checks.loader import strip_indexes

    try:
        src = ctx.resolver._module_source("")
    except Exception:  # noqa: BLE001 - locations are a convenience; never fail the check
        return
    if src is None:
        return
    for f in findings:
        res = plan.get(f.address)
        if res is None or res.module:
            continue
        key = strip_indexes(f.address)
        file = src.files.get(key)
        if file:
            f.file = file
            f.line = block_line(src.directory, file, key)

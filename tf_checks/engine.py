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
from tf_checks.rules import Context, impact, workflow_graph


def run_rules(plan: Plan, tf_dir: Path | None = None, scripts_dir: Path | None = None,
              config: Path | None = None, *, account_id: str | None = None,
              iam_snapshot: Path | None = None) -> CheckResult:
    """All rules on ``plan``; ``tf_dir`` enables source resolution and script/SQL checks;
    ``scripts_dir`` (``--scripts``) is where job scripts uploaded outside Terraform live;
    ``config``: the ``lakegate.toml`` whose ``[gate.jobs."<glob>"]`` declare job I/O and whose
    ``[gate]`` gives ``account_id`` / ``iam_snapshot`` (default: the nearest one above the
    Terraform directory, or ``$LAKEGATE_CONFIG``); ``account_id`` / ``iam_snapshot``:
    ``--account-id`` / ``--iam-snapshot`` (win over the file, see :mod:`tf_checks.settings`)."""
    from tf_checks import registry
    from tf_checks.scripts import load_declarations
    from tf_checks.settings import load_settings

    tf_dir = tf_dir if tf_dir is not None else plan.tf_dir
    if config is None:
        config = _find_config(tf_dir)
    settings = load_settings(tf_dir, account_id=account_id, iam_snapshot=iam_snapshot,
                             config=config)
    resolver = Resolver(plan, tf_dir, account_id=settings.account_id)
    resolver.iam_snapshot = settings.iam_snapshot
    ctx = Context(plan, resolver, tf_dir, scripts_dir=scripts_dir,
                  job_declarations=load_declarations(config))
    findings: list[Finding] = []
    for _name, unit in registry.checks():
        findings += list(unit(ctx))
    summaries = workflow_graph.summaries(ctx)
    findings = _dedupe(findings)
    findings.sort(key=lambda f: (-severity_rank(f.severity), f.address, f.rule_id, f.message))
    if tf_dir is not None:
        _locate(findings, plan, ctx)
    return CheckResult(findings=findings, resources=len(plan.resources), workflows=summaries,
                       recovery_plan=impact.recovery_plan(ctx),
                       inputs={"source": plan.source, "kind": plan.kind,
                               "tf_dir": str(tf_dir) if tf_dir is not None else None})


def _find_config(tf_dir: Path | None) -> Path | None:
    import os

    from lakegate.envconfig import CONFIG_ENV, config_path
    if os.environ.get(CONFIG_ENV):
        return config_path()
    if tf_dir is None:
        return None
    here = Path(tf_dir).resolve()
    for folder in (here, *here.parents):
        cand = folder / "lakegate.toml"
        if cand.is_file():
            return cand
    return None


def check_path(path: str | Path, tf_dir: str | Path | None = None,
               scripts_dir: str | Path | None = None, *, account_id: str | None = None,
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
                         Path(scripts_dir) if scripts_dir is not None else None,
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

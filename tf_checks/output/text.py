"""``--format text``: findings grouped by resource, worst first, each with its fix.

Suppressed findings are listed in their own "suppressed" section with the reason (and where
the suppression was written) - accepted risks stay visible in every report, they only stop
counting for the exit code.
"""

from __future__ import annotations

from tf_checks.findings import CheckResult, Finding, severity_rank


def _finding_lines(f: Finding) -> list[str]:
    lines = [f"  {f.severity.upper():8} {f.rule_id}  {f.message}"]
    for m in f.missing:
        lines.append(f"           - {m.action} on {m.resource} ({m.decision})")
    if f.fix:
        fix = f.fix.replace("\n", "\n             ")
        lines.append(f"           fix: {fix}")
    return lines


def _origins(result: CheckResult) -> dict[tuple[str, str], str]:
    """(rule_id, reason) -> where the suppression was written (from apply_suppressions)."""
    out: dict[tuple[str, str], str] = {}
    for entry in result.inputs.get("suppressions", []) or []:
        if isinstance(entry, dict):
            out.setdefault((str(entry.get("rule_id")), str(entry.get("reason"))), str(entry.get("origin")))
    return out


def render(result: CheckResult) -> str:
    lines: list[str] = []
    groups: dict[str, list[Finding]] = {}
    suppressed: list[Finding] = []
    for f in result.findings:
        if f.suppressed:
            suppressed.append(f)
        else:
            groups.setdefault(f.address, []).append(f)
    order = sorted(groups, key=lambda a: (-max(severity_rank(f.severity) for f in groups[a]), a))
    for addr in order:
        first = groups[addr][0]
        loc = f"  ({first.file}:{first.line})" if first.file else ""
        lines.append(f"{addr}{loc}")
        for f in groups[addr]:
            lines += _finding_lines(f)
        lines.append("")
    if suppressed:
        origins = _origins(result)
        lines.append(f"suppressed ({len(suppressed)}; shown, not counted for the exit code):")
        for f in suppressed:
            origin = origins.get((f.rule_id, f.suppressed or ""))
            lines.append(f"  {f.severity.upper():8} {f.rule_id}  {f.address}"
                         + (f" (role {f.role_address})" if f.role_address else ""))
            lines.append(f"           reason: {f.suppressed}" + (f"  [{origin}]" if origin else ""))
            lines.append(f"           finding: {f.message}")
        lines.append("")
    for w in result.workflows:
        par = "; ".join(" + ".join(g) for g in w.parallel_groups) or "none"
        lines.append(f"workflow {w.name}: {w.actions} actions per run, parallel: {par}")
    rp = result.recovery_plan
    if rp:
        lines.append("after apply: "
                     f"crawlers to run: {', '.join(rp.get('crawlers_to_run', [])) or 'none'}; "
                     f"bookmarks to reset: {', '.join(rp.get('bookmarks_to_reset', [])) or 'none'}; "
                     f"IAM propagation wait: {'yes' if rp.get('iam_propagation_wait') else 'no'}; "
                     f"run workflow: {', '.join(rp.get('run_workflow', [])) or 'none'}")
    checkov = result.inputs.get("checkov")
    if isinstance(checkov, dict):
        lines.append(f"checkov: ran on {checkov.get('plan')}, {checkov.get('findings')} finding(s) merged")
    counts = result.by_severity()
    summary = ", ".join(f"{n} {s}" for s, n in reversed(list(counts.items())) if n)
    lines.append(f"{result.resources} resources checked: {summary or 'no findings'}"
                 + (f" ({len(suppressed)} suppressed)" if suppressed else ""))
    return "\n".join(lines) + "\n"

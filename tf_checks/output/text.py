"""``--format text``: findings grouped by resource, worst first, each with its fix."""

from __future__ import annotations

from tf_checks.findings import CheckResult, severity_rank


def render(result: CheckResult) -> str:
    lines: list[str] = []
    groups: dict[str, list] = {}
    for f in result.findings:
        groups.setdefault(f.address, []).append(f)
    order = sorted(groups, key=lambda a: (-max(severity_rank(f.severity) for f in groups[a]), a))
    for addr in order:
        first = groups[addr][0]
        loc = f"  ({first.file}:{first.line})" if first.file else ""
        lines.append(f"{addr}{loc}")
        for f in groups[addr]:
            tag = f" [suppressed: {f.suppressed}]" if f.suppressed else ""
            lines.append(f"  {f.severity.upper():8} {f.rule_id}{tag}  {f.message}")
            for m in f.missing:
                lines.append(f"           - {m.action} on {m.resource} ({m.decision})")
            if f.fix:
                fix = f.fix.replace("\n", "\n             ")
                lines.append(f"           fix: {fix}")
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
    counts = result.by_severity()
    summary = ", ".join(f"{n} {s}" for s, n in reversed(list(counts.items())) if n)
    suppressed = len(result.findings) - len(result.active())
    lines.append(f"{result.resources} resources checked: {summary or 'no findings'}"
                 + (f" ({suppressed} suppressed)" if suppressed else ""))
    return "\n".join(lines) + "\n"

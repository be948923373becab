"""SARIF 2.1.0 output (``lakegate check --format sarif``), for GitHub code scanning and IDEs.

Why SARIF: CI systems show SARIF results inline on the pull request, at the ``.tf`` line of the
resource. So when a Terraform directory is known, each result points at the ``resource`` block
that declares the finding's address (root module or a local module); otherwise the result carries
the Terraform address as a logical location only.

The document validates against the OASIS SARIF 2.1.0 JSON schema shipped in
``tf_checks/data/sarif-schema-2.1.0.json`` (tested). Suppressed findings are emitted with a
``suppressions`` entry holding the justification (SARIF viewers show them as dismissed, never
hide them silently).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lakegate import __version__
from tf_checks.findings import CheckResult, Finding, severity_rank
from tf_checks.suppress import TfIndex, index_tf_dir, suppression_kind

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning reads properties.security-severity (a CVSS-like 0.0-10.0 string).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}

# Rule metadata comes from the registry (tf_checks.registry: each rule's title, default
# severity and help, each family's help); checkov's own ids are described by this one text.
CHECKOV_HELP = "checkov generic hygiene check (encryption, public access, logging, ...)."


def _family(rule_id: str) -> str:
    if rule_id.startswith("CKV"):
        return "CKV"
    parts = rule_id.split("-")
    return "-".join(parts[:2]) if len(parts) >= 3 else rule_id


def _declared(rule_id: str) -> tuple[Any, Any]:
    """(Rule, Family) from the registry, or (None, None) for checkov ids."""
    from tf_checks import registry
    from tf_checks.docs import _load_all

    _load_all()
    rule = registry.RULES.get(rule_id)
    return rule, (registry.FAMILIES.get(rule.family) if rule is not None else None)


def _rule_descriptor(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    worst = max(findings, key=lambda f: severity_rank(f.severity))
    rule, family = _declared(rule_id)
    if rule is not None:
        short = rule.title
        full = rule.help
        family_text = f"{family.title}: {family.help}" if family is not None else ""
        default_level = LEVELS.get(rule.severity, "warning")
    else:
        short = findings[0].message.split(". ")[0].rstrip(".") or rule_id
        full = family_text = CHECKOV_HELP if rule_id.startswith("CKV") else f"Rule {rule_id}."
        default_level = LEVELS.get(worst.severity, "warning")
    if len(short) > 200:
        short = short[:197] + "..."
    fixes = sorted({f.fix.strip() for f in findings if f.fix.strip()})
    help_text = full + (f"\n{family_text}" if family_text and family_text != full else "")
    help_md = (f"**{rule_id}** ({'checkov' if findings[0].source == 'checkov' else 'lakegate'}): "
               f"{short}\n\n{full}")
    if family_text and family_text != full:
        help_md += f"\n\n{family_text}"
    if fixes:
        help_text += "\nHow to fix (this run): " + " | ".join(fixes[:3])
        help_md += "\n\n**How to fix (this run)**\n\n" + "\n\n".join(f"```\n{x}\n```" for x in fixes[:3])
    return {
        "id": rule_id,
        "name": rule_id.replace("-", "_"),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": default_level},
        "properties": {
            "tags": ["terraform", "aws-glue", findings[0].source] + ([rule.family] if rule else []),
            "security-severity": SECURITY_SEVERITY.get(worst.severity, "5.5"),
            "precision": "high",
        },
    }


def _message(f: Finding) -> str:
    text = f.message.strip() or f.rule_id
    if f.role_address:
        text += f" (role: {f.role_address})"
    if f.missing:
        text += "\nMissing: " + "; ".join(f"{m.action} on {m.resource}" for m in f.missing[:20])
        if len(f.missing) > 20:
            text += f"; ... ({len(f.missing) - 20} more)"
    if f.fix.strip():
        text += "\nFix: " + f.fix.strip()
    return text


def _location(f: Finding, index: TfIndex | None) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": f.address, "kind": "resource"}],
    }
    file, line = f.file, f.line
    if (file is None or line is None) and index is not None:
        found = index.locate(f.address)
        if found:
            file, line = found
    if file:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": Path(file).as_posix(), "uriBaseId": "SRCROOT"},
        }
        if line and line > 0:
            physical["region"] = {"startLine": int(line)}
        loc["physicalLocation"] = physical
    return loc


def _fingerprint(f: Finding) -> str:
    key = "|".join([f.rule_id, f.address, f.role_address or "",
                    ",".join(sorted(f"{m.action}@{m.resource}" for m in f.missing))])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def to_sarif(result: CheckResult, tf_dir: Path | None) -> dict[str, Any]:
    """Build the SARIF log as a dict (see :func:`render`)."""
    index = index_tf_dir(Path(tf_dir)) if tf_dir is not None and Path(tf_dir).is_dir() else None
    by_rule: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    rule_ids = sorted(by_rule)
    rule_index = {r: i for i, r in enumerate(rule_ids)}
    results = []
    for f in result.findings:
        res: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": rule_index[f.rule_id],
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": _message(f)},
            "locations": [_location(f, index)],
            "partialFingerprints": {"lakegateFinding/v1": _fingerprint(f)},
            "properties": {"severity": f.severity, "source": f.source, "address": f.address},
        }
        if f.role_address:
            res["properties"]["role_address"] = f.role_address
        if f.missing:
            res["properties"]["missing"] = [{"action": m.action, "resource": m.resource,
                                             "decision": m.decision} for m in f.missing]
        if f.suppressed:
            res["suppressions"] = [{"kind": suppression_kind(result, f), "status": "accepted",
                                    "justification": f.suppressed}]
        results.append(res)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "lakegate",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule_descriptor(r, by_rule[r]) for r in rule_ids],
        }},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"resources": result.resources,
                       "by_severity": result.by_severity()},
    }
    if tf_dir is not None:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": Path(tf_dir).resolve().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: CheckResult, tf_dir: Path | None) -> str:
    """The SARIF 2.1.0 document for ``result`` as JSON text.

    :param tf_dir: the Terraform directory the plan came from; when given, results point at the
        ``.tf`` file and line of the resource block (``uriBaseId`` ``SRCROOT`` = that directory).
    """
    from tf_checks.output.jsonout import dumps

    # runs[0].results[i] and the rule descriptors are one compact line each (see jsonout)
    return dumps(to_sarif(result, tf_dir), levels=5) + "\n"

"""``cucumber.json`` written from the evidence (pytest-bdd's own writer is empty under xdist).

Cucumber JSON: a list of features, each with ``elements`` (scenarios) with ``steps``; the evidence
is attached to the last step as an ``embeddings`` entry (``application/json``, base64).
"""

from __future__ import annotations

import base64
import json
import re

from lakegate.masking import mask
from lakegate.reports import Summary

_STATUS = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render(summary: Summary) -> str:
    features: dict[str, dict] = {}
    for it in summary.items:
        for rec in it.records:
            fname = rec.feature or it.item.section
            feat = features.setdefault(fname, {
                "uri": f"features/{_slug(fname)}.feature", "id": _slug(fname), "keyword": "Feature",
                "name": fname, "description": "", "line": 1, "tags": [], "elements": []})
            steps = []
            for n, step in enumerate(rec.steps or [{"keyword": "Then", "text": it.item.title,
                                                      "status": rec.status, "duration": rec.finished - rec.started}]):
                status = _STATUS.get(step.get("status", rec.status), step.get("status", "skipped"))
                entry = {"keyword": step.get("keyword", "Then").strip() + " ", "name": step.get("text", ""),
                         "line": n + 2, "match": {"location": ""},
                         "result": {"status": status, "duration": int(float(step.get("duration") or 0) * 1e9)}}
                if status == "failed":
                    entry["result"]["error_message"] = rec.failure
                steps.append(entry)
            if steps and rec.evidence:
                payload = json.dumps(mask(rec.evidence), default=str, sort_keys=True).encode()
                steps[-1]["embeddings"] = [{"mime_type": "application/json",
                                            "data": base64.b64encode(payload).decode()}]
            feat["elements"].append({
                "id": f"{_slug(fname)};{_slug(rec.scenario)}", "keyword": "Scenario", "name": rec.scenario,
                "description": "", "line": 1, "type": "scenario",
                "tags": [{"name": f"@{it.item.id}", "line": 1}], "steps": steps})
    return json.dumps(mask(list(features.values())), indent=2, default=str) + "\n"

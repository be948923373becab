"""SARIF output: valid against the SARIF 2.1.0 schema, locations mapped to .tf lines."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from tf_checks.findings import CheckResult, Finding
from tf_checks.output import sarif
from tf_checks.suppress import apply_suppressions

SCHEMA_PATH = Path(sarif.__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert "Version 2.1.0" in schema["title"]
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _errors(validator: jsonschema.Draft4Validator, doc: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_valid_with_tf_dir_and_suppressions(validator, tf_dir: Path, result: CheckResult) -> None:
    res = apply_suppressions(result, tf_dir)
    doc = json.loads(sarif.render(res, tf_dir))
    assert _errors(validator, doc) == []
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {f.rule_id for f in res.findings}
    assert "glue:BatchGetPartition" in rules["LG-IAM-001"]["help"]["text"]
    assert rules["LG-IAM-002"]["defaultConfiguration"]["level"] == "error"
    by = {(r["ruleId"], r["properties"]["address"]): r for r in run["results"]}
    crawler = by[("LG-IAM-001", "aws_glue_crawler.bronze")]
    phys = crawler["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "main.tf", "uriBaseId": "SRCROOT"}
    assert phys["region"]["startLine"] == 6
    assert crawler["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                        "justification": "sample crawler, reads a public demo bucket only"}]
    job = by[("LG-IAM-002", 'module.etl.aws_glue_job.silver["a"]')]
    assert job["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "modules/etl/job.tf"
    assert job["level"] == "error"
    wf = by[("LG-WF-002", "aws_glue_workflow.main")]
    assert wf["level"] == "warning" and "suppressions" not in wf
    assert "physicalLocation" not in wf["locations"][0]  # not declared in the tf dir
    assert wf["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_glue_workflow.main"
    assert by[("CKV_AWS_18", "aws_s3_bucket.bronze")]["level"] == "note"
    nr = by[("LG-SUPPRESS-001", "aws_iam_role.crawler")]
    assert nr["locations"][0]["physicalLocation"]["region"]["startLine"] == 20
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].endswith("/")


def test_baseline_suppression_is_external(validator, tmp_path: Path, result: CheckResult) -> None:
    base = tmp_path / "b.json"
    base.write_text(json.dumps([{"rule_id": "LG-WF-002", "address": "aws_glue_workflow.main",
                                 "reason": "ticket DL-1"}]))
    doc = json.loads(sarif.render(apply_suppressions(result, None, base), None))
    assert _errors(validator, doc) == []
    wf = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "LG-WF-002")
    assert wf["suppressions"][0]["kind"] == "external"
    assert wf["suppressions"][0]["justification"] == "ticket DL-1"
    assert "originalUriBaseIds" not in doc["runs"][0]


def test_valid_when_clean(validator) -> None:
    doc = json.loads(sarif.render(CheckResult(findings=[], resources=3), None))
    assert _errors(validator, doc) == []
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []


def test_finding_file_and_line_take_precedence(validator) -> None:
    res = CheckResult([Finding("LG-PIPE-001", "info", "aws_glue_job.x", "m", file="jobs.tf", line=42)], 1)
    doc = json.loads(sarif.render(res, None))
    assert _errors(validator, doc) == []
    r = doc["runs"][0]["results"][0]
    assert r["level"] == "note"
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == 42


def test_schema_check_is_not_vacuous(validator, result: CheckResult) -> None:
    """The validator really rejects broken SARIF (so the tests above can fail)."""
    doc = sarif.to_sarif(result, None)
    for mutate in (
        lambda d: d.pop("version"),
        lambda d: d["runs"][0]["results"][0].__setitem__("level", "fatal"),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
        lambda d: d["runs"][0]["results"][0]["locations"][0].__setitem__("physicalLocation",
                                                                        {"region": {"startLine": 0}}),
    ):
        broken = copy.deepcopy(doc)
        mutate(broken)
        assert _errors(validator, broken), "schema accepted a broken document"


def test_fingerprints_are_stable_and_distinct(result: CheckResult) -> None:
    a = sarif.to_sarif(result, None)["runs"][0]["results"]
    b = sarif.to_sarif(result, None)["runs"][0]["results"]
    fa = [r["partialFingerprints"]["lakegateFinding/v1"] for r in a]
    assert fa == [r["partialFingerprints"]["lakegateFinding/v1"] for r in b]
    assert len(set(fa)) == len(fa)

"""The diagnosis patterns (lakegate/diagnosis_patterns.json): each is tested against the texts Glue
3.0/4.0/5.0 jobs (Spark 3.1/3.3/3.5), Athena and crawlers print, and each names its source."""

from __future__ import annotations

import re

import pytest

from lakegate import diagnosis
from lakegate.diagnosis import Facts, RunFact, diagnose

PATTERNS = diagnosis.PATTERNS
FAILED_RUN = {"run_id": "wr_1", "status": "COMPLETED", "statistics": {"TotalActions": 6, "SucceededActions": 5,
                                                                       "FailedActions": 1}}


def facts(runs):
    return Facts(workflow="wf", run=FAILED_RUN, runs=list(runs), role_names={"crawl": "crawl-role"},
                 silver_job="silver", bronze_crawler="crawl")


def test_every_pattern_has_a_source_an_engine_and_examples():
    assert len({p.id for p in PATTERNS}) == len(PATTERNS)
    for p in PATTERNS:
        assert p.problem in ("P1", "P2", "P3") and p.engine and p.examples, p.id
        assert re.search(r"https://|Apache Spark|docs\.aws", p.source), f"{p.id}: source {p.source!r}"


@pytest.mark.parametrize("pattern,example", [(p, e) for p in PATTERNS for e in p.examples],
                         ids=lambda v: v.id if isinstance(v, diagnosis.Pattern) else "")
def test_each_example_matches_its_own_pattern_and_names_its_problem(pattern, example):
    hit = diagnosis.match(pattern.problem, example, "JOB" if pattern.applies_to != "crawler" else "CRAWLER")
    assert hit is not None and hit[0].id == pattern.id, (pattern.id, example)
    # and no pattern of another problem claims the text
    for other in PATTERNS:
        if other.problem != pattern.problem:
            assert other.search(example) is None, (other.id, example)


GLUE_MISSING_COLUMN = {
    "Glue 3.0 / Spark 3.1": "AnalysisException: cannot resolve '`s.fuelLevelPct`' given input columns: "
                            "[s.carchassis, s.model]; line 3 pos 2;",
    "Glue 4.0 / Spark 3.3": "Error Category: QUERY_ERROR; Spark Error Class: MISSING_COLUMN; Exception in User Class: "
                            "org.apache.spark.sql.AnalysisException : Column 's.fuelLevelPct' does not exist. "
                            "Did you mean one of the following? [s.carChassis, s.model];",
    "Glue 5.0 / Spark 3.5": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name "
                            "`s`.`fuelLevelPct` cannot be resolved. Did you mean one of the following? "
                            "[`s`.`carChassis`]. SQLSTATE: 42703",
    "Glue 4.0 struct field": "org.apache.spark.sql.AnalysisException: No such struct field fuelLevelPct in carChassis, model",
    "Glue 5.0 struct field": "[FIELD_NOT_FOUND] No such struct field `fuelLevelPct` in `carChassis`, `model`. SQLSTATE: 42704",
}


@pytest.mark.parametrize("engine", sorted(GLUE_MISSING_COLUMN))
def test_p1_is_diagnosed_from_every_glue_version_text(engine):
    out = diagnose(facts([RunFact("JOB", "silver", "FAILED", GLUE_MISSING_COLUMN[engine], run_id="jr_7")]))
    assert [p.id for p in out] == ["P1"], engine
    assert "fuelLevelPct" in out[0].evidence["column"]
    assert out[0].evidence["source"] and out[0].evidence["pattern"]


def test_a_crawler_access_denied_names_the_action_and_the_role():
    err = ("User: arn:aws:sts::111122223333:assumed-role/crawl-role/AWS-Crawler is not authorized to perform: "
           "glue:BatchGetPartition on resource: arn:aws:glue:eu-west-1:111122223333:catalog (Service: AWSGlue; "
           "Status Code: 400; Error Code: AccessDeniedException)")
    out = diagnose(facts([RunFact("CRAWLER", "crawl", "FAILED", err)]))
    assert [p.id for p in out] == ["P2"]
    assert out[0].evidence["action"] == "glue:BatchGetPartition" and out[0].evidence["pattern"] == "iam-not-authorized"
    assert "crawl-role" in out[0].fix


def test_s3_access_denied_without_an_action_still_is_p2():
    err = "AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: X)"
    out = diagnose(facts([RunFact("CRAWLER", "crawl", "FAILED", err)]))
    assert [p.id for p in out] == ["P2"] and out[0].evidence["pattern"] == "s3-access-denied"


def test_a_bookmark_error_is_p3():
    err = "An error occurred (EntityNotFoundException) when calling the GetJobBookmark operation: Continuation for job silver not found"
    out = diagnose(facts([RunFact("JOB", "silver", "FAILED", err)]))
    assert "P3" in [p.id for p in out]


def test_an_unrelated_failure_is_not_p1():
    out = diagnose(facts([RunFact("JOB", "silver", "FAILED", "java.lang.OutOfMemoryError: Java heap space")]))
    assert [p.id for p in out] == ["S1"]

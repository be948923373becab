"""Golden IAM cases with expected verdicts (the cases other tools get wrong included)."""

from __future__ import annotations

import json

import pytest

from tf_checks.iam import (PolicyParseError, evaluate, managed_policy, missing_permissions,
                           parse_policy, suggest_statement)
from tf_checks.requirements import Requirement

ACC = "111122223333"
TABLE = f"arn:aws:glue:us-east-1:{ACC}:table/db/bronze_car_data"
BUCKET = "arn:aws:s3:::datalake-pipeline-bronze-dev"
OBJ = f"{BUCKET}/bronze/car_data/ingest_year=2025/part-0.parquet"


def allow(action, resource, **extra):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


def pol(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


GOLDEN = [
    # id, policies, action, resource, expected decision
    ("wildcard-partition-covers-batchget",  # terraform-compliance false positive
     {"p": allow("glue:*Partition*", "*")}, "glue:BatchGetPartition", TABLE, "allow"),
    ("wildcard-partition-not-gettable",
     {"p": allow("glue:*Partition*", "*")}, "glue:GetTable", TABLE, "implicit_deny"),
    ("question-mark-one-char",
     {"p": allow("s3:?etObject", OBJ)}, "s3:GetObject", OBJ, "allow"),
    ("question-mark-not-two-chars",
     {"p": allow("glue:?Table", "*")}, "glue:GetTable", TABLE, "implicit_deny"),
    ("action-case-insensitive",
     {"p": allow("GLUE:batchgetpartition", TABLE)}, "glue:BatchGetPartition", TABLE, "allow"),
    ("resource-case-sensitive",
     {"p": allow("s3:GetObject", OBJ.upper().replace("ARN:AWS:S3", "arn:aws:s3"))},
     "s3:GetObject", OBJ, "implicit_deny"),
    ("star-crosses-slash-in-resource",
     {"p": allow("s3:GetObject", f"{BUCKET}/*")}, "s3:GetObject", OBJ, "allow"),
    ("star-crosses-colon-in-resource-part",
     {"p": allow("logs:PutLogEvents", "arn:aws:logs:*:*:*:/aws-glue/*")},
     "logs:PutLogEvents",
     f"arn:aws:logs:us-east-1:{ACC}:log-group:/aws-glue/crawlers:log-stream:c1", "allow"),
    ("star-does-not-cross-account-segment",
     {"p": allow("glue:GetTable", "arn:aws:glue:us-east-1*:table/db/*")},
     "glue:GetTable", TABLE, "implicit_deny"),
    ("short-pattern-trailing-star-spans-segments",
     {"p": allow("glue:GetTable", "arn:aws:glue:*")}, "glue:GetTable", TABLE, "allow"),
    ("bucket-arn-does-not-cover-objects",
     {"p": allow("s3:GetObject", BUCKET)}, "s3:GetObject", OBJ, "implicit_deny"),
    ("notaction-allows-others",
     {"p": pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
     "glue:GetPartition", TABLE, "allow"),
    ("notaction-excludes-listed",
     {"p": pol({"Effect": "Allow", "NotAction": ["glue:*Partition*"], "Resource": "*"})},
     "glue:BatchGetPartition", TABLE, "implicit_deny"),
    ("notresource-allow-elsewhere",
     {"p": pol({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/secret/*"})},
     "s3:GetObject", OBJ, "allow"),
    ("notresource-allow-excluded",
     {"p": pol({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/bronze/*"})},
     "s3:GetObject", OBJ, "implicit_deny"),
    ("resource-scoped-deny-hits",
     {"a": allow("s3:*", "*"),
      "d": pol({"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{BUCKET}/bronze/*"})},
     "s3:GetObject", OBJ, "explicit_deny"),
    ("resource-scoped-deny-elsewhere",
     {"a": allow("s3:*", "*"),
      "d": pol({"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{BUCKET}/gold/*"})},
     "s3:GetObject", OBJ, "allow"),
    ("deny-wins-over-allow-same-policy",
     {"p": pol({"Effect": "Allow", "Action": "glue:*", "Resource": "*"},
               {"Effect": "Deny", "Action": "glue:BatchGetPartition", "Resource": "*"})},
     "glue:BatchGetPartition", TABLE, "explicit_deny"),
    ("deny-notresource",
     {"a": allow("s3:*", "*"),
      "d": pol({"Effect": "Deny", "Action": "s3:*", "NotResource": f"{BUCKET}/gold/*"})},
     "s3:GetObject", OBJ, "explicit_deny"),
    ("conditional-allow-not-granted",
     {"p": allow("glue:GetTable", "*",
                 Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})},
     "glue:GetTable", TABLE, "conditional"),
    ("conditional-deny-is-risk",
     {"a": allow("glue:*", "*"),
      "d": pol({"Effect": "Deny", "Action": "glue:*", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})},
     "glue:GetTable", TABLE, "conditional"),
    ("nothing-matches",
     {"p": allow("s3:GetObject", "*")}, "glue:GetTable", TABLE, "implicit_deny"),
    ("statement-as-object-and-json-string",
     {"p": json.dumps({"Statement": {"Effect": "Allow", "Action": "glue:GetTable",
                                     "Resource": TABLE}})}, "glue:GetTable", TABLE, "allow"),
]


@pytest.mark.parametrize("case_id,policies,action,resource,expected", GOLDEN,
                         ids=[g[0] for g in GOLDEN])
def test_golden(case_id, policies, action, resource, expected):
    d = evaluate(policies, action, resource)
    assert d.decision == expected, d
    assert d.allowed == (expected == "allow")
    if expected in ("allow", "explicit_deny", "conditional"):
        assert d.matched, "a decision made by statements must name them"


def test_golden_has_at_least_20_cases():
    assert len(GOLDEN) >= 20


def test_matched_names_policy_and_sid():
    pols = {"crawler": pol({"Sid": "Catalog", "Effect": "Allow", "Action": "glue:*",
                            "Resource": "*"},
                           {"Effect": "Deny", "Action": "glue:DeleteTable", "Resource": "*"})}
    assert evaluate(pols, "glue:GetTable", TABLE).matched == [("crawler", "Catalog")]
    assert evaluate(pols, "glue:DeleteTable", TABLE).matched == [("crawler", "#1")]


# ------------------------------------------------------------ managed policy

def test_awsglueservicerole_does_not_cover_datalake_bucket():
    g = managed_policy("arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")
    assert g is not None
    assert evaluate([g], "s3:GetObject", OBJ).decision == "implicit_deny"
    assert evaluate([g], "s3:PutObject", f"{BUCKET}/silver/x").decision == "implicit_deny"
    # ... but it does cover aws-glue-* buckets, ListBucket everywhere and glue:*
    assert evaluate([g], "s3:GetObject", "arn:aws:s3:::aws-glue-scripts-1/x.py").allowed
    assert evaluate([g], "s3:ListBucket", BUCKET).allowed
    assert evaluate([g], "glue:BatchGetPartition", TABLE).allowed


def test_managed_policy_lookup():
    assert managed_policy("AWSGlueServiceRole") is not None
    assert managed_policy("arn:aws:iam::aws:policy/AWSGlueServiceRole") is None  # wrong path
    assert managed_policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess") is not None
    assert managed_policy("NoSuchPolicyXyz") is None
    assert managed_policy(f"arn:aws:iam::{ACC}:policy/custom") is None


# ------------------------------------------------------------ wildcard requirements

def test_pattern_requirement_needs_full_cover():
    req = "arn:aws:s3:::b/car_telemetry*"  # incl. the car_telemetry_$folder$ marker
    assert evaluate({"p": allow("s3:PutObject", "arn:aws:s3:::b/car_telemetry/*")},
                    "s3:PutObject", req).decision == "implicit_deny"
    assert evaluate({"p": allow("s3:PutObject", "arn:aws:s3:::b/car_telemetry*")},
                    "s3:PutObject", req).allowed
    assert evaluate({"p": allow("s3:PutObject", "arn:aws:s3:::b/*")}, "s3:PutObject", req).allowed
    # a deny on part of the required set denies
    pols = {"a": allow("s3:*", "*"),
            "d": pol({"Effect": "Deny", "Action": "s3:PutObject",
                      "Resource": "arn:aws:s3:::b/car_telemetry_$folder$"})}
    assert evaluate(pols, "s3:PutObject", req).decision == "explicit_deny"


# ------------------------------------------------------------ placeholders

def test_placeholders():
    r = "arn:aws:glue:us-east-1:${account_id}:table/db/t"
    same = {"p": allow("glue:GetTable", "arn:aws:glue:us-east-1:${account_id}:table/db/*")}
    star = {"p": allow("glue:GetTable", "arn:aws:glue:*:*:table/db/*")}
    concrete = {"p": allow("glue:GetTable", f"arn:aws:glue:us-east-1:{ACC}:table/db/*")}
    other_db = {"p": allow("glue:GetTable", "arn:aws:glue:us-east-1:${account_id}:table/x/*")}
    assert evaluate(same, "glue:GetTable", r).decision == "allow"
    assert evaluate(star, "glue:GetTable", r).decision == "allow"
    assert evaluate(concrete, "glue:GetTable", r).decision == "conditional"
    assert evaluate(other_db, "glue:GetTable", r).decision == "implicit_deny"
    deny = {"a": allow("glue:*", "*"),
            "d": pol({"Effect": "Deny", "Action": "glue:*",
                      "Resource": f"arn:aws:glue:us-east-1:{ACC}:*"})}
    assert evaluate(deny, "glue:GetTable", r).decision == "conditional"


# ------------------------------------------------------------ s3:prefix condition context

def test_listbucket_prefix_condition_decided_from_context():
    p = {"p": allow("s3:ListBucket", BUCKET,
                    Condition={"StringLike": {"s3:prefix": ["bronze/car_data/*"]}})}
    ok = Requirement("s3:ListBucket", BUCKET, "w", "s", (("s3:prefix", "bronze/car_data/"),))
    bad = Requirement("s3:ListBucket", BUCKET, "w", "s", (("s3:prefix", "silver/"),))
    nocontext = Requirement("s3:ListBucket", BUCKET, "w", "s")
    missing = missing_permissions(p, [ok, bad, nocontext])
    assert [m.requirement for m in missing] == [bad, nocontext]
    assert missing[0].decision.decision == "implicit_deny"
    assert missing[1].decision.decision == "conditional"


# ------------------------------------------------------------ malformed documents

@pytest.mark.parametrize("doc,fragment", [
    ("{not json", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Statement": "x"}, "object or a list"),
    ({"Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}, "Effect"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Action / NotAction"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*",
                     "Resource": "*"}]}, "Action / NotAction"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "Resource / NotResource"),
    ({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "must not be empty"),
    ({"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]},
     "service:ActionName"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket/x"}]},
     "ARN"),
    ({"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}, "string"),
    ({"Version": "2020-01-01", "Statement": []}, "Version"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Acton": "x"}]},
     "unknown statement element"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                     "Condition": {"StringEquals": []}}]}, "condition operator"),
])
def test_malformed_documents_raise_typed_error(doc, fragment):
    with pytest.raises(PolicyParseError) as e:
        parse_policy(doc, name="inline:crawler")
    assert fragment in e.value.what
    assert e.value.where and e.value.where.startswith("inline:crawler:$")
    with pytest.raises(PolicyParseError):  # evaluate fails closed too, never "allow"
        evaluate({"inline:crawler": doc}, "s3:GetObject", OBJ)


def test_suggest_statement_groups_by_resource_set():
    reqs = [Requirement("glue:GetPartition", TABLE, "", ""),
            Requirement("glue:BatchGetPartition", TABLE, "", ""),
            Requirement("s3:GetObject", f"{BUCKET}/bronze/*", "", "")]
    stmts = suggest_statement(missing_permissions({}, reqs))
    assert stmts == [
        {"Sid": "LakegateRequired1", "Effect": "Allow",
         "Action": ["glue:BatchGetPartition", "glue:GetPartition"], "Resource": TABLE},
        {"Sid": "LakegateRequired2", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"{BUCKET}/bronze/*"},
    ]
    # the suggestion, once added, grants exactly what was missing
    fixed = {"fix": {"Version": "2012-10-17", "Statement": stmts}}
    assert missing_permissions(fixed, reqs) == []

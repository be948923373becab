"""CloudWatch Logs filter patterns (unit + boto3 + CLI) and the put_log_events helper."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from localaws.logs import parse_filter_pattern

MESSAGES = ["INFO job started", "ERROR Column 'x' does not exist", "CRITICAL out of memory",
            "WARN Retrying ERROR later", "INFO job finished: ERROR count 0"]


@pytest.mark.parametrize("pattern, expected", [
    ("", MESSAGES),
    ("ERROR", [MESSAGES[1], MESSAGES[3], MESSAGES[4]]),
    ("?ERROR ?CRITICAL", MESSAGES[1:]),
    ("ERROR -Retrying", [MESSAGES[1], MESSAGES[4]]),
    ('"does not exist"', [MESSAGES[1]]),
    ("INFO job", [MESSAGES[0], MESSAGES[4]]),
    ("error", []),  # case-sensitive
    ("?ERROR ?CRITICAL -Retrying -finished", [MESSAGES[1], MESSAGES[2]]),
])
def test_filter_pattern_semantics(pattern: str, expected: list[str]) -> None:
    fp = parse_filter_pattern(pattern)
    assert [m for m in MESSAGES if fp.matches(m)] == expected


@pytest.mark.parametrize("bad", ['{ $.level = "ERROR" }', "[ip, user]", '"unbalanced'])
def test_unsupported_patterns_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_filter_pattern(bad)


@pytest.fixture()
def group(aws, uid: str) -> str:
    logs = aws("logs")
    name = f"/aws-glue/jobs/test-{uid}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="run-1")
    logs.create_log_stream(logGroupName=name, logStreamName="run-2")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=name, logStreamName="run-1", logEvents=[
        {"timestamp": now + i, "message": m} for i, m in enumerate(MESSAGES[:3])])
    logs.put_log_events(logGroupName=name, logStreamName="run-2", logEvents=[
        {"timestamp": now + 10 + i, "message": m} for i, m in enumerate(MESSAGES[3:])])
    return name


def test_filter_log_events_or_pattern_via_boto3(aws, group: str) -> None:
    logs = aws("logs")
    out = logs.filter_log_events(logGroupName=group, filterPattern="?ERROR ?CRITICAL")
    assert [e["message"] for e in out["events"]] == MESSAGES[1:]
    assert {e["logStreamName"] for e in out["events"]} == {"run-1", "run-2"}
    assert {s["logStreamName"] for s in out["searchedLogStreams"]} == {"run-1", "run-2"}
    only = logs.filter_log_events(logGroupName=group, filterPattern="ERROR", logStreamNames=["run-1"])
    assert [e["message"] for e in only["events"]] == [MESSAGES[1]]


def test_pagination_and_errors(aws, group: str) -> None:
    logs = aws("logs")
    first = logs.filter_log_events(logGroupName=group, limit=2)
    assert len(first["events"]) == 2 and "nextToken" in first
    rest = logs.filter_log_events(logGroupName=group, limit=10, nextToken=first["nextToken"])
    assert [e["message"] for e in first["events"] + rest["events"]] == MESSAGES
    with pytest.raises(ClientError) as err:
        logs.filter_log_events(logGroupName=group + "-missing")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.x = 1 }')
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


def test_filter_log_events_via_cli(aws_cli, group: str) -> None:
    out = json.loads(aws_cli("logs", "filter-log-events", "--log-group-name", group,
                             "--filter-pattern", "?ERROR ?CRITICAL").stdout)
    assert [e["message"] for e in out["events"]] == MESSAGES[1:]


def test_put_log_events_helper_creates_group_and_stream(uid: str) -> None:
    from moto import mock_aws

    from localaws.dispatch import Ctx
    from localaws.logs import put_log_events

    with mock_aws():
        import boto3

        ctx = Ctx("logs", "Test")
        earlier = int(time.time() * 1000) - 60_000
        assert put_log_events(ctx, f"/g/{uid}", "s", ["b", (earlier, "a")]) == 2
        assert put_log_events(ctx, f"/g/{uid}", "s", ["c"]) == 1
        events = boto3.client("logs", region_name="us-east-1").get_log_events(
            logGroupName=f"/g/{uid}", logStreamName="s")["events"]
        assert [e["message"] for e in events] == ["a", "b", "c"]

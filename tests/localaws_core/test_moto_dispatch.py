"""The server's moto dispatcher remembers host -> backend (``localaws.server.moto_dispatcher``):
it must route every host exactly as moto's own lookup does, and requests of every kind the
suite uses must still reach their backend through the server (boto3)."""

from __future__ import annotations

from typing import Any, Callable

from moto.backend_index import backend_url_patterns
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from localaws.server import moto_dispatcher


def _hosts() -> list[str | None]:
    hosts: list[str | None] = [None, "moto_api", "s3", "glue", "s3.amazonaws.com",
                               "lake-bucket.s3.us-east-1.amazonaws.com", "nothing.example.com",
                               "nosuchservice.us-east-1.amazonaws.com"]
    for backend, _ in backend_url_patterns:
        hosts += [f"{backend}.us-east-1.amazonaws.com", f"{backend}.eu-west-1.amazonaws.com",
                  f"{backend}.amazonaws.com"]
    return hosts


def test_remembered_lookup_answers_as_moto() -> None:
    mine = moto_dispatcher()
    theirs = DomainDispatcherApplication(lambda service: None)
    hosts = _hosts()
    expected = [DomainDispatcherApplication.get_backend_for_host(theirs, h) for h in hosts]
    assert any(e is None for e in expected) and len({e for e in expected if e}) > 100
    for _ in range(2):   # the second pass answers from what the first remembered
        assert [mine.get_backend_for_host(h) for h in hosts] == expected


def test_requests_reach_their_backends_through_the_server(aws: Callable[[str], Any], uid: str) -> None:
    s3, iam, sts, glue, logs = (aws(s) for s in ("s3", "iam", "sts", "glue", "logs"))
    bucket = f"dispatch-{uid}"
    for _ in range(2):   # first and remembered lookups
        s3.create_bucket(Bucket=bucket) if not any(
            b["Name"] == bucket for b in s3.list_buckets()["Buckets"]) else None
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
        assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")[
            "Policy"]["PolicyName"] == "AWSGlueServiceRole"
        assert sts.get_caller_identity()["Account"] == "123456789012"
        assert isinstance(glue.get_databases()["DatabaseList"], list)
        assert isinstance(logs.describe_log_groups()["logGroups"], list)

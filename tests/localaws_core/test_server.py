"""The endpoint itself: health/token, admin routes, error shape, forwarding, behaviour loading."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

import pytest

from lakegate import localenv
from localaws import dispatch
from localaws.server import load_behaviour, request_identity


def test_health_answers_with_our_token_and_pid(local_aws: localenv.LocalState) -> None:
    h = localenv.health(local_aws.endpoint)
    assert h is not None and h["pid"] == local_aws.pid
    assert h["token_sha256"] == localenv.token_sha256(local_aws.token)
    assert "token" not in h and local_aws.token not in json.dumps(h)
    assert h["service"] == "localaws"
    assert "athena.StartQueryExecution" in h["overrides"]
    assert "localaws.s3" in h["behaviour"] and "localaws.athena" in h["behaviour"]
    assert h["background_errors"] == []


def test_unknown_admin_path_and_unknown_fault_are_404(local_aws: localenv.LocalState) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(f"{local_aws.endpoint}/_lakegate/nothing",
                                                      headers=localenv.control_headers(local_aws)))
    assert err.value.code == 404
    status, body = localenv.admin_post(local_aws, "fault/no-such-fault")
    assert status == 404 and body["error"] == "unknown fault 'no-such-fault'"
    assert isinstance(body["known"], list)


def test_override_error_shape(local_aws: localenv.LocalState) -> None:
    req = urllib.request.Request(local_aws.endpoint + "/", data=b'{"QueryExecutionId": "nope"}',
                                 method="POST", headers={
                                     "X-Amz-Target": "AmazonAthena.GetQueryExecution",
                                     "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 400
    assert err.value.headers["x-amzn-ErrorType"] == "InvalidRequestException"
    body = json.loads(err.value.read())
    assert body == {"__type": "InvalidRequestException", "message": "QueryExecution nope was not found",
                    "Message": "QueryExecution nope was not found"}


def test_bad_json_body_is_serialization_error(local_aws: localenv.LocalState) -> None:
    req = urllib.request.Request(local_aws.endpoint + "/", data=b"{not json", method="POST",
                                 headers={"X-Amz-Target": "AmazonAthena.GetQueryExecution"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert json.loads(err.value.read())["__type"] == "SerializationException"


def test_everything_else_is_forwarded_to_moto(aws, uid: str) -> None:
    glue = aws("glue")
    glue.create_database(DatabaseInput={"Name": f"fwd_{uid}"})
    names = [d["Name"] for d in glue.get_databases()["DatabaseList"]]
    assert f"fwd_{uid}" in names
    # AWS managed policies exist (MOTO_IAM_LOAD_MANAGED_POLICIES=true before moto import)
    pol = aws("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")
    assert pol["Policy"]["PolicyName"] == "AWSGlueServiceRole"


def test_aws_cli_works_against_the_endpoint(aws_cli, uid: str) -> None:
    aws_cli("glue", "create-database", "--database-input", json.dumps({"Name": f"cli_{uid}"}))
    out = json.loads(aws_cli("glue", "get-databases").stdout)
    assert f"cli_{uid}" in [d["Name"] for d in out["DatabaseList"]]


def test_request_identity_from_sigv4() -> None:
    env = {"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20250101/eu-west-1/glue/"
                                 "aws4_request, SignedHeaders=host, Signature=x"}
    assert request_identity(env) == (dispatch.DEFAULT_ACCOUNT, "eu-west-1")
    assert request_identity({}) == (dispatch.DEFAULT_ACCOUNT, dispatch.DEFAULT_REGION)


def test_load_behaviour_skips_missing_but_raises_on_broken(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "lg_broken_behaviour"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise ImportError('half-written module')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_behaviour(["lg_not_there_at_all"]) == []
    with pytest.raises(ImportError, match="half-written"):
        load_behaviour(["lg_broken_behaviour"])
    sys.modules.pop("lg_broken_behaviour", None)


def test_register_fault_registry() -> None:
    calls = []
    f = dispatch.register_fault("lg-test-fault", lambda rt: calls.append("a"), lambda rt: calls.append("c"),
                                "for tests")
    try:
        assert dispatch.FAULTS["lg-test-fault"] is f
        f.apply(None)
        f.clear(None)
        assert calls == ["a", "c"]
    finally:
        dispatch.FAULTS.pop("lg-test-fault", None)

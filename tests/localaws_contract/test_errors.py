"""Every override answers an operation AWS has, and declares only errors AWS lists for it.

Walks the one registry (``localaws.dispatch.OVERRIDES``) after loading every behaviour module
the server loads, and checks each ``(service, operation)`` against botocore's service model
(``get_service_model(svc)``: the operation exists; each declared error's code is one of the
operation's ``error_shapes``, with the model's HTTP status where it gives one). Request gates
and the server may add only the AWS common errors (``localaws.exceptions.COMMON_ERRORS``).
The runtime guard (``dispatch.guard_errors``) makes an undeclared error noticed.
"""

from __future__ import annotations

import botocore.session
import pytest

from localaws import dispatch, exceptions
from localaws.dispatch import AwsError, Ctx
from localaws.server import BEHAVIOUR_MODULES, load_behaviour

load_behaviour(BEHAVIOUR_MODULES)
SESSION = botocore.session.get_session()
REGISTRY = sorted(dispatch.OVERRIDES)


def _shapes(service: str, operation: str) -> dict[str, object]:
    op = SESSION.get_service_model(service).operation_model(operation)
    return {(s.metadata.get("error", {}).get("code") or s.name): s for s in op.error_shapes}


def test_the_registry_holds_every_service_we_answer() -> None:
    assert {s for s, _ in REGISTRY} == {"glue", "athena", "logs", "iam"}
    assert len(REGISTRY) >= 30


@pytest.mark.parametrize("service,operation", REGISTRY, ids=[f"{s}.{o}" for s, o in REGISTRY])
def test_override_matches_botocore(service: str, operation: str) -> None:
    model = SESSION.get_service_model(service)
    assert operation in model.operation_names, f"{service} has no operation {operation}"
    entry = dispatch.OVERRIDES[(service, operation)]
    shapes = _shapes(service, operation)
    for err in entry.errors:
        assert err.code in shapes, (f"{service}.{operation} declares {err.__name__} ({err.code}); "
                                    f"botocore lists {sorted(shapes)}")
        status = shapes[err.code].metadata.get("error", {}).get("httpStatusCode")
        if status is not None:
            assert err.status == status, f"{err.__name__}: status {err.status}, AWS {status}"
        assert not issubclass(err, exceptions.CommonError)


def test_common_errors_are_no_operation_errors_of_ours() -> None:
    codes = {e.code for e in exceptions.COMMON_ERRORS}
    for service, operation in REGISTRY:
        assert not {e.code for e in dispatch.OVERRIDES[(service, operation)].errors} & codes


def test_json_target_prefixes_come_from_botocore() -> None:
    prefixes = dispatch.target_prefixes()
    for service in dispatch.JSON_SERVICES:
        model = SESSION.get_service_model(service)
        assert model.metadata["protocol"] == "json"
        assert prefixes[model.metadata["targetPrefix"]] == service
    assert dispatch.query_services() == {"iam": "iam"}


@pytest.fixture
def planted():
    """A handler that raises an error it did not declare (and one that raises a declared one)."""
    from localaws.glue.exceptions import CrawlerRunningException, EntityNotFoundException

    @dispatch.override("glue", "lakegate-test-op", errors=(EntityNotFoundException,))
    def handler(ctx: Ctx, params: dict) -> dict:
        raise (CrawlerRunningException if params.get("undeclared") else EntityNotFoundException)("x")

    yield handler
    dispatch.OVERRIDES.pop(("glue", "lakegate-test-op"), None)
    dispatch.UNDECLARED[:] = [u for u in dispatch.UNDECLARED if u["operation"] != "lakegate-test-op"]


def test_undeclared_error_is_noticed(planted, monkeypatch) -> None:
    ctx = Ctx(service="glue", operation="lakegate-test-op")
    monkeypatch.setattr(dispatch, "STRICT_ERRORS", False)
    with pytest.raises(AwsError) as err:          # the wire is unchanged ...
        planted(ctx, {"undeclared": True})
    assert err.value.code == "CrawlerRunningException"
    assert {"service": "glue", "operation": "lakegate-test-op", "code": "CrawlerRunningException",
            "by": "handler"} in dispatch.UNDECLARED   # ... but it is recorded (health shows it)
    monkeypatch.setattr(dispatch, "STRICT_ERRORS", True)
    with pytest.raises(dispatch.UndeclaredError):
        planted(ctx, {"undeclared": True})
    with pytest.raises(AwsError) as err:          # a declared error passes in strict mode
        planted(ctx, {})
    assert err.value.code == "EntityNotFoundException"


def test_a_gate_may_refuse_only_with_a_common_or_listed_error(monkeypatch) -> None:
    monkeypatch.setattr(dispatch, "STRICT_ERRORS", True)
    answers = {"code": "ThrottlingException"}

    def gate(runtime, service, operation):
        return AwsError(answers["code"], "refused")

    monkeypatch.setattr(dispatch, "REQUEST_GATES", [gate])
    assert dispatch.gate_request(None, "glue", "GetCrawler").code == "ThrottlingException"
    answers["code"] = "ConcurrentRunsExceededException"   # StartJobRun lists it
    assert dispatch.gate_request(None, "glue", "StartJobRun").code == answers["code"]
    with pytest.raises(dispatch.UndeclaredError):           # GetCrawler does not
        dispatch.gate_request(None, "glue", "GetCrawler")
    dispatch.UNDECLARED[:] = [u for u in dispatch.UNDECLARED if u["by"] != "request gate"]


def test_error_classes_carry_code_and_status() -> None:
    from localaws.iam.exceptions import NoSuchEntityException

    err = NoSuchEntityException("The principal x cannot be found.")
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404,
                                                    "The principal x cannot be found.")
    assert AwsError("Custom", "m", 409).status == 409
    assert exceptions.InternalFailure("bug", status=400).status == 400

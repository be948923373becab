"""Contract between the local AWS server and the behaviour modules.

The server (``localaws.server``) runs moto's WSGI application in-process and, before forwarding
a request, looks up ``(service, operation)`` in :data:`OVERRIDES`. A behaviour module answers an
operation that moto lacks or gets wrong by registering a handler::

    from localaws.dispatch import AwsError, Ctx, override

    @override("glue", "GetJobBookmark")
    def get_job_bookmark(ctx: Ctx, params: dict) -> dict:
        ...                      # read/modify moto state via ctx.backend("glue")
        raise AwsError("EntityNotFoundException", "Continuation for job x not found")

Handlers receive the decoded JSON request body and return the JSON response body (a dict).
They run in the server process and must operate on moto's state in-process (``ctx.backend``)
— never by HTTP calls to the server itself (that deadlocks while a lock is held).

Only JSON-protocol services (X-Amz-Target: glue, athena, logs) are routed here; the service
names are the boto3 client names.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# X-Amz-Target prefix -> boto3 service name
TARGET_PREFIXES: dict[str, str] = {
    "AWSGlue": "glue",
    "AmazonAthena": "athena",
    "Logs_20140328": "logs",
}


class AwsError(Exception):
    """An AWS-shaped error response: ``{"__type": code, "message": message}`` with ``status``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message, "Message": self.message}


@dataclass
class Ctx:
    """What a handler knows about the request it answers."""

    service: str
    operation: str
    account_id: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    runtime: Any = None  # the server's runtime object (timing, scheduler, faults), set by the server
    extra: dict[str, Any] = field(default_factory=dict)

    def backend(self, service: str | None = None, region: str | None = None) -> Any:
        """moto's backend object for ``service`` in this request's account and region."""
        from moto.backends import get_backend

        name = service or self.service
        reg = region or self.region
        if name in ("iam", "s3"):
            reg = "global" if name == "iam" else "us-east-1"
            backends = get_backend(name)[self.account_id]
            if name == "iam":
                return backends["global"]
            return backends["global"] if "global" in backends else backends[reg]
        return get_backend(name)[self.account_id][reg]


Handler = Callable[[Ctx, dict], dict]

OVERRIDES: dict[tuple[str, str], Handler] = {}
_lock = threading.RLock()


def override(service: str, operation: str) -> Callable[[Handler], Handler]:
    """Register ``func`` as the answer to ``service``/``operation`` (replacing moto's)."""

    def deco(func: Handler) -> Handler:
        with _lock:
            OVERRIDES[(service, operation)] = func
        return func

    return deco


def lookup(service: str, operation: str) -> Handler | None:
    return OVERRIDES.get((service, operation))


# --- fault registry ---------------------------------------------------------------------------
# ``POST /_lakegate/fault/<name>`` calls ``apply(runtime)``; ``POST /_lakegate/fault/<name>/clear``
# calls ``clear(runtime)``. Both run in the server process with the runtime's state lock held and
# may return a JSON-serialisable dict describing what they changed (echoed to the CLI).

FaultFunc = Callable[[Any], Any]


@dataclass(frozen=True)
class Fault:
    name: str
    apply: FaultFunc
    clear: FaultFunc
    description: str = ""


FAULTS: dict[str, Fault] = {}

# --- request gates -----------------------------------------------------------------------------
# A gate sees every JSON-protocol request (Glue, Athena, Logs) before it is answered and may turn
# it into an error (the ``throttling`` fault: ThrottlingException / ConcurrentRunsExceededException).
RequestGate = Callable[[Any, str, str], "AwsError | None"]
REQUEST_GATES: list[RequestGate] = []


def register_request_gate(gate: RequestGate) -> RequestGate:
    with _lock:
        REQUEST_GATES.append(gate)
    return gate


def gate_request(runtime: Any, service: str, operation: str) -> "AwsError | None":
    for gate in list(REQUEST_GATES):
        err = gate(runtime, service, operation)
        if err is not None:
            return err
    return None


def register_fault(name: str, apply: FaultFunc, clear: FaultFunc, description: str = "") -> Fault:
    """Register a named fault for ``lakegate local fault NAME [--clear]``."""
    fault = Fault(name, apply, clear, description)
    with _lock:
        FAULTS[name] = fault
    return fault

"""Contract between the local AWS server and the behaviour modules: the one override registry.

The server (``localaws.server``) runs moto's WSGI application in-process and, before forwarding
a request, looks up ``(service, operation)`` in :data:`OVERRIDES` — for both wire protocols the
services we answer speak: JSON (``X-Amz-Target``: Glue, Athena, CloudWatch Logs) and query
(form-encoded ``Action=``: IAM). A behaviour module answers an operation that moto lacks or gets
wrong by registering a handler, and declares the AWS errors it may raise::

    from localaws.dispatch import Ctx, override
    from localaws.glue.exceptions import EntityNotFoundException

    @override("glue", "GetJobBookmark", errors=(EntityNotFoundException,))
    def get_job_bookmark(ctx: Ctx, params: dict) -> dict:
        ...                      # read/modify moto state via ctx.backend("glue")
        raise EntityNotFoundException("Continuation for job x not found")

Handlers receive the request's parameters as a dict shaped like botocore's input shape (the JSON
body as sent; for the query protocol the form decoded by :mod:`localaws.protocols`) and return
the output shape as a dict; the server encodes it for the protocol. They run in the server
process and must operate on moto's state in-process (``ctx.backend``) — never by HTTP calls to
the server itself (that deadlocks while a lock is held).

Service names are the boto3 client names; which protocol a service speaks and its JSON target
prefix (``AWSGlue``, ``AmazonAthena``, ``Logs_20140328``) come from botocore's service model
(``metadata["protocol"]``, ``metadata["targetPrefix"]``), never typed here. The errors a
handler declares are checked against the same model by ``tests/localaws_contract``.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from localaws.exceptions import COMMON_CODES, AwsError

log = logging.getLogger("localaws.dispatch")

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

#: services whose JSON-protocol requests the server routes (overrides, request gates); the
#: target prefix of each is read from botocore (:func:`target_prefixes`)
JSON_SERVICES: tuple[str, ...] = ("glue", "athena", "logs")


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


@dataclass(frozen=True)
class Override:
    """One registered answer: the handler and the AWS errors it declares it may raise."""

    service: str
    operation: str
    handler: Handler
    errors: tuple[type[AwsError], ...] = ()

    def __call__(self, ctx: Ctx, params: dict) -> dict:
        return self.handler(ctx, params)

    @property
    def error_codes(self) -> frozenset[str]:
        return frozenset(e.code for e in self.errors)


#: the one registry: ``(service, operation)`` -> :class:`Override`, for every protocol
OVERRIDES: dict[tuple[str, str], Override] = {}
_lock = threading.RLock()


def override(service: str, operation: str,
             errors: Iterable[type[AwsError]] = ()) -> Callable[[Handler], Handler]:
    """Register ``func`` as the answer to ``service``/``operation`` (replacing moto's).

    ``errors``: the AWS error classes the handler may raise (each must be one the operation
    lists in botocore's model: tests/localaws_contract). Returns ``func`` wrapped by the
    undeclared-error guard (:func:`guard_errors`), so direct calls are guarded too."""
    declared = tuple(errors)
    for err in declared:
        if not (isinstance(err, type) and issubclass(err, AwsError)):
            raise TypeError(f"{service}.{operation}: errors must be AwsError classes, got {err!r}")

    def deco(func: Handler) -> Handler:
        guarded = guard_errors(service, operation, declared)(func)
        with _lock:
            OVERRIDES[(service, operation)] = Override(service, operation, guarded, declared)
        return guarded

    return deco


def lookup(service: str, operation: str) -> Override | None:
    return OVERRIDES.get((service, operation))


class UndeclaredError(AssertionError):
    """A handler raised an AWS error its ``@override(errors=...)`` does not declare (strict mode)."""


#: ``LOCALAWS_STRICT_ERRORS=1`` (and the in-process test fixtures) make an undeclared error an
#: :class:`UndeclaredError` instead of passing it on; either way it is logged and kept in
#: :data:`UNDECLARED` (the health answer shows it as ``undeclared_errors``).
STRICT_ERRORS = os.environ.get("LOCALAWS_STRICT_ERRORS", "") not in ("", "0", "false")
UNDECLARED: list[dict[str, str]] = []


def note_undeclared(service: str, operation: str, err: AwsError, by: str = "handler") -> None:
    entry = {"service": service, "operation": operation, "code": err.code, "by": by}
    with _lock:
        if entry not in UNDECLARED:
            UNDECLARED.append(entry)
    log.error("%s %s.%s raised %s, which it does not declare (docs/DESIGN.md, localaws layout)",
              by, service, operation, err.code)
    if STRICT_ERRORS:
        raise UndeclaredError(f"{service}.{operation} raised undeclared {err.code}: {err.message}") from err


def guard_errors(service: str, operation: str,
                 declared: tuple[type[AwsError], ...]) -> Callable[[Handler], Handler]:
    """Wrap a handler so an AWS error it raises that is neither declared nor common is noticed
    (:func:`note_undeclared`). What goes on the wire does not change unless strict."""
    codes = frozenset(e.code for e in declared) | COMMON_CODES

    def deco(func: Handler) -> Handler:
        @functools.wraps(func)
        def guarded(ctx: Ctx, params: dict) -> dict:
            try:
                return func(ctx, params)
            except AwsError as err:
                if err.code not in codes:
                    note_undeclared(service, operation, err)
                raise

        return guarded

    return deco


# --- protocols and target prefixes, from botocore's service models -------------------------------

_MODELS: dict[str, Any] = {}
_SESSION: list[Any] = []


def service_model(service: str) -> Any:
    """botocore's service model for ``service`` (loaded once per process)."""
    model = _MODELS.get(service)
    if model is None:
        import botocore.session

        with _lock:
            model = _MODELS.get(service)
            if model is None:
                if not _SESSION:
                    _SESSION.append(botocore.session.get_session())
                model = _MODELS[service] = _SESSION[0].get_service_model(service)
    return model


def protocol(service: str) -> str:
    """``json``, ``query``, ``rest-xml``, ... as botocore's model says."""
    return service_model(service).metadata["protocol"]


_PREFIXES: dict[str, str] = {}


def target_prefixes() -> dict[str, str]:
    """``X-Amz-Target`` prefix -> service for :data:`JSON_SERVICES` and every JSON-protocol
    service with an override (``metadata["targetPrefix"]`` of botocore's model)."""
    if not _PREFIXES:
        services = set(JSON_SERVICES) | {s for s, _ in OVERRIDES}
        found = {}
        for svc in sorted(services):
            prefix = service_model(svc).metadata.get("targetPrefix")
            if prefix:
                found[prefix] = svc
        with _lock:
            _PREFIXES.update(found)
    return _PREFIXES


def query_services() -> dict[str, str]:
    """Signing name (the SigV4 credential scope's service) -> service, for every query-protocol
    service with an override."""
    out = {}
    for svc in {s for s, _ in OVERRIDES}:
        model = service_model(svc)
        if model.metadata["protocol"] == "query":
            out[model.metadata.get("signingName") or model.metadata["endpointPrefix"]] = svc
    return out


def __getattr__(name: str) -> Any:
    # ``dispatch.TARGET_PREFIXES`` (the name it had when the prefixes were typed here)
    if name == "TARGET_PREFIXES":
        return target_prefixes()
    raise AttributeError(name)


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
    """The first refusal of a gate. A gate may answer a common error (ThrottlingException) or
    one the operation lists in botocore's model (StartJobRun's ConcurrentRunsExceededException);
    anything else is noticed like a handler's undeclared error."""
    for gate in list(REQUEST_GATES):
        err = gate(runtime, service, operation)
        if err is not None:
            if err.code not in COMMON_CODES and err.code not in operation_error_codes(service, operation):
                note_undeclared(service, operation, err, by="request gate")
            return err
    return None


def operation_error_codes(service: str, operation: str) -> frozenset[str]:
    """The error codes botocore's model lists for ``operation`` (empty when it has no such
    operation). The code is the shape's ``error.code`` (IAM's ``NoSuchEntity``), else its name."""
    model = service_model(service)
    if operation not in model.operation_names:
        return frozenset()
    return frozenset(e.metadata.get("error", {}).get("code") or e.name
                     for e in model.operation_model(operation).error_shapes)


def register_fault(name: str, apply: FaultFunc, clear: FaultFunc, description: str = "") -> Fault:
    """Register a named fault for ``lakegate local fault NAME [--clear]``."""
    fault = Fault(name, apply, clear, description)
    with _lock:
        FAULTS[name] = fault
    return fault

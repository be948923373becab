"""AWS errors shared by every service: the common errors, the JSON protocol's own error, and
moto's errors turned into ours. Per-service errors live in ``localaws/<service>/exceptions.py``.

Common errors are the ones every AWS API may answer to any request, so no operation lists them
in its model. Source: the "Common Errors" page of each service's API reference, e.g.
https://docs.aws.amazon.com/athena/latest/APIReference/CommonErrors.html (the same list for Glue,
CloudWatch Logs and the others). Request gates (``dispatch.register_request_gate``: the
throttling fault) and IAM enforcement may refuse with these; an operation's own errors must be
declared by its handler (``@override(..., errors=...)``) and listed by botocore's model.
"""

from __future__ import annotations

import functools
from typing import Any, Callable


SOURCE_COMMON = "https://docs.aws.amazon.com/athena/latest/APIReference/CommonErrors.html"


class AwsError(Exception):
    """An AWS-shaped error response: ``{"__type": code, "message": message}`` with ``status``.

    Declare errors as subclasses with the AWS error code and HTTP status as class attributes
    (``localaws/<service>/exceptions.py``; the common errors below) and raise them with a
    message: ``EntityNotFoundException("Job with name x not found")``.
    ``AwsError(code, message, status)`` still builds one from a code (e.g. an error moto raised).
    Also importable as ``localaws.dispatch.AwsError``.
    """

    code: str = "InternalFailure"
    status: int = 400

    def __init__(self, code: str, message: str | None = None, status: int | None = None) -> None:
        if message is None:           # SubClass("message")
            code, message = type(self).code, code
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = type(self).status if status is None else status

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message, "Message": self.message}


class CommonError(AwsError):
    """An error any AWS API may answer (the "Common Errors" page)."""


class AccessDeniedException(CommonError):
    code, status = "AccessDeniedException", 400


class IncompleteSignature(CommonError):
    code, status = "IncompleteSignature", 400


class InternalFailure(CommonError):
    # AWS: 500. The server answers a handler bug with status 400 instead (an SDK or Terraform
    # retries a 5xx for minutes; a bug should fail fast) and says so where it does.
    code, status = "InternalFailure", 500


class InvalidAction(CommonError):
    code, status = "InvalidAction", 400


class InvalidClientTokenId(CommonError):
    code, status = "InvalidClientTokenId", 403


class NotAuthorized(CommonError):
    code, status = "NotAuthorized", 400


class OptInRequired(CommonError):
    code, status = "OptInRequired", 403


class RequestExpired(CommonError):
    code, status = "RequestExpired", 400


class ServiceUnavailable(CommonError):
    code, status = "ServiceUnavailable", 503


class ThrottlingException(CommonError):
    code, status = "ThrottlingException", 400


class ValidationError(CommonError):
    code, status = "ValidationError", 400


class SerializationException(AwsError):
    """The JSON protocol's answer to a body that is not a JSON object (awsJson1_1: the request
    could not be deserialised). A protocol error, not an operation's: no model lists it."""

    code, status = "SerializationException", 400


#: every error any request may get whatever the operation
COMMON_ERRORS: tuple[type[AwsError], ...] = (
    AccessDeniedException, IncompleteSignature, InternalFailure, InvalidAction,
    InvalidClientTokenId, NotAuthorized, OptInRequired, RequestExpired, ServiceUnavailable,
    ThrottlingException, ValidationError, SerializationException)
COMMON_CODES: frozenset[str] = frozenset(e.code for e in COMMON_ERRORS)

__all__ = ["AwsError", "CommonError", "COMMON_ERRORS", "COMMON_CODES", "moto_errors",
           *(e.__name__ for e in COMMON_ERRORS)]


def moto_errors(func: Callable[[Any, dict], dict]) -> Callable[[Any, dict], dict]:
    """Turn moto's JsonRESTError (e.g. EntityNotFoundException) into :class:`AwsError`."""

    @functools.wraps(func)
    def wrapper(ctx: Any, params: dict) -> dict:
        from moto.core.exceptions import JsonRESTError

        try:
            return func(ctx, params)
        except JsonRESTError as err:
            raise AwsError(err.error_type, getattr(err, "message", str(err)), err.code) from err

    return wrapper

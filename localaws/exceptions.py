"""AWS errors shared by every service: the base class, moto's errors turned into ours.

Per-service errors live in ``localaws/<service>/exceptions.py``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from localaws.dispatch import AwsError, Ctx

__all__ = ["AwsError", "moto_errors", "require"]


def moto_errors(func: Callable[[Ctx, dict], dict]) -> Callable[[Ctx, dict], dict]:
    """Turn moto's JsonRESTError (e.g. EntityNotFoundException) into :class:`AwsError`."""

    @functools.wraps(func)
    def wrapper(ctx: Ctx, params: dict) -> dict:
        from moto.core.exceptions import JsonRESTError

        try:
            return func(ctx, params)
        except JsonRESTError as err:
            raise AwsError(err.error_type, getattr(err, "message", str(err)), err.code) from err

    return wrapper


def require(params: dict, key: str, op: str) -> Any:
    value = params.get(key)
    if value in (None, ""):
        raise AwsError("InvalidInputException", f"{op}: {key} is required")
    return value

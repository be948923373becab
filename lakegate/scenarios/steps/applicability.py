"""What a runbook item needs from a pipeline that a user's pipeline may not have. An item that
cannot be checked on this pipeline is SKIPPED with the precise reason — never a false PASS, never
a crash — and, like every SKIP, blocks GO unless ``lakegate.toml`` waives it
(docs/generic-pipelines.md lists the items that apply to a generic pipeline)."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from lakegate.errors import LakegateError


def cannot_verify(why: str) -> NoReturn:
    pytest.skip(f"cannot verify on this pipeline: {why}")


def not_applicable(why: str) -> NoReturn:
    pytest.skip(f"not applicable to this pipeline: {why}")


def discovered(names: Any) -> bool:
    """The names were discovered from the workflow (a user's pipeline), not given by outputs."""
    return bool(names.roles)


def role_table(names: Any, role: str) -> str:
    """The table of ``role`` (bronze, silver, gold_current_state, alerts), or SKIP saying why."""
    try:
        return names.table_of_role(role)
    except LakegateError as err:
        cannot_verify(f"no {role.replace('_', ' ')} table: {err.what}")


def tables_for(names: Any, text: str) -> dict[str, str]:
    """The role placeholders ``text`` uses (``{silver}``), each filled or SKIP."""
    import string

    used = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return {r: role_table(names, r) for r in used}

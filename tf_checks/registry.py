"""The rule registry: every gate rule declares itself once, here-through.

Why a registry (checkov's shape: one check declares its id, title and categories, and the runner
knows only registries): the engine, the SARIF rule metadata and ``docs/rules.md`` all read the
same declaration, so a new rule is one unit in one file and nothing else to keep in sync.

Two kinds of entry:

* :func:`declare` a **rule** (id, title, default severity, family, help): what a finding means.
  Findings are built from it (:meth:`Rule.finding`), so a finding can never carry an undeclared id.
* :func:`check` registers a **check unit**: a function ``(ctx) -> Iterable[Finding]`` that
  evaluates one or more declared rules. The engine runs every registered unit in ``order``
  (then name) so output stays deterministic.

Rule modules under ``tf_checks/rules/`` register on import; :func:`load_rules` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from tf_checks.findings import SEVERITIES, Finding


@dataclass(frozen=True)
class Family:
    prefix: str      # e.g. "LG-IAM"
    title: str
    help: str


@dataclass(frozen=True)
class Rule:
    id: str          # stable, e.g. "LG-IAM-001"
    title: str       # one line
    severity: str    # default severity (a finding may raise or lower it, and says why)
    family: str      # a declared Family prefix
    help: str        # what it checks and why, how to fix; Markdown allowed

    def finding(self, address: str, message: str, *, fix: str = "", severity: str | None = None,
                **kwargs: Any) -> Finding:
        """A :class:`Finding` of this rule (default severity unless ``severity`` is given)."""
        return Finding(rule_id=self.id, severity=severity or self.severity, address=address,
                       message=message, fix=fix, **kwargs)


FAMILIES: dict[str, Family] = {}
RULES: dict[str, Rule] = {}
CheckFn = Callable[[Any], Iterable[Finding]]
_CHECKS: dict[str, tuple[int, CheckFn]] = {}


def declare_family(prefix: str, title: str, help: str) -> Family:
    fam = Family(prefix, title, help)
    existing = FAMILIES.get(prefix)
    if existing is not None and existing != fam:
        raise ValueError(f"rule family {prefix} declared twice with different texts")
    FAMILIES[prefix] = fam
    return fam


def declare(id: str, title: str, severity: str, family: str, help: str) -> Rule:
    """Declare rule ``id`` once; returns the :class:`Rule` to build findings from."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: unknown severity {severity!r}")
    if family not in FAMILIES:
        raise ValueError(f"rule {id}: family {family!r} is not declared (declare_family first)")
    if not id.startswith(family + "-"):
        raise ValueError(f"rule {id} does not belong to family {family}")
    rule = Rule(id, title, severity, family, help)
    existing = RULES.get(id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule {id} declared twice with different metadata")
    RULES[id] = rule
    return rule


def check(name: str, order: int = 100) -> Callable[[CheckFn], CheckFn]:
    """Register a check unit ``fn(ctx) -> Iterable[Finding]`` under a unique ``name``."""
    def wrap(fn: CheckFn) -> CheckFn:
        prev = _CHECKS.get(name)
        if prev is not None and prev[1] is not fn:
            raise ValueError(f"check unit {name!r} registered twice")
        _CHECKS[name] = (order, fn)
        return fn
    return wrap


def checks() -> list[tuple[str, CheckFn]]:
    """Every registered check unit, in run order."""
    load_rules()
    return [(name, fn) for name, (order, fn) in sorted(_CHECKS.items(), key=lambda kv: (kv[1][0], kv[0]))]


def get(rule_id: str) -> Rule:
    load_rules()
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"rule {rule_id} is not declared in the registry") from None


_loaded = False


def load_rules() -> None:
    """Import every module of ``tf_checks.rules`` so their declarations run (idempotent)."""
    global _loaded
    if _loaded:
        return
    import tf_checks.rules as pkg
    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")
    _loaded = True

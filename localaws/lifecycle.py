"""Run lifecycles declared as transition tables: the code that changes a run's state asks the
table, so a state can only change the way AWS documents it.

A :class:`Lifecycle` names its states, the state a new run starts in, and for each state the
states it may move to; :meth:`Lifecycle.move` changes an attribute of a run record and raises
:class:`IllegalTransition` for a move the table does not allow. That is an *internal* error (a bug
in localaws, never an AWS error): in a request it becomes the server's InternalFailure, in a
background run a failed run with the message — it never goes silently onto the wire.

The records keep their states as plain strings (``Crawl.state``, ``JobRun.state``, ...), so the
states on the wire and in snapshots are what they were. The tables themselves live with their
service (``localaws/glue/lifecycles.py``), each with its AWS source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


class IllegalTransition(RuntimeError):
    """A run was moved between two states its lifecycle does not connect (a localaws bug)."""


@dataclass(frozen=True)
class Lifecycle:
    name: str
    initial: str
    transitions: Mapping[str, frozenset[str]]
    source: str
    states: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        states = set(self.transitions) | {s for targets in self.transitions.values() for s in targets}
        unknown = {s for s in states if s not in self.transitions}
        if unknown:
            raise ValueError(f"{self.name}: states {sorted(unknown)} have no row (use frozenset() "
                             "for a final state)")
        if self.initial not in states:
            raise ValueError(f"{self.name}: initial state {self.initial} is not in the table")
        object.__setattr__(self, "states", frozenset(states))

    @property
    def final(self) -> frozenset[str]:
        """States nothing leaves."""
        return frozenset(s for s, targets in self.transitions.items() if not targets)

    def allows(self, current: str, new: str) -> bool:
        return new in self.transitions.get(current, frozenset())

    def check(self, current: str, new: str) -> None:
        if not self.allows(current, new):
            allowed = sorted(self.transitions.get(current, frozenset()))
            raise IllegalTransition(f"{self.name}: {current} -> {new} is not a transition "
                                    f"(from {current}: {allowed or 'none, it is final'}; "
                                    f"source {self.source})")

    def move(self, record: Any, attr: str, new: str) -> None:
        """Set ``record.<attr>`` to ``new`` if the table allows the move from its current value."""
        self.check(getattr(record, attr), new)
        setattr(record, attr, new)


def table(rows: Mapping[str, tuple[str, ...] | list[str]]) -> dict[str, frozenset[str]]:
    """``{"A": ("B", "C"), "B": ()}`` as a transition mapping."""
    return {state: frozenset(targets) for state, targets in rows.items()}

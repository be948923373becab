"""The evidence file: one record per checklist-item outcome, shared by every report.

Scenarios (possibly in several processes) append records to ``evidence.jsonl`` under an
exclusive ``fcntl`` lock, so parallel runs never interleave or lose lines; :func:`load` reads them
back and keeps the latest record per item and scenario. Reports are rendered only from this file.
Everything written is masked (:mod:`lakegate.masking`).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakegate.errors import LakegateError
from lakegate.masking import mask

STATUSES = ("PASS", "FAIL", "SKIP", "NOT RUN")
EVIDENCE_FILE = "evidence.jsonl"


@dataclass
class Record:
    item_id: str                    # checklist item (lakegate.checklist)
    scenario: str                   # scenario name
    status: str                     # PASS | FAIL | SKIP
    feature: str = ""
    started: float = 0.0
    finished: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    failure: str = ""               # the failure message (first line shown in reports)
    steps: list[dict[str, Any]] = field(default_factory=list)  # [{keyword, text, status, duration}]
    env: str = ""
    pid: int = field(default_factory=os.getpid)
    # set by lakegate.checklist (the decision contract): is the item part of this environment's
    # sign-off, a P1-P5/S1 fault rehearsal outside a fault-capable environment, and the waiver
    # reason from lakegate.toml when its SKIP is waived
    applies: bool = True
    waiver: str | None = None
    rehearsal: bool = False

    def first_failure_line(self) -> str:
        return self.failure.strip().splitlines()[0] if self.failure.strip() else ""


def append(report_dir: Path, record: Record) -> None:
    """Append one record (masked) to ``report_dir/evidence.jsonl`` under an exclusive lock."""
    if record.status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {record.status!r}")
    report_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(mask(asdict(record)), sort_keys=True, default=str) + "\n"
    path = report_dir / EVIDENCE_FILE
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_meta(report_dir: Path, meta: dict[str, Any]) -> None:
    """Run-level facts (environment, commit, plan summary) for the report header."""
    report_dir.mkdir(parents=True, exist_ok=True)
    tmp = report_dir / "meta.json.tmp"
    tmp.write_text(json.dumps(mask(meta), indent=2, sort_keys=True, default=str))
    tmp.replace(report_dir / "meta.json")


def read_meta(report_dir: Path) -> dict[str, Any]:
    path = report_dir / "meta.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise LakegateError(f"the report metadata is not valid JSON ({err})", where=str(path),
                            fix="delete it and rerun the scenarios") from None


def load(report_dir: Path) -> list[Record]:
    """All records, latest per (item, scenario), in file order."""
    path = report_dir / EVIDENCE_FILE
    if not path.exists():
        return []
    latest: dict[tuple[str, str], Record] = {}
    with open(path, encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            lines = fh.readlines()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            rec = Record(**data)
        except (json.JSONDecodeError, TypeError) as err:
            raise LakegateError(f"evidence line {number} is not a valid record ({err})", where=f"{path}:{number}",
                                fix="the file is written only by lakegate; delete it and rerun the scenarios") from None
        latest[(rec.item_id, rec.scenario)] = rec
    return list(latest.values())


def reset(report_dir: Path) -> None:
    """Start a fresh evidence file (keeps nothing from an earlier run)."""
    for name in (EVIDENCE_FILE, "meta.json"):
        path = report_dir / name
        if path.exists():
            path.unlink()


def now() -> float:
    return time.time()

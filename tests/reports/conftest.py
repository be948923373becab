"""Fixtures: report directories holding real evidence (``make demo``) and the failing-run variant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _copy(name: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in (FIXTURES / name).iterdir():
        if f.is_file():
            shutil.copyfile(f, dest / f.name)
    return dest


@pytest.fixture
def passing_dir(tmp_path: Path) -> Path:
    """The evidence of a real `make demo` run (local AWS, 27 items PASS)."""
    return _copy("passing", tmp_path / "passing")


@pytest.fixture
def failing_dir(tmp_path: Path) -> Path:
    """The same run with the gold alerts job failed (Sintoma 1), see fixtures/make_failing.py."""
    return _copy("failing", tmp_path / "failing")

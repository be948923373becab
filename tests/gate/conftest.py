"""Fixtures for the gate tests: committed plan JSONs and mutable copies of their sources."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
_CACHE: dict[str, dict] = {}


def plan_data(name: str) -> dict:
    """A deep copy of a committed fixture plan (tests mutate it)."""
    if name not in _CACHE:
        _CACHE[name] = json.loads((FIXTURES / f"{name}.plan.json").read_text())
    return copy.deepcopy(_CACHE[name])


@pytest.fixture
def pipeline_dir(tmp_path: Path) -> Path:
    """A writable copy of the pipeline fixture's Terraform source."""
    dst = tmp_path / "pipeline"
    shutil.copytree(FIXTURES / "pipeline", dst)
    return dst

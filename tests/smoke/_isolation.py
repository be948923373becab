"""The isolation both smoke unit-test modules use: a fresh working folder, no lakegate.toml from
the checkout, no user local-AWS state."""

from __future__ import annotations

from pathlib import Path

import pytest


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("LAKEGATE_CONFIG", raising=False)
    monkeypatch.setenv("LAKEGATE_LOCAL_STATE", str(tmp_path / "user-state" / "state.json"))
    return work

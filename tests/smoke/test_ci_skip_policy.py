"""Under CI=true a test skipped for a missing tool fails (tests/_ci_skips.py); other skips stay
skips, and outside CI nothing changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

TESTS = '''
import pytest

def test_needs_the_aws_cli():
    pytest.skip("the aws CLI is not installed")

def test_needs_yaml():
    pytest.importorskip("surely_not_a_module_xyz", reason="PyYAML is not installed")

def test_platform_skip():
    pytest.skip("local rehearsal: faults can only be injected in the embedded local AWS")

def test_passes():
    assert True
'''


def _run(tmp_path: Path, ci: str | None) -> str:
    (tmp_path / "test_x.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(REPO)
    if ci is not None:
        env["CI"] = ci
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests._ci_skips", "-rA", "-q",
                          "-p", "no:cacheprovider", str(tmp_path / "test_x.py")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return out.stdout + out.stderr


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_missing_tool_fails_the_test(tmp_path, ci):
    out = _run(tmp_path, ci)
    assert "FAILED test_x.py::test_needs_the_aws_cli" in out
    assert "FAILED test_x.py::test_needs_yaml" in out
    assert "CI must run it" in out
    assert "SKIPPED" in out and "local rehearsal" in out      # other skips stay skips
    assert "2 failed, 1 passed, 1 skipped" in out


def test_outside_ci_skips_stay_skips(tmp_path):
    out = _run(tmp_path, None)
    assert "1 passed, 3 skipped" in out and "FAILED" not in out

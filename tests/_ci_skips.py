"""pytest plugin: under ``CI=true`` a test that skips because a tool or library it needs is
missing (the ``aws`` CLI, terraform, check-jsonschema, PyYAML …) FAILS instead — CI must not go
green on tests that never ran. Loaded by the repository's root ``conftest.py``. Skips for other
reasons (a platform difference, a local rehearsal) stay skips."""

from __future__ import annotations

import os
import re

import pytest

#: Skip reasons that mean "a tool or library this test needs is not there".
MISSING_TOOL = re.compile(
    r"(not installed|cannot be installed|not found on PATH|not on PATH|no module named|could not import|"
    r"is not available|binary not found|requires? the .* (cli|binary|tool))", re.I)


def ci_enforced() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.skipped and ci_enforced() and not hasattr(report, "wasxfail"):
        reason = skip_reason(report)
        if MISSING_TOOL.search(reason):
            report.outcome = "failed"
            report.longrepr = (f"CI=true: this test was skipped because a tool it needs is missing "
                               f"({reason.removeprefix('Skipped: ')}); CI must run it — install the dev "
                               "dependencies (pip install -e '.[dev]') and terraform")
    return report

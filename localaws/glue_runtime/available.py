"""Which Glue job runtimes this machine has (imported by ``lakegate local up``: no heavy imports)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

EXTRA = "lakegate[spark]"


def installed_pyspark() -> str | None:
    """The importable PySpark's version (without importing it: that is slow), else None."""
    if importlib.util.find_spec("pyspark") is None:
        return None
    try:
        from importlib.metadata import version

        return version("pyspark")
    except Exception:  # noqa: BLE001 - a pyspark without metadata (source tree)
        return "unknown"


def java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def available_runtimes() -> dict[str, str | None]:
    """Which job runtimes this machine has: value is a short description, None when missing."""
    spark = installed_pyspark()
    return {
        "sql": "DuckDB",
        "spark": f"PySpark {spark}" if spark and java_available() else None,
        "python": f"Python {sys.version_info.major}.{sys.version_info.minor}",
    }


def describe_runtimes() -> str:
    """One line for ``lakegate local up``."""
    r = available_runtimes()
    if r["spark"]:
        spark = f"glueetl scripts on {r['spark']}"
    elif installed_pyspark():
        spark = "glueetl scripts: unavailable (PySpark is installed but no java on PATH/JAVA_HOME)"
    else:
        spark = f"glueetl scripts: unavailable (pip install '{EXTRA}')"
    return f"job runtimes: SQL-contract jobs on {r['sql']}; {spark}; pythonshell scripts on {r['python']}"

"""Which Python modules a Glue job can import without shipping them.

The data (``tf_checks/data/glue_libraries.json``) lists, per Glue version, the distributions AWS
provides (with the AWS documentation page it comes from); a job adds its own with
``--additional-python-modules`` (comma-separated pip requirements or S3 wheels; Glue 5.0 also a
``requirements.txt``) and ``--extra-py-files`` (``.py``/``.zip`` on the Python path).
``--python-modules-installer-option`` only changes how pip installs them (e.g. ``--upgrade``).
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

# Always importable: the standard library and the Glue/Spark runtime.
GLUE_RUNTIME_MODULES = frozenset(sys.stdlib_module_names) | frozenset({"awsglue", "pyspark", "py4j"})
DEFAULT_GLUE_VERSION = "4.0"  # what the provider's examples and Glue's console default to today


@lru_cache(maxsize=1)
def library_table() -> dict[str, Any]:
    return json.loads(resources.files("tf_checks.data").joinpath("glue_libraries.json").read_text())


def import_name(distribution: str) -> str:
    """``scikit-learn`` -> ``sklearn``; other names: lower-case, ``-`` -> ``_``."""
    table = library_table()["import_names"]
    if distribution in table:
        return table[distribution]
    return distribution.replace("-", "_").lower()


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def additional_modules(args: dict[str, Any]) -> list[str]:
    """Import names installed by ``--additional-python-modules`` (``pandas==2.0.1,s3://b/x.whl``)."""
    value = args.get("--additional-python-modules")
    if not isinstance(value, str):
        return []
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if item.endswith(".whl"):
            item = item.rsplit("/", 1)[-1].split("-", 1)[0]   # wheel file name: dist-ver-...
        elif item.startswith("s3://") or item.endswith(".txt"):
            continue   # a requirements file or archive: its names are not known here
        m = _REQ_NAME.match(item)
        if m:
            out.append(import_name(m.group(1)))
    return out


def provided_modules(glue_version: str | None, command: str | None) -> frozenset[str]:
    """Import names a job of this Glue version and command name gets without shipping them."""
    data = library_table()
    if command == "pythonshell":
        dists = data["pythonshell"]["analytics"]
    else:
        versions = data["glueetl"]
        dists = versions.get(glue_version or DEFAULT_GLUE_VERSION) or versions[DEFAULT_GLUE_VERSION]
    return GLUE_RUNTIME_MODULES | frozenset(import_name(d) for d in dists) | frozenset(data["runtime"])


def provided_check(glue_version: str | None, command: str | None,
                   args: dict[str, Any]) -> Callable[[str], bool]:
    mods = provided_modules(glue_version, command) | frozenset(additional_modules(args))
    return lambda name: name in mods


__all__ = ["GLUE_RUNTIME_MODULES", "additional_modules", "import_name", "library_table",
           "provided_check", "provided_modules"]

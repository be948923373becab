"""Modules imported on first use, for the local AWS server's start-up.

A server imports every behaviour module at start (``localaws.server.load_behaviour``: they
register the request handlers), and ``localaws.athena.queries`` / ``localaws.glue.crawler`` need
sqlglot, duckdb and pyarrow (through ``localaws.tabledata`` and ``localaws.glue.schema_infer``)
only when a query runs or a crawler crawls. Importing those eagerly cost ~0.4 CPU-s per server
start (measured: ``import sqlglot, duckdb, pyarrow, pyarrow.{compute,json,parquet}`` after moto,
0.36-0.40 s), paid by every ``lakegate local up`` and every test's local AWS, most of which never
run a query. :func:`lazy` returns a stand-in module object whose first attribute access imports
the real module (``importlib.import_module``: Python's import lock makes concurrent first uses from
request threads safe) and then answers from it; an import error surfaces at that first use, in
the request that needed the module, as any other error of that request does.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class _LazyModule(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attr: str) -> Any:
        # only called for attributes not found on this stand-in: import (once; then a dict lookup
        # in sys.modules) and remember the attribute on the stand-in
        value = getattr(importlib.import_module(self.__dict__["_lazy_name"]), attr)
        self.__dict__[attr] = value
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_lazy_name']!r}>"


def lazy(name: str) -> Any:
    """``name`` imported on first attribute access (see the module doc)."""
    return _LazyModule(name)

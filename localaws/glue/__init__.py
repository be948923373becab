"""Glue behaviour of the local AWS: crawlers that crawl, jobs that run the job SQL, bookmarks,
workflows that walk the trigger graph.

Importing the package registers every handler (:func:`register`), as the server's
``load_behaviour`` needs before it answers anything. The one exception is the subprocess of a Glue
script run (``python -m localaws.glue_runtime.driver``), which serves no requests and needs only
the bookmark rules of :mod:`localaws.glue.bookmarks`: it sets
``localaws.glue_runtime.SCRIPT_RUN`` before its first import from here, so the handler modules
(and moto behind them, ~0.5 CPU-s per run) are not imported there; :func:`register` or an
attribute access (``localaws.glue.jobs``) still imports them on demand."""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: the modules whose import registers the Glue handlers (``@override``), in this order
HANDLER_MODULES = ("bookmarks", "crawler", "definitions", "jobs", "workflows")


def register() -> None:
    """Import every handler module (each registers its handlers when imported; idempotent)."""
    for name in HANDLER_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def __getattr__(name: str) -> Any:  # ``localaws.glue.jobs`` in a process that did not register
    if name in HANDLER_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if not getattr(sys.modules.get("localaws.glue_runtime"), "SCRIPT_RUN", False):
    register()

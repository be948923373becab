"""The ``lakegate`` command line.

Each subcommand lives in its own module that exposes ``register(subparsers)``; the parser it
adds sets ``func`` (``args -> int`` exit code). Add a module to ``COMMAND_MODULES`` to add a
subcommand. Errors a user can cause are :class:`~lakegate.errors.LakegateError` and are printed
without a traceback (exit 2); anything else is an internal error (exit 3, traceback only with
``LAKEGATE_DEBUG=1``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from lakegate import __version__
from lakegate.errors import LakegateError

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "lakegate.commands.plan",
    "tf_checks.cli",
    "lakegate.commands.local",
    "lakegate.commands.deploy",
    "lakegate.commands.backup",
    "lakegate.commands.recover",
    "lakegate.commands.smoke",
    "lakegate.commands.report",
    "lakegate.commands.data",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line hint instead of a usage dump on bad arguments."""

    def error(self, message: str) -> None:  # pragma: no cover - exercised via CLI tests
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {message}\n  fix:   run '{self.prog} --help' for the options\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lakegate",
        description=(
            "Gate Terraform changes to an AWS Glue data lake before apply, run the post-apply "
            "recovery runbook as code, and test it all against live AWS or an embedded local AWS."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lakegate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except LakegateError as err:
        sys.stderr.write(err.render() + "\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # noqa: BLE001 - last resort: never show a raw traceback
        if os.environ.get("LAKEGATE_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"internal error: {type(err).__name__}: {err}\n"
            "  fix:   this is a lakegate bug; rerun with LAKEGATE_DEBUG=1 for the traceback and report it\n"
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

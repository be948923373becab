"""``lakegate data generate``: write deterministic bronze test data (see lakegate.datagen)."""

from __future__ import annotations

import argparse
import sys
import time

from lakegate.errors import LakegateError

# lakegate.datagen imports pyarrow (~0.3 s): every command builds this parser, so datagen is only
# imported when `data generate` runs or its help is shown (_Help fills in the row limits).


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


class _Help(argparse.HelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if text and "{MIN_ROWS}" in text:
            from lakegate import datagen

            text = text.replace("{MIN_ROWS}", str(datagen.MIN_ROWS)).replace("{MAX_ROWS}", str(datagen.MAX_ROWS))
        return text


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` with its ``generate`` subcommand."""
    data = subparsers.add_parser("data", help="test data for the pipeline")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND",
                              parser_class=type(data))
    gen = sub.add_parser(
        "generate", formatter_class=_Help,
        help="write seeded bronze car-telemetry Parquet under DIR/bronze/car_data/",
        description="Write deterministic bronze records (nested, as the ingestion Lambda writes "
                    "them) under DIR/bronze/car_data/ingest_year=/ingest_month=/ingest_day=/. "
                    "The data always contains every alert type and readings exactly at each "
                    "limit; the summary says how many alerts the gold job must produce.")
    gen.add_argument("--out", required=True, metavar="DIR", help="output directory")
    gen.add_argument("--rows", type=_int_arg, default=1000, metavar="N",
                     help="number of records ({MIN_ROWS}..{MAX_ROWS}, default 1000)")
    gen.add_argument("--seed", type=_int_arg, default=0, metavar="S", help="random seed (default 0)")
    gen.add_argument("--start-date", default="2025-10-29", metavar="YYYY-MM-DD",
                     help="first event day (default 2025-10-29)")
    gen.add_argument("--days", type=_int_arg, default=3, metavar="D",
                     help="days the readings spread over (default 3)")
    gen.add_argument("--cars", type=_int_arg, default=None, metavar="C",
                     help="number of cars (default: rows/8, between 8 and 5000)")
    gen.add_argument("--overwrite", action="store_true",
                     help="replace Parquet files already under DIR/bronze/car_data/")
    gen.set_defaults(func=_generate)
    data.set_defaults(func=lambda args: _missing_subcommand(data))


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    raise LakegateError("missing subcommand", fix="run 'lakegate data generate --out DIR'")


def _generate(args: argparse.Namespace) -> int:
    from lakegate import datagen

    started = time.monotonic()
    result = datagen.generate(args.out, args.rows, args.seed, start_date=args.start_date,
                              days=args.days, cars=args.cars, overwrite=args.overwrite)
    alerts = ", ".join(f"{k}={v}" for k, v in result.expected_alerts.items())
    print(f"wrote {result.rows} bronze rows for {result.cars} cars in {len(result.files)} file(s) "
          f"under {args.out}/{datagen.BRONZE_PREFIX}/ ({time.monotonic() - started:.1f}s)")
    print(f"event days: {', '.join(result.days)}")
    print(f"expected silver rows (one per car per event day): {result.silver_rows}")
    print(f"expected alerts (default limits): {alerts}")
    return 0

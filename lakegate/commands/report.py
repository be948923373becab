"""``lakegate report DIR [--previous DIR]``: render the sign-off reports again from a report directory.

The five files (signoff.html, signoff.md, junit.xml, cucumber.json, evidence.json) are rendered from
``DIR/evidence.jsonl`` and ``DIR/meta.json`` alone — the same renderer ``lakegate smoke`` uses. With
``--previous PREV`` (an earlier report directory) the sign-off also says what changed since then.
Exit 0 on GO, 1 on NO-GO (the checklist's decision), 2 on unusable input.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="render the sign-off reports again from a report directory (optionally against an earlier one)",
        description="Render signoff.html, signoff.md, junit.xml, cucumber.json and evidence.json from the evidence in "
                    "DIR (written by `lakegate smoke`). With --previous PREV, the sign-off also lists what changed since "
                    "that earlier report: tables and columns added or removed, partition and row counts up or down, "
                    "items that went from failing to passing and the reverse. Exit 0 on GO, 1 on NO-GO, 2 on unusable "
                    "input.")
    p.add_argument("report_dir", type=Path, metavar="DIR", help="a report directory holding evidence.jsonl")
    p.add_argument("--previous", type=Path, default=None, metavar="PREV",
                   help="an earlier report directory (holding evidence.json) to compare with")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lakegate.errors import LakegateError
    from lakegate.evidence import EVIDENCE_FILE
    from lakegate.reports import glance, write_all

    report_dir: Path = args.report_dir
    if not (report_dir / EVIDENCE_FILE).is_file():
        raise LakegateError(f"{report_dir} holds no {EVIDENCE_FILE}", where=str(report_dir),
                            fix="pass the --report-dir of a `lakegate smoke` run")
    if args.previous is not None:
        if args.previous.resolve() == report_dir.resolve():
            raise LakegateError("--previous is the report directory itself", where="--previous",
                                fix="pass the directory of an earlier run (copy it aside before the next smoke run)")
        glance.set_previous(report_dir, glance.load_previous(args.previous))
    summary = write_all(report_dir)
    print(f"lakegate report: {summary.decision} ({', '.join(f'{k} {v}' for k, v in summary.counts.items())})")
    for name in ("signoff.html", "signoff.md", "junit.xml", "cucumber.json", "evidence.json"):
        print(f"  {report_dir / name}")
    return 0 if summary.decision == "GO" else 1

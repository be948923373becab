"""``lakegate smoke``: run the runbook scenarios against an environment and write the sign-off reports.

CLI contract (scripts and CI depend on it): ``lakegate smoke --env NAME [-m TAGS] [--report-dir DIR]``,
default env ``local``, default dir ``reports/``; writes signoff.html, signoff.md, junit.xml,
cucumber.json and evidence.json; exit 0 only on GO, 1 on NO-GO, 2 on unusable input.
The logic lives in :mod:`lakegate.smoke`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "smoke", help="run the runbook scenarios (all or by checklist id) and write the sign-off reports",
        description="Run the runbook's checklists as scenarios (features/, pytest-bdd) against an environment and "
                    "write signoff.html, signoff.md, junit.xml, cucumber.json and evidence.json. With --env local "
                    "(the default) the scenarios bring up their own local AWS, apply terraform/ into it, seed "
                    "generated data and stop it afterwards. A full local run (no -m, no --keep) on 2+ CPUs runs P1, "
                    "P2 and P4 in a second local AWS restored from the same verified deploy, beside the other scenarios; "
                    "a world's results count only once the deploy it restored is verified, else its scenarios run "
                    "again (LAKEGATE_SMOKE_WORLDS=1: one world, =2: two even on one CPU). Exit 0 only on GO, 1 on NO-GO, "
                    "2 on unusable input.")
    p.add_argument("--env", default="local", help="environment from lakegate.toml (default: local)")
    p.add_argument("-m", dest="tags", metavar="TAGS",
                   help='run only the scenarios matching this expression over checklist ids, e.g. "FV1 or FV8"')
    p.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                   help="where the evidence and the reports go (default: reports/); the previous run's are replaced")
    p.add_argument("--rows", type=int, default=None, metavar="N",
                   help="rows of generated bronze data (local environment only; default 2000)")
    p.add_argument("--keep", action="store_true",
                   help="leave the local AWS running afterwards (uses the regular state file of 'lakegate local', "
                        "reusing a local AWS that is already running there)")
    p.add_argument("--previous", type=Path, default=None, metavar="DIR",
                   help="an earlier report directory: the sign-off lists what changed since (tables, columns, "
                        "partition and row counts, items failing/passing); may be --report-dir itself")
    p.add_argument("--gate-result", type=Path, default=None, metavar="FILE",
                   help="output of `lakegate check --format json` for the applied plan; its summary goes into "
                        "the sign-off header")
    p.add_argument("--plan", type=Path, default=None, metavar="PLAN.json",
                   help="the plan the CI gate approved and `terraform apply` applied (`terraform show -json "
                        "tfplan`); BA2/BA3 review it. Without it they plan the configuration against the "
                        "environment's state. Never copied into the report directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lakegate import smoke

    opts = smoke.SmokeOptions(env=args.env, tags=args.tags, report_dir=args.report_dir, rows=args.rows,
                              keep=args.keep, gate_result=args.gate_result, plan=args.plan,
                              previous=args.previous)
    from lakegate.masking import mask_text

    res = smoke.run_smoke(opts)
    print(mask_text(smoke.render_summary(res)), flush=True)
    return res.exit_code

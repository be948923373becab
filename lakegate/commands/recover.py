"""``lakegate recover`` and ``lakegate diagnose``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from lakegate.errors import LakegateError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recover", help="run the runbook's recovery procedure (crawler, bookmarks, IAM wait, workflow, validation)",
        description="Run the runbook's recovery procedure against an environment: read the last run, run the bronze "
                    "crawler, back up and reset the bookmarks the recovery plan names, wait for IAM propagation by "
                    "polling, start and monitor the workflow, validate tables and Athena. Exit 0 only when the "
                    "workflow COMPLETED with every action succeeded and the validations passed.")
    p.add_argument("--env", default="local", help="environment from lakegate.toml (default: local)")
    p.add_argument("--recovery-plan", type=Path, help="JSON written by `lakegate check --recovery-plan`")
    p.add_argument("--reset-bookmarks", metavar="JOBS",
                   help="comma-separated job names (or 'all') whose bookmarks to reset; overrides the recovery plan")
    p.add_argument("--wait-iam", action="store_true", help="wait for IAM propagation even if the plan does not ask")
    p.add_argument("--dry-run", action="store_true", help="print what would happen; change nothing")
    p.add_argument("--allow-bookmark-reset", action="store_true",
                   help="allow resetting bookmarks in a protected environment (a backup is taken first)")
    p.add_argument("--allow-stop", action="store_true", help="allow stopping a stuck run in a protected environment")
    p.add_argument("--force", action="store_true", help="run the procedure even when the last run is healthy")
    p.add_argument("--restore-bookmarks", type=Path, metavar="BACKUP",
                   help="only put the jobs' bookmarks back to the runs recorded in BACKUP (a bookmarks-*.json "
                        "written before a reset), with ResetJobBookmark and RunId; combine with --reset-bookmarks "
                        "JOBS to restore some jobs only")
    p.add_argument("--timeout", type=float, default=3600, help="workflow timeout in seconds (default 3600)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run_recover)

    d = sub.add_parser(
        "diagnose", help="map the last run's failures to the runbook's problems (cause and fix)",
        description="Read the last workflow run (graph, statistics), failed job runs and crawls, and output objects; "
                    "map what failed to the runbook's problems P1-P5 (and S1) with cause, fix and evidence. "
                    "Exit 0 when no problem is found, 1 otherwise.")
    d.add_argument("--env", default="local", help="environment from lakegate.toml (default: local)")
    d.add_argument("--format", choices=("text", "json"), default="text")
    d.add_argument("--stuck-after", type=float, default=3600, help="seconds after which a RUNNING node counts as stuck")
    d.set_defaults(func=run_diagnose)


def _out(text: str, file=None) -> None:
    """Everything recover/diagnose print is masked here, where it is produced (account ids, keys)."""
    from lakegate.masking import mask_text

    print(mask_text(text), file=file or sys.stdout, flush=True)


def _skip_exit_collection() -> None:
    """At interpreter exit, after everything is printed and flushed, Python runs one last full
    garbage collection over every object still alive (boto3's service models, the run's
    evidence): 0.2-0.8 s of a recovery's wall time on a loaded machine. ``atexit`` runs before it:
    freezing the objects there skips that pass (memory goes back to the OS with the process).
    In a process that goes on (tests calling ``main``), it changes nothing until that exits."""
    import atexit
    import gc

    atexit.register(gc.freeze)


def run_recover(args: argparse.Namespace) -> int:
    from lakegate import context, recovery, runbook

    _skip_exit_collection()
    ctx = context.resolve(args.env)
    if args.restore_bookmarks is not None:
        jobs = None
        if args.reset_bookmarks and args.reset_bookmarks.strip() != "all":
            jobs = [j.strip() for j in args.reset_bookmarks.split(",") if j.strip()]
        if ctx.env.protected and not args.allow_bookmark_reset:
            raise LakegateError(f"environment {ctx.env.name} is protected: restoring bookmarks changes what the "
                                "jobs process next", where="--restore-bookmarks",
                                fix="add --allow-bookmark-reset")
        if args.dry_run:
            _out(f"would restore the bookmarks in {args.restore_bookmarks.name}"
                 + (f" for {', '.join(jobs)}" if jobs else ""))
            return 0
        results = runbook.restore_bookmarks(ctx.clients, args.restore_bookmarks, jobs,
                                            progress=lambda m: _out(f"  … {m}", sys.stderr))
        if args.format == "json":
            _out(json.dumps({"restored": [asdict(r) for r in results]}, indent=2, default=str))
        else:
            for r in results:
                _out(f"  {r.job}: {r.outcome}" + (f" ({r.detail})" if r.detail else ""))
        return 0 if all(r.outcome in ("restored", "reset") for r in results) else 1
    plan = recovery.load_recovery_plan(args.recovery_plan) if args.recovery_plan else None
    jobs = None
    if args.reset_bookmarks:
        jobs = ctx.names.all_jobs if args.reset_bookmarks.strip() == "all" else \
            [j.strip() for j in args.reset_bookmarks.split(",") if j.strip()]
    if args.timeout <= 0:
        raise LakegateError("--timeout must be positive", where="--timeout", fix="e.g. --timeout 1800")
    opts = recovery.Options(dry_run=args.dry_run, allow_bookmark_reset=args.allow_bookmark_reset,
                            allow_stop=args.allow_stop, recovery_plan=plan, reset_jobs=jobs,
                            wait_iam=True if args.wait_iam else None, force=args.force,
                            workflow_timeout=args.timeout)
    progress = (lambda msg: _out(f"  … {msg}", sys.stderr))
    rep = recovery.recover(ctx.clients, ctx.names, ctx.env, opts, progress=progress)
    if args.format == "json":
        _out(json.dumps(rep.to_json(), indent=2, default=str))
    else:
        _out(recovery.render_text(rep))
    return 0 if rep.ok else 1


def run_diagnose(args: argparse.Namespace) -> int:
    from lakegate import context, diagnosis

    ctx = context.resolve(args.env)
    facts = diagnosis.gather(ctx.clients, ctx.names, stuck_after_s=args.stuck_after)
    problems = diagnosis.diagnose(facts)
    if args.format == "json":
        _out(json.dumps({"problems": [asdict(p) for p in problems],
                         "workflow_run": facts.run}, indent=2, default=str))
    else:
        if not problems:
            run = facts.run or {}
            _out(f"no problem found (last run {run.get('run_id') or '(none)'}: {run.get('status') or 'never ran'})")
        for p in problems:
            _out(f"[{p.id}] {p.symptom}\n  cause: {p.cause}\n  fix:   {p.fix}")
    return 1 if problems else 0

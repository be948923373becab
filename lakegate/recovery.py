"""``lakegate recover``: the runbook's recovery procedure (Modo Express included) as code.

Order (runbook PASSO 1-8): read the last run; stop a stuck run (Problem 5); run the bronze crawler;
back up and reset the bookmarks the recovery plan names (or the user selects); wait for IAM
propagation by polling; start and monitor the workflow; validate tables, Athena and logs.

Safety rails:
* environments are declared in ``lakegate.toml``; in a *protected* environment, resetting
  bookmarks needs ``allow_bookmark_reset`` and stopping a run needs ``allow_stop``;
* the current bookmarks are saved to a timestamped file before any reset;
* ``dry_run`` reads state and prints what would happen, changing nothing;
* the outcome is an exit code: 0 only when the workflow COMPLETED with every action succeeded and
  the validations passed (the origin script exits 0 on a failed workflow — never that).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from botocore.exceptions import ClientError

from lakegate import runbook
from lakegate.envconfig import Environment
from lakegate.errors import LakegateError
from lakegate.names import PipelineNames
from lakegate.polling import Poller, PollTimeout

Progress = Callable[[str], None]


@dataclass
class Options:
    dry_run: bool = False
    allow_bookmark_reset: bool = False
    allow_stop: bool = False
    recovery_plan: dict[str, Any] | None = None
    reset_jobs: list[str] | None = None          # explicit selection (overrides the plan)
    wait_iam: bool | None = None                 # None: as the plan says
    force: bool = False                          # run even when the last run is healthy
    crawler_timeout: float = 1800
    workflow_timeout: float = 3600
    iam_timeout: float = 300
    stuck_after_s: float = 3600
    backup_dir: Path = Path(".lakegate/backups")
    poller: Poller | None = None


@dataclass
class StepResult:
    step: str            # e.g. "PASSO 2 bronze crawler"
    status: str          # done | skipped | would-do | failed
    detail: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecoveryReport:
    env: str
    steps: list[StepResult] = field(default_factory=list)
    ok: bool = False

    def add(self, step: str, status: str, detail: str = "", evidence: dict[str, Any] | None = None) -> StepResult:
        res = StepResult(step, status, detail, dict(evidence or {}))
        self.steps.append(res)
        return res

    def to_json(self) -> dict[str, Any]:
        return {"env": self.env, "ok": self.ok, "steps": [asdict(s) for s in self.steps]}


def load_recovery_plan(path: Path) -> dict[str, Any]:
    """Read the JSON the gate writes with ``lakegate check --recovery-plan FILE``."""
    try:
        plan = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise LakegateError(f"recovery plan {path} does not exist", where=str(path),
                            fix="write one with `lakegate check PLAN.json --recovery-plan FILE`") from None
    except (OSError, json.JSONDecodeError) as err:
        raise LakegateError(f"recovery plan is not valid JSON ({err})", where=str(path),
                            fix="regenerate it with `lakegate check --recovery-plan`") from None
    if not isinstance(plan, dict) or plan.get("version") != 1:
        raise LakegateError("unsupported recovery plan (expected an object with \"version\": 1)", where=str(path),
                            fix="regenerate it with this version of `lakegate check --recovery-plan`")
    for key in ("crawlers_to_run", "bookmarks_to_reset", "run_workflow"):
        if key in plan and not isinstance(plan[key], list):
            raise LakegateError(f"{key} must be a list", where=f"{path}: $.{key}",
                                fix="regenerate it with `lakegate check --recovery-plan`")
    return plan


def _concrete(resource: str, table: str = "x") -> str:
    """The simulator wants concrete ARNs: a sample object under a prefix, the table for a table ARN."""
    return resource.replace("*", table if ":table/" in resource else "x")


def _required_actions(names: PipelineNames, role_for: str) -> list[tuple[str, str]]:
    """(action, resource) pairs to simulate for one crawler/job role while waiting for IAM.

    A crawler: what its S3 target and its table need. A job: reading its script, SQL and input
    tables, writing its output — from the job's arguments as Terraform exported them (``job_arguments``
    / ``job_output_paths``), the same requirements the gate checks before apply."""
    from tf_checks.requirements import crawler_requirements, job_requirements

    account = names.account_id or "*"
    target = names.crawler_targets.get(role_for)
    if target:
        table = names.crawler_tables.get(role_for, "x")
        reqs = crawler_requirements(region=names.region, account=account, database=names.database,
                                    s3_targets=[target], table_names=[table])
        return [(r.action, _concrete(r.resource, table)) for r in reqs if r.action.startswith(("glue:", "s3:"))]
    if role_for in names.all_jobs:
        args = names.job_arguments(role_for)
        script = (names.raw.get("job_script_locations") or {}).get(role_for)
        output = names.job_output_paths.get(role_for)
        if not script or not output:
            return []
        reads = [(names.database, v) for k, v in args.items() if k.endswith("_table") and v]
        extra = [args["--sql_path"]] if args.get("--sql_path", "").startswith("s3://") else []
        reqs = job_requirements(region=names.region, account=account, database=names.database,
                                catalog_reads=reads, catalog_writes=[], s3_reads=[], s3_writes=[output],
                                temp_dir=None, script_location=script, extra_s3_reads=extra,
                                enable_catalog=True, log_groups=[], bookmarks=False)
        table = reads[0][1] if reads else "x"
        return [(r.action, _concrete(r.resource, table)) for r in reqs if r.action.startswith(("glue:", "s3:"))]
    return []


def wait_for_iam(clients: Any, names: PipelineNames, roles: list[str], opts: Options,
                 progress: Progress) -> dict[str, Any]:
    """PASSO 4 without the fixed 60 s: poll IAM's policy simulator for each role's required actions
    until every one is allowed on three consecutive polls."""
    poller = opts.poller or Poller(initial=2.0, max_interval=10.0)
    checks = _role_checks(names, roles)
    if not checks:
        return {"checked": [], "note": "no role with known requirements to simulate"}
    streak = {"n": 0}

    def probe() -> dict[str, list[str]]:
        denied = _denied(clients, checks)
        streak["n"] = streak["n"] + 1 if not denied else 0
        return denied

    def report(denied: dict[str, list[str]], elapsed: float) -> None:
        progress(f"IAM: {'all required actions allowed' if not denied else f'still denied: {denied}'} "
                 f"({streak['n']}/3 stable, {elapsed:.0f}s)")

    poller.wait_for("IAM propagation", probe, lambda d: not d and streak["n"] >= 3, opts.iam_timeout, on_poll=report)
    return {"checked": sorted(checks), "stable_polls": streak["n"]}


def crawl_through_iam(clients: Any, names: PipelineNames, crawler: str, *, timeout: float = 1800,
                      iam_timeout: float = 300, poller: Poller | None = None,
                      progress: Progress = print) -> tuple[runbook.CrawlResult, dict[str, Any]]:
    """Run ``crawler``; ride out late IAM propagation.

    IAM applies a policy change to the services that use a role seconds later than its API shows
    it: a crawler started right after its policy changed is refused although the policy allows it.
    So when a crawl fails with AccessDenied, ask the policy simulator (which sees the stored
    policy): if the role's policy does allow what the crawl needs, crawl again with backoff until
    it gets through or ``iam_timeout`` passes; if the policy itself denies it, that is Problem 2 —
    return the failed crawl at once (waiting cannot fix a missing permission)."""
    from lakegate import diagnosis

    res = runbook.run_crawler(clients, crawler, timeout=timeout, poller=poller, progress=progress)
    if res.succeeded or not diagnosis.match("P2", res.error, "CRAWLER"):
        return res, {}
    checks = _role_checks(names, [crawler])
    denied = _denied(clients, checks) if checks else {}
    if not checks or denied:
        return res, {"policy_denies": denied.get(crawler, []) or "no role requirements to simulate"}
    progress(f"crawler {crawler}: AccessDenied although its policy allows the crawl — IAM propagation; "
             "crawling again with backoff")
    attempts = {"n": 1}

    def again() -> runbook.CrawlResult:
        attempts["n"] += 1
        return runbook.run_crawler(clients, crawler, timeout=timeout, poller=poller, progress=progress)

    retry_poller = poller or Poller(initial=5.0, max_interval=30.0)
    try:
        final = retry_poller.wait_for(f"crawler {crawler} to get past IAM propagation", again,
                                      lambda r: r.succeeded or not diagnosis.match("P2", r.error, "CRAWLER"),
                                      iam_timeout)
    except PollTimeout as err:
        final = err.last if isinstance(err.last, runbook.CrawlResult) else res
    return final, {"first_attempt": res.evidence(), "iam_propagation_retries": attempts["n"] - 1}


def _role_checks(names: PipelineNames, roles: list[str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    checks = {}
    for name in roles:
        arn = names.role_arns.get(name)
        pairs = _required_actions(names, name)
        if arn and pairs:
            checks[name] = (arn, pairs)
    return checks


#: actions per SimulatePrincipalPolicy call (one resource each): its answer then holds at most this
#: many EvaluationResults, well under the 100 a page holds without MaxItems, so it never pages
SIMULATE_BATCH = 20


def _denied(clients: Any, checks: dict[str, tuple[str, list[tuple[str, str]]]]) -> dict[str, list[str]]:
    """Each role's required (action, resource) pairs that the policy simulator does not allow.

    The pairs of one resource go in one call (``ActionNames`` of up to :data:`SIMULATE_BATCH`
    actions, ``ResourceArns`` = that resource): AWS evaluates each action against the resource
    and answers one EvaluationResult per action, so every pair is still evaluated on its own
    (one call per pair made the IAM wait ~10 s of API calls for terraform/'s six roles)."""
    denied: dict[str, list[str]] = {}
    for name, (arn, pairs) in checks.items():
        by_resource: dict[str, list[str]] = {}
        for action, resource in pairs:
            if action not in by_resource.setdefault(resource, []):
                by_resource[resource].append(action)
        for resource, actions in by_resource.items():
            for i in range(0, len(actions), SIMULATE_BATCH):
                batch = actions[i:i + SIMULATE_BATCH]
                res = clients.iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=batch,
                                                            ResourceArns=[resource])
                answered = {ev.get("EvalActionName"): ev for ev in res.get("EvaluationResults", [])}
                for action in batch:   # an action the answer leaves out is not allowed (fail closed)
                    if (answered.get(action) or {}).get("EvalDecision") != "allowed":
                        denied.setdefault(name, []).append(f"{action} on {resource}")
    return denied


def recover(clients: Any, names: PipelineNames, env: Environment, opts: Options,
            progress: Progress = print) -> RecoveryReport:
    rep = RecoveryReport(env=env.name)
    plan = opts.recovery_plan or {}
    dry = opts.dry_run
    would = "would-do" if dry else "done"

    # PASSO 1 — last run
    last = runbook.last_workflow_run(clients, names)
    rep.add("PASSO 1 workflow status", "done",
            f"last run {last.run_id or '(none)'}: {last.status or 'never ran'}"
            + (f", {last.statistics.get('SucceededActions', 0)}/{last.statistics.get('TotalActions', 0)} succeeded"
               if last.statistics else ""), evidence=last.evidence())
    plan_asks = bool(plan.get("crawlers_to_run") or plan.get("bookmarks_to_reset") or plan.get("iam_propagation_wait"))
    if last.healthy and not plan_asks and not opts.force and not opts.reset_jobs:
        rep.add("recovery", "skipped", "the last workflow run is healthy and the recovery plan asks for nothing; "
                "use --force to run the procedure anyway")
        rep.ok = True
        return rep

    # Problem 5 — a stuck run blocks everything else
    if last.status in ("RUNNING", "STOPPING") and last.started and time.time() - last.started >= opts.stuck_after_s:
        if env.protected and not opts.allow_stop:
            rep.add("Problem 5 stop stuck run", "failed",
                    f"run {last.run_id} has been RUNNING for {int(time.time() - last.started)} s; environment "
                    f"{env.name} is protected: pass --allow-stop to stop it")
            return rep
        if not dry:
            try:
                clients.glue.stop_workflow_run(Name=names.workflow, RunId=last.run_id)
            except ClientError as err:
                if runbook.error_code(err) != "IllegalWorkflowStateException":
                    raise
            (opts.poller or Poller()).wait_for(
                "the stuck run to stop", lambda: runbook.get_workflow_run(clients, names, last.run_id),
                lambda r: r.get("Status") in ("STOPPED", "COMPLETED", "ERROR"), opts.workflow_timeout)
        rep.add("Problem 5 stop stuck run", would, f"stop-workflow-run {last.run_id}")
    elif last.status in ("RUNNING", "STOPPING"):
        rep.add("PASSO 6 wait for running run", would, f"run {last.run_id} is still running; waiting for it")
        if not dry:
            try:
                runbook.monitor_workflow(clients, names, last.run_id, timeout=opts.workflow_timeout,
                                         poller=opts.poller, progress=progress)
            except PollTimeout as err:
                rep.add("PASSO 6 wait for running run", "failed", str(err))
                return rep

    # PASSO 2 — crawlers (the bronze crawler always; others the plan names)
    crawlers = [names.bronze_crawler] + [c for c in plan.get("crawlers_to_run", []) if c != names.bronze_crawler
                                         and c in names.crawlers.values() and c not in _workflow_crawlers(names)]
    for crawler in crawlers:
        if dry:
            rep.add(f"PASSO 2 crawler {crawler}", "would-do", "start-crawler and poll until READY")
            continue
        try:
            res, retried = crawl_through_iam(clients, names, crawler, timeout=opts.crawler_timeout,
                                             iam_timeout=opts.iam_timeout, poller=opts.poller, progress=progress)
        except PollTimeout as err:
            rep.add(f"PASSO 2 crawler {crawler}", "failed", str(err))
            return rep
        if not res.succeeded:
            rep.add(f"PASSO 2 crawler {crawler}", "failed",
                    f"{res.state}/{res.last_status}: {res.error or 'see CloudWatch /aws-glue/crawlers'}", evidence=res.evidence())
            return rep
        rep.add(f"PASSO 2 crawler {crawler}", "done", f"READY/SUCCEEDED in {res.finished - res.started:.1f}s"
                + (" (after waiting for IAM propagation)" if retried else ""), evidence={**res.evidence(), **retried})

    # PASSO 3 — bookmarks
    jobs = opts.reset_jobs if opts.reset_jobs is not None else [j for j in plan.get("bookmarks_to_reset", [])]
    unknown = [j for j in jobs if j not in names.all_jobs]
    if unknown:
        raise LakegateError(f"unknown job(s) {', '.join(unknown)}", where="--reset-bookmarks / recovery plan",
                            fix=f"known jobs: {', '.join(names.all_jobs)}")
    if jobs:
        if env.protected and not opts.allow_bookmark_reset:
            rep.add("PASSO 3 reset bookmarks", "failed",
                    f"environment {env.name} is protected: resetting {', '.join(jobs)} reprocesses all their data; "
                    "pass --allow-bookmark-reset (a backup is taken first)")
            return rep
        # which `lakegate backup` (Checklist Antes item 1) precedes this reset (lakegate.backup)
        from lakegate.backup import latest_backup

        taken = latest_backup(opts.backup_dir)
        before = (f"last `lakegate backup`: {taken['folder']} (taken {taken['taken_at']}, "
                  f"{'checksums verified' if taken['verified'] else 'CHECKSUMS DO NOT VERIFY'})" if taken else
                  f"no `lakegate backup` under {opts.backup_dir}: run `lakegate backup --env {env.name}` first")
        if dry:
            rep.add("PASSO 3 reset bookmarks", "would-do", f"back up, then reset: {', '.join(jobs)}; {before}",
                    evidence={"lakegate_backup": taken})
        else:
            backup = runbook.backup_bookmarks(clients, jobs, opts.backup_dir)
            results = runbook.reset_bookmarks(clients, jobs, progress=progress)
            rep.add("PASSO 3 reset bookmarks", "done",
                    "; ".join(f"{r.job}: {r.outcome}" for r in results) + f"; {before}",
                    evidence={"backup": str(backup), "lakegate_backup": taken,
                              "results": [asdict(r) for r in results]})
    else:
        rep.add("PASSO 3 reset bookmarks", "skipped", "no job named by the recovery plan or --reset-bookmarks")

    # PASSO 4 — IAM propagation
    wait_iam = opts.wait_iam if opts.wait_iam is not None else bool(plan.get("iam_propagation_wait"))
    if wait_iam:
        if dry:
            rep.add("PASSO 4 IAM propagation", "would-do", "poll the IAM policy simulator until stable")
        else:
            try:
                ev = wait_for_iam(clients, names, list(names.crawlers.values()) + names.all_jobs, opts, progress)
            except PollTimeout as err:
                rep.add("PASSO 4 IAM propagation", "failed", str(err))
                return rep
            rep.add("PASSO 4 IAM propagation", "done", "required actions allowed on 3 consecutive polls", evidence=ev)
    else:
        rep.add("PASSO 4 IAM propagation", "skipped", "no IAM change in the recovery plan")

    # PASSO 5-6 — workflow
    if dry:
        rep.add("PASSO 5-6 workflow", "would-do", f"start-workflow-run {names.workflow} and monitor it")
        rep.ok = True
        return rep
    run_id = runbook.start_workflow(clients, names, poller=opts.poller, progress=progress)
    progress(f"workflow {names.workflow}: run {run_id} started")
    # PASSO 8's Athena client, made now while the workflow runs (loading its service model is
    # ~0.1-0.3 s of CPU that would otherwise come after the last node, on the critical path)
    getattr(clients, "athena", None)
    try:
        status = runbook.monitor_workflow(clients, names, run_id, timeout=opts.workflow_timeout, poller=opts.poller,
                                          progress=progress)
    except PollTimeout as err:
        rep.add("PASSO 5-6 workflow", "failed", f"{err} — see `lakegate diagnose` (Problem 5)", evidence={"run_id": run_id})
        return rep
    if not status.healthy:
        rep.add("PASSO 5-6 workflow", "failed",
                f"{status.status}: {status.statistics.get('SucceededActions', 0)}/{status.statistics.get('TotalActions', 0)}"
                f" succeeded, {status.failed_actions} failed — run `lakegate diagnose`", evidence=status.evidence())
        return rep
    rep.add("PASSO 5-6 workflow", "done", f"COMPLETED {status.statistics.get('SucceededActions')}/"
            f"{status.statistics.get('TotalActions')} succeeded", evidence=status.evidence())

    # PASSO 7 — tables
    tables = runbook.validate_tables(clients, names)
    if tables.missing:
        rep.add("PASSO 7 tables", "failed", f"missing: {', '.join(tables.missing)}", evidence={"present": sorted(tables.present)})
        return rep
    rep.add("PASSO 7 tables", "done", f"{len(tables.expected)} expected tables present", evidence={"present": sorted(tables.present)})

    # PASSO 8 — Athena (the alerts table; a pipeline without one says so instead of failing)
    try:
        alerts_table = names.alerts_table
    except LakegateError as err:
        rep.add("PASSO 8 Athena", "skipped", f"cannot verify on this pipeline: {err.what}")
        rep.ok = True
        return rep
    q = runbook.athena_query(clients, names, f"SELECT alert_type, COUNT(*) AS total FROM {alerts_table} "
                             "GROUP BY alert_type ORDER BY alert_type", poller=opts.poller)
    if q.state != "SUCCEEDED":
        rep.add("PASSO 8 Athena", "failed", f"{q.state}: {q.error}", evidence=q.evidence())
        return rep
    rep.add("PASSO 8 Athena", "done", f"{len(q.rows)} alert type(s): "
            + ", ".join(f"{r[0]}={r[1]}" for r in q.rows), evidence=q.evidence())
    rep.ok = True
    return rep


def _workflow_crawlers(names: PipelineNames) -> set[str]:
    """Crawlers the workflow runs itself (rerunning them by hand is redundant)."""
    return {c for k, c in names.crawlers.items() if k != "bronze"}


def render_text(rep: RecoveryReport) -> str:
    icon = {"done": "✔", "skipped": "·", "would-do": "→", "failed": "✘"}
    lines = [f"lakegate recover — environment {rep.env}"]
    for s in rep.steps:
        lines.append(f"  {icon.get(s.status, '?')} {s.step}: {s.status}" + (f" — {s.detail}" if s.detail else ""))
    lines.append("RESULT: " + ("OK" if rep.ok else "FAILED"))
    return "\n".join(lines)

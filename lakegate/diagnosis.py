"""``lakegate diagnose``: read what the pipeline did and map it to the runbook's problems.

Two halves, so the mapping is testable without AWS:

* :func:`gather` reads facts through boto3 (last workflow run with its graph, recent job runs and
  crawls, output objects, logs) into a :class:`Facts` value;
* :func:`diagnose` is a pure function from :class:`Facts` to :class:`Problem` s, one per runbook
  problem it recognises (ids ``P1``-``P5`` as in "Diagnóstico de Problemas", ``S1`` for a run that
  COMPLETED with failed actions and no more specific cause).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lakegate import runbook
from lakegate.names import PipelineNames

PATTERNS_FILE = Path(__file__).with_name("diagnosis_patterns.json")


@dataclass(frozen=True)
class Pattern:
    """An error text that names a runbook problem (``diagnosis_patterns.json``, with its source)."""
    id: str
    problem: str
    applies_to: str          # job | crawler | any
    engine: str
    regex: re.Pattern[str]
    source: str
    examples: tuple[str, ...]

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text or "")


def load_patterns(path: Path = PATTERNS_FILE) -> tuple[Pattern, ...]:
    doc = json.loads(Path(path).read_text())
    return tuple(Pattern(p["id"], p["problem"], p.get("applies_to", "any"), p["engine"],
                         re.compile(p["regex"], re.I), p["source"], tuple(p.get("examples", [])))
                 for p in doc["patterns"])


PATTERNS = load_patterns()


def match(problem: str, text: str | None, kind: str = "any") -> tuple[Pattern, re.Match[str]] | None:
    """The first pattern of ``problem`` matching ``text`` (for a JOB or CRAWLER node)."""
    for pat in PATTERNS:
        if pat.problem != problem or (pat.applies_to not in ("any", kind.lower())):
            continue
        m = pat.search(text or "")
        if m:
            return pat, m
    return None


@dataclass
class RunFact:
    kind: str                       # JOB | CRAWLER
    name: str
    state: str | None
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    run_id: str | None = None
    wrote_objects: int | None = None   # jobs: objects under the output path written since the run started
    found_data: bool | None = None     # crawlers: any object under the S3 target
    unprocessed_input: bool | None = None  # jobs: input newer than the newest output existed when it ran


@dataclass
class Facts:
    workflow: str
    run: dict[str, Any] | None                 # WorkflowRunStatus as dict (None: never ran)
    runs: list[RunFact] = field(default_factory=list)
    now: float = field(default_factory=time.time)
    stuck_after_s: float = 3600.0
    role_names: dict[str, str] = field(default_factory=dict)
    crawler_targets: dict[str, str] = field(default_factory=dict)
    silver_job: str = ""
    bronze_crawler: str = ""


@dataclass
class Problem:
    id: str
    symptom: str
    cause: str
    fix: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _p1(f: Facts) -> list[Problem]:
    out = []
    for r in f.runs:
        hit = match("P1", r.error, r.kind) if r.kind == "JOB" and r.state in ("FAILED", "ERROR", "TIMEOUT") else None
        if hit:
            pat, m = hit
            column = m.groupdict().get("column") or "?"
            out.append(Problem(
                "P1", f"{r.name} failed: {r.error.strip().splitlines()[0]}",
                "The catalog schema is out of date: the job reads a column the bronze table definition does not "
                "have yet (Problema 1).",
                f"Run the bronze crawler ({f.bronze_crawler}), reset the bookmark of {f.silver_job or r.name}, then "
                f"rerun the workflow: `lakegate recover --env <env>` does all three.",
                {"job": r.name, "run_id": r.run_id, "column": column, "error": r.error,
                 "pattern": pat.id, "engine": pat.engine, "source": pat.source}))
    return out


def _p2(f: Facts) -> list[Problem]:
    out = []
    for r in f.runs:
        text = r.error or ""
        hit = match("P2", text, r.kind)
        if not hit and "AccessDenied" not in text:
            continue
        pat, m = hit if hit else (None, None)
        groups = m.groupdict() if m else {}
        action = groups.get("action") or ("s3:GetObject / s3:ListBucket" if pat and pat.id == "s3-access-denied" else "?")
        resource = (groups.get("resource") or "").rstrip(".,;")
        role = f.role_names.get(r.name, "")
        statement = {"Effect": "Allow", "Action": [action] if action != "?" else [],
                     "Resource": [resource] if resource else []}
        if action.lower() in ("glue:batchgetpartition", "glue:getpartition"):
            statement["Action"] = ["glue:GetPartition", "glue:BatchGetPartition"]
        out.append(Problem(
            "P2", f"{r.name} failed with AccessDeniedException ({action})",
            f"The IAM role {role or '(role of ' + r.name + ')'} does not allow {action}"
            + (f" on {resource}" if resource else "") + " (Problema 2).",
            f"Add to the policy of role {role or '?'} (Terraform: the aws_iam_role_policy attached to the "
            f"aws_iam_role named {role or '?'}) the statement {json.dumps(statement)}; `terraform apply`; "
            f"wait for IAM propagation; rerun {r.name}. `lakegate check` would have caught it before apply.",
            {"node": r.name, "role": role, "action": action, "resource": resource, "error": text,
             "pattern": pat.id if pat else None, "source": pat.source if pat else None}))
    return out


def _p3(f: Facts) -> list[Problem]:
    out = []
    for r in f.runs:
        hit = match("P3", r.error, r.kind) if r.kind == "JOB" else None
        if hit:
            pat, _ = hit
            out.append(Problem(
                "P3", f"{r.name}: job bookmark error: {(r.error or '').strip().splitlines()[0]}",
                "The job bookmark is missing or out of step with the runs (Problema 3).",
                f"Back up and reset the bookmark of {r.name} (`lakegate recover --reset-bookmarks {r.name}`), then "
                "rerun the workflow.", {"job": r.name, "run_id": r.run_id, "error": r.error,
                                        "pattern": pat.id, "source": pat.source}))
            continue
        if r.kind == "JOB" and r.state == "SUCCEEDED" and r.wrote_objects == 0 and r.unprocessed_input:
            out.append(Problem(
                "P3", f"{r.name} succeeded but wrote nothing new",
                "The job bookmark is ahead of the data: the job considers every input object already processed "
                "(Problema 3).",
                f"Reset the bookmark (`aws glue reset-job-bookmark --job-name {r.name}`, or `lakegate recover "
                f"--allow-bookmark-reset` in a protected environment) and rerun the job.",
                {"job": r.name, "run_id": r.run_id, "objects_written": 0}))
    return out


def _p4(f: Facts) -> list[Problem]:
    out = []
    for r in f.runs:
        if r.kind == "CRAWLER" and r.found_data is False:
            target = f.crawler_targets.get(r.name, "?")
            out.append(Problem(
                "P4", f"crawler {r.name} found no data",
                f"There are no files under its S3 target {target} (empty or wrong path) (Problema 4).",
                f"Check `aws s3 ls {target} --recursive` and the crawler's Targets.S3Targets path; make sure the "
                f"ingestion wrote Parquet there, then run the crawler again.",
                {"crawler": r.name, "target": target, "last_status": r.state}))
    return out


def _p5(f: Facts) -> list[Problem]:
    run = f.run or {}
    if run.get("status") != "RUNNING":
        return []
    hanging = [r for r in f.runs if r.state in ("RUNNING", "STARTING", "STOPPING", "WAITING")
               and r.started is not None and f.now - r.started >= f.stuck_after_s]
    started = run.get("started")
    if not hanging and not (started and f.now - started >= f.stuck_after_s):
        return []
    nodes = ", ".join(f"{r.kind.lower()} {r.name} ({r.state} for {int(f.now - (r.started or f.now))} s)"
                      for r in hanging) or "no node reports progress"
    return [Problem(
        "P5", f"workflow run {run.get('run_id')} stuck in RUNNING",
        f"A job or crawler does not finish: {nodes} (Problema 5).",
        f"Stop the run (`aws glue stop-workflow-run --name {f.workflow} --run-id {run.get('run_id')}`, or "
        "`lakegate recover --allow-stop` in a protected environment), look at the hanging node's logs, and start "
        "the workflow again.",
        {"run_id": run.get("run_id"), "hanging": [asdict(r) for r in hanging]})]


def _s1(f: Facts, found: list[Problem]) -> list[Problem]:
    run = f.run or {}
    stats = run.get("statistics") or {}
    failed = sum(int(stats.get(k, 0)) for k in ("FailedActions", "TimeoutActions", "ErroredActions", "StoppedActions"))
    if run.get("status") == "COMPLETED" and failed > 0 and not any(p.id in ("P1", "P2") for p in found):
        failing = [r for r in f.runs if r.state in ("FAILED", "ERROR", "TIMEOUT", "STOPPED", "CANCELLED")]
        first = failing[0] if failing else None
        return [Problem(
            "S1", f"workflow run {run.get('run_id')} COMPLETED with {failed} failed action(s)",
            "An action of the workflow failed: "
            + (f"{first.kind.lower()} {first.name}: {(first.error or first.state or '').splitlines()[0]}" if first
               else "the graph names no failed node"),
            "Read the failed node's error and logs (below), fix the cause, and rerun the workflow; "
            "COMPLETED alone is not success.",
            {"run_id": run.get("run_id"), "statistics": stats,
             "failed_nodes": [asdict(r) for r in failing]})]
    return []


RULES = (_p1, _p2, _p3, _p4, _p5)


def diagnose(facts: Facts) -> list[Problem]:
    found: list[Problem] = []
    for rule in RULES:
        found.extend(rule(facts))
    found.extend(_s1(facts, found))
    return found


# --- gathering facts through boto3 ---------------------------------------------------------------

def _split_s3(url: str) -> tuple[str, str]:
    from lakegate.s3url import parse_s3_url   # the one S3 URL parser
    return parse_s3_url(url, what="S3 location")


def _objects_since(clients: Any, url: str, since: float | None) -> int:
    bucket, prefix = _split_s3(url)
    count = 0
    paginator = clients.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if since is None or obj["LastModified"].timestamp() >= since - 1:
                count += 1
    return count


def _newest(clients: Any, url: str) -> float | None:
    bucket, prefix = _split_s3(url)
    newest = None
    try:
        for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                ts = obj["LastModified"].timestamp()
                newest = ts if newest is None or ts > newest else newest
    except ClientError:
        return None
    return newest


def _job_io(clients: Any, names: PipelineNames, fact: "RunFact") -> None:
    """Fill wrote_objects / unprocessed_input for a SUCCEEDED job run (Problema 3's evidence)."""
    out = names.job_output_paths.get(fact.name)
    if fact.state != "SUCCEEDED" or not out:
        return
    source = names.bronze_data_path if fact.name == names.silver_job else names.job_output_paths.get(names.silver_job)
    fact.wrote_objects = _objects_since(clients, out, fact.started)
    newest_in = _newest(clients, source) if source else None
    newest_out = _newest(clients, out)
    if newest_in is not None and fact.started is not None:
        fact.unprocessed_input = newest_in <= fact.started and (newest_out is None or newest_in > newest_out)


def _has_objects(clients: Any, url: str) -> bool:
    bucket, prefix = _split_s3(url)
    try:
        page = clients.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=5)
    except ClientError:
        return False
    return any(not o["Key"].endswith("/") for o in page.get("Contents", []))


def gather(clients: Any, names: PipelineNames, *, stuck_after_s: float = 3600.0) -> Facts:
    status = runbook.last_workflow_run(clients, names)
    facts = Facts(workflow=names.workflow, run=asdict(status) if status.run_id else None,
                  stuck_after_s=stuck_after_s, role_names=dict(names.role_names),
                  crawler_targets=dict(names.crawler_targets), silver_job=names.silver_job,
                  bronze_crawler=names.bronze_crawler)
    seen: set[tuple[str, str]] = set()
    if status.run_id:
        for node in runbook.workflow_node_runs(clients, names, status.run_id):
            fact = RunFact(node.type, node.name, node.state, node.error, node.started, node.finished, node.run_id)
            if node.type == "JOB":
                _job_io(clients, names, fact)
            facts.runs.append(fact)
            seen.add((node.type, node.name))
    # Crawlers outside the workflow (the bronze crawler) and jobs/crawlers absent from the graph.
    for crawler in names.crawlers.values():
        last = clients.glue.get_crawler(Name=crawler)["Crawler"]
        lc = last.get("LastCrawl") or {}
        # The crawler's live configuration, not the expected one: a wrong path is the problem itself.
        live = [t.get("Path") for t in (last.get("Targets") or {}).get("S3Targets", []) if t.get("Path")]
        if live:
            facts.crawler_targets[crawler] = live[0]
        target = facts.crawler_targets.get(crawler)
        found_data = any(_has_objects(clients, t) for t in live) if live else (
            _has_objects(clients, target) if target else None)
        # a crawl started after the workflow run's own crawl of it (the ingestion crawler run again
        # on its own, inside a workflow that also starts it) is the crawler's latest word
        in_run = next((r for r in facts.runs if r.kind == "CRAWLER" and r.name == crawler), None)
        newer = bool(lc) and in_run is not None and (runbook._ts(lc.get("StartTime")) or 0) > (in_run.started or 0) + 1
        if (("CRAWLER", crawler) not in seen and lc) or found_data is False or newer:
            facts.runs = [r for r in facts.runs if not (r.kind == "CRAWLER" and r.name == crawler)]
            facts.runs.append(RunFact("CRAWLER", crawler, lc.get("Status") or last.get("State"), lc.get("ErrorMessage"),
                                      runbook._ts(lc.get("StartTime")), None, None, found_data=found_data))
    for job in names.all_jobs:
        if ("JOB", job) in seen:
            continue
        jr = clients.glue.get_job_runs(JobName=job, MaxResults=1).get("JobRuns", [])
        if jr:
            r = jr[0]
            fact = RunFact("JOB", job, r.get("JobRunState"), r.get("ErrorMessage"), runbook._ts(r.get("StartedOn")),
                           runbook._ts(r.get("CompletedOn")), r.get("Id"))
            _job_io(clients, names, fact)
            facts.runs.append(fact)
    return facts

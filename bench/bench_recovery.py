"""Recovery benchmark: time from ``lakegate local up`` to a completed workflow, against what a
person following the runbook waits for the same steps.

Steps, each timed (one run = one fresh local AWS in a temporary state folder):

1. ``lakegate local up`` (CLI subprocess) until the endpoint answers.
2. deploy: ``lakegate.deploy.deploy_local`` — ``terraform init/apply`` of ``terraform/`` into it
   (a fresh Terraform work dir, so init is included) + generated bronze data uploaded.
3. runbook PASSO 2: start the bronze crawler, poll until READY with LastCrawl SUCCEEDED.
4. runbook PASSO 3: reset the three job bookmarks (EntityNotFoundException on a fresh deploy is
   the documented answer for a job that never ran, counted as done).
5. runbook PASSO 5-6: start the workflow, poll until COMPLETED; must be 6/6 succeeded.
6. ``lakegate local down``.

Baseline (same run, same steps): the runbook's own fixed waits — PASSO 2 ``Start-Sleep 90``
after start-crawler and PASSO 6's monitor loop of 10 x ``Start-Sleep 30`` (upper bound 300 s;
a person polling every 30 s waits at least ``30 * ceil(workflow seconds / 30)``). Those waits
are what a person pays for steps 3 and 5 regardless of how fast the pipeline is; terraform and
``local up`` have no runbook wait (the person runs them by hand), so two ratios are printed:
runbook waits / measured steps 3-5, and runbook waits / measured total up→COMPLETED.

Usage: ``.venv/bin/python bench/bench_recovery.py [--rows N] [--runs N] [--timing fast|realistic]
[--time-scale F] [--record]``; ``--record`` replaces this script's section in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lakegate import localenv  # noqa: E402
from lakegate.deploy import deploy_local  # noqa: E402

START, END = "<!-- recovery-bench:start -->", "<!-- recovery-bench:end -->"
RUNBOOK_CRAWLER_SLEEP = 90.0       # PASSO 2: Start-Sleep -Seconds 90
RUNBOOK_MONITOR_STEP = 30.0        # PASSO 6: for ($i = 1; $i -le 10; $i++) { Start-Sleep -Seconds 30 ...
RUNBOOK_MONITOR_STEPS = 10
STEPS = ("up", "deploy", "bronze crawler", "bookmark resets", "workflow", "down")


def _poll(fn: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"benchmark step did not finish within {timeout:.0f} s")
        time.sleep(interval)


def one_run(rows: int, timing: str, time_scale: float) -> dict[str, float]:
    """Every step of the recovery path on a fresh local AWS; seconds per step."""
    t: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
        state = Path(tmp) / "state.json"
        env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(state), CHECKPOINT_DISABLE="1")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lakegate", "local", "up", "--timing", timing,
                        "--time-scale", str(time_scale)], check=True, env=env, cwd=ROOT,
                       capture_output=True)
        t["up"] = time.perf_counter() - t0
        try:
            t1 = time.perf_counter()
            dep = deploy_local(ROOT / "terraform", rows=rows, seed=1, state_path=state,
                               work_dir=Path(tmp) / "tf")
            t["deploy"] = time.perf_counter() - t1
            st = localenv.load_state(state)
            glue = localenv.client("glue", st)
            out = dep.outputs

            t2 = time.perf_counter()
            crawler = out["bronze_crawler_name"]
            glue.start_crawler(Name=crawler)
            c = _poll(lambda: (x := glue.get_crawler(Name=crawler)["Crawler"])["State"] == "READY"
                      and x.get("LastCrawl") and x, timeout=600)
            if c["LastCrawl"]["Status"] != "SUCCEEDED":
                raise SystemExit(f"bronze crawl did not succeed: {c['LastCrawl']}")
            t["bronze crawler"] = time.perf_counter() - t2

            t3 = time.perf_counter()
            for job in (out["silver_job_name"], out["gold_current_state_job_name"], out["gold_alerts_job_name"]):
                try:
                    glue.reset_job_bookmark(JobName=job)
                except glue.exceptions.EntityNotFoundException:
                    pass  # never ran: nothing to reset (AWS answers the same)
            t["bookmark resets"] = time.perf_counter() - t3

            t4 = time.perf_counter()
            wf = out["workflow_name"]
            rid = glue.start_workflow_run(Name=wf)["RunId"]
            run = _poll(lambda: (r := glue.get_workflow_run(Name=wf, RunId=rid)["Run"])["Status"]
                        not in ("RUNNING", "STOPPING") and r, timeout=1800)
            t["workflow"] = time.perf_counter() - t4
            s = run["Statistics"]
            if run["Status"] != "COMPLETED" or (s["TotalActions"], s["SucceededActions"]) != (6, 6):
                raise SystemExit(f"workflow did not complete 6/6: {run['Status']} {s}")
            health = localenv.health(st.endpoint) or {}
            if health.get("background_errors"):
                raise SystemExit(f"server background errors: {health['background_errors']}")
        finally:
            t5 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "lakegate", "local", "down"], check=True, env=env,
                           cwd=ROOT, capture_output=True)
            t["down"] = time.perf_counter() - t5
    t["up to COMPLETED"] = sum(t[k] for k in ("up", "deploy", "bronze crawler", "bookmark resets", "workflow"))
    return t


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timing", choices=("fast", "realistic"), default="fast")
    ap.add_argument("--time-scale", type=float, default=1.0)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args(argv)
    uptime0 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    runs = [one_run(args.rows, args.timing, args.time_scale) for _ in range(args.runs)]
    uptime1 = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    steps35 = med["bronze crawler"] + med["bookmark resets"] + med["workflow"]
    upper = RUNBOOK_CRAWLER_SLEEP + RUNBOOK_MONITOR_STEP * RUNBOOK_MONITOR_STEPS
    # a person polling every 30 s notices COMPLETED at the first poll after it happened
    lower = RUNBOOK_CRAWLER_SLEEP + RUNBOOK_MONITOR_STEP * max(1, math.ceil(med["workflow"] / RUNBOOK_MONITOR_STEP))
    cmd = (f".venv/bin/python bench/bench_recovery.py --rows {args.rows} --runs {args.runs} "
           f"--timing {args.timing} --time-scale {args.time_scale:g}" + (" --record" if args.record else ""))
    lines = [
        START,
        "## Recovery: `lakegate local up` → deploy → bronze crawler → workflow COMPLETED 6/6",
        "",
        f"Command: `{cmd}`  ",
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC  ",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"local AWS timing `{args.timing}` x{args.time_scale:g}, {args.rows:,} bronze rows  ",
        f"`uptime` before: `{uptime0}`  ",
        f"`uptime` after: `{uptime1}`",
        "",
        "| step | median (s) | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |",
        "|---|---|" + "---|" * len(runs),
    ]
    for k in (*STEPS, "up to COMPLETED"):
        lines.append(f"| {k} | {med[k]:.2f} | " + " | ".join(f"{r[k]:.2f}" for r in runs) + " |")
    lines += [
        "",
        "Baseline (same steps, the runbook's fixed waits): PASSO 2 `Start-Sleep 90` + PASSO 6 "
        f"10 x `Start-Sleep 30` = **{upper:.0f} s** upper bound (a person polling every 30 s waits at "
        f"least {lower:.0f} s for a workflow that took {med['workflow']:.1f} s).",
        "",
        "| comparison | runbook waits | measured (median) | ratio |",
        "|---|---|---|---|",
        f"| crawler + bookmark resets + workflow (steps the runbook waits for) | {upper:.0f} s | "
        f"{steps35:.2f} s | {upper / steps35:.0f}x |",
        f"| same, against the runbook's least possible wait | {lower:.0f} s | {steps35:.2f} s | "
        f"{lower / steps35:.0f}x |",
        f"| whole path `local up` → COMPLETED (incl. terraform apply, which the runbook does not "
        f"wait for) | {upper:.0f} s | {med['up to COMPLETED']:.2f} s | {upper / med['up to COMPLETED']:.1f}x |",
        "",
        "The machine is shared (2 cores, other sessions run tests and benchmarks): the load averages "
        "above are part of the result. `terraform apply` dominates the whole path (see the note "
        "below this section in RESULTS.md for where its time goes).",
        END,
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        res = ROOT / "bench" / "RESULTS.md"
        cur = res.read_text() if res.exists() else "# Benchmark results\n"
        if START in cur and END in cur:
            cur = cur[:cur.index(START)] + text + cur[cur.index(END) + len(END):]
        else:
            cur = cur.rstrip() + "\n\n" + text + "\n"
        res.write_text(cur)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

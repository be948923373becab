"""Local AWS benchmark: start-up time and warm Athena latency for the runbook queries.

Measures, in one run:

* **start-up**: wall time of ``lakegate local up`` (CLI subprocess: interpreter, moto, our layer,
  health check with token) until it returns — i.e. until the endpoint answers. Baseline: the
  same interpreter doing only ``import moto.server`` (what any moto-based server pays).
* **Athena warm latency** for the runbook's two queries (PASSO 8) over a catalog table with
  ``--rows`` rows in S3: start → poll ``GetQueryExecution`` → ``GetQueryResults``, through boto3
  over HTTP, after one cold run. Target ≤ 50 ms (median). Baseline: the same SQL on DuckDB
  in-process over the same Arrow table (the engine floor; the ratio is the protocol + state cost).

``--record`` replaces this script's section in bench/RESULTS.md (between the markers).
Usage: ``.venv/bin/python bench/bench_local.py [--rows N] [--runs N] [--record]``
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from lakegate import localenv  # noqa: E402

START, END = "<!-- local-bench:start -->", "<!-- local-bench:end -->"
QUERIES = {
    "alerts by type": "SELECT alert_type, COUNT(*) as total FROM performance_alerts_log GROUP BY alert_type",
    "current state": "SELECT carChassis, currentMileage FROM gold_car_current_state LIMIT 5",
}


def _alerts(rows: int) -> pa.Table:
    types = ["OVERHEAT_ENGINE", "OVERHEAT_OIL", "SPEEDING_ALERT"]
    return pa.table({
        "carChassis": [f"CH{i % 997:05d}" for i in range(rows)],
        "alert_type": [types[i % 3] for i in range(rows)],
        "alert_value": [100.0 + (i % 50) for i in range(rows)],
        "event_year": [2025] * rows,
    })


def _state(rows: int) -> pa.Table:
    n = max(1, rows // 10)
    return pa.table({"carChassis": [f"CH{i:05d}" for i in range(n)],
                     "currentMileage": [float(1000 + i) for i in range(n)]})


def _startup(runs: int) -> tuple[list[float], list[float]]:
    ups, bases = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import moto.server"], check=True, cwd=ROOT)
        bases.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, LAKEGATE_LOCAL_STATE=f"{tmp}/state.json")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "lakegate", "local", "up"], check=True, env=env,
                           cwd=ROOT, capture_output=True)
            ups.append(time.perf_counter() - t0)
            subprocess.run([sys.executable, "-m", "lakegate", "local", "down"], check=True, env=env,
                           cwd=ROOT, capture_output=True)
    return ups, bases


def _query(athena, sql: str, db: str, wg: str) -> tuple[float, list]:
    t0 = time.perf_counter()
    qid = athena.start_query_execution(QueryString=sql, WorkGroup=wg,
                                       QueryExecutionContext={"Database": db})["QueryExecutionId"]
    while True:
        st = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if st["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.002)
    if st["State"] != "SUCCEEDED":
        raise SystemExit(f"query failed: {st}")
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    return time.perf_counter() - t0, rows


def _athena(rows: int, runs: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        st = localenv.start(path=state)
        try:
            s3, glue, athena = (localenv.client(s, st) for s in ("s3", "glue", "athena"))
            s3.create_bucket(Bucket="bench-gold")
            s3.create_bucket(Bucket="bench-results")
            glue.create_database(DatabaseInput={"Name": "bench-db"})
            tables = {"performance_alerts_log": _alerts(rows), "gold_car_current_state": _state(rows)}
            for name, table in tables.items():
                buf = io.BytesIO()
                pq.write_table(table, buf)
                s3.put_object(Bucket="bench-gold", Key=f"{name}/part-0.parquet", Body=buf.getvalue())
                glue.create_table(DatabaseName="bench-db", TableInput={
                    "Name": name, "StorageDescriptor": {
                        "Location": f"s3://bench-gold/{name}/",
                        "Columns": [{"Name": f.name.lower(), "Type": {"string": "string",
                                    "double": "double", "int64": "bigint"}[str(f.type)]}
                                    for f in table.schema]}})
            athena.create_work_group(Name="bench", Configuration={
                "ResultConfiguration": {"OutputLocation": "s3://bench-results/q/"}})
            out = {}
            for label, sql in QUERIES.items():
                cold, _ = _query(athena, sql, "bench-db", "bench")
                warm = sorted(_query(athena, sql, "bench-db", "bench")[0] for _ in range(runs))
                con = duckdb.connect()
                for name, table in tables.items():
                    con.register(name, table)
                base = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    con.execute(sql).fetchall()
                    base.append(time.perf_counter() - t0)
                out[label] = {"cold": cold, "median": statistics.median(warm),
                              "p95": warm[max(0, int(len(warm) * 0.95) - 1)],
                              "duckdb": statistics.median(base)}
            return out
        finally:
            localenv.stop(path=state)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--startups", type=int, default=3)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    ups, bases = _startup(args.startups)
    ath = _athena(args.rows, args.runs)
    load1 = os.getloadavg()[0]
    ms = lambda s: f"{s * 1000:.1f}"  # noqa: E731
    lines = [
        START,
        "## Local AWS: `lakegate local up` and warm Athena queries",
        "",
        f"Command: `.venv/bin/python bench/bench_local.py --rows {args.rows} --runs {args.runs} --record`  ",
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC  ",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        "| measure | median | runs | baseline (same run) | ratio |",
        "|---|---|---|---|---|",
        f"| `lakegate local up` until the endpoint answers | {statistics.median(ups):.2f} s | "
        f"{len(ups)} | `python -c 'import moto.server'` {statistics.median(bases):.2f} s | "
        f"{statistics.median(ups) / statistics.median(bases):.1f}x |",
    ]
    for label, r in ath.items():
        lines.append(f"| Athena warm, {label} ({args.rows:,} rows): start → results | {ms(r['median'])} ms "
                     f"(p95 {ms(r['p95'])}, cold {ms(r['cold'])}) | {args.runs} | DuckDB in-process "
                     f"{ms(r['duckdb'])} ms | {r['median'] / r['duckdb']:.0f}x |")
    worst = max(r["median"] for r in ath.values())
    lines += ["", f"Target: warm runbook query ≤ 50 ms median → {ms(worst)} ms: "
              f"{'met' if worst <= 0.05 else 'NOT met'}.",
              "",
              f"1-min load average {load0:.1f} before, {load1:.1f} after (2 cores; other sessions "
              "share the machine, so absolute numbers are noisy).", END]
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

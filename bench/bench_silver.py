"""Silver consolidation on N generated bronze rows: the local AWS runtime vs PySpark, same SQL.

Measured in one run, on the same generated data (lakegate.datagen, seed 1):

1. ``duckdb``    — the job's Spark SQL transpiled by sqlglot and run on DuckDB, in-process, over
                   the local Parquet files read with pyarrow (lakegate.sqlrun's path; the local
                   AWS scans Parquet with DuckDB directly when the catalog allows, see
                   localaws.tabledata.register_parquet_view) — its result is the reference the
                   local AWS output is compared with, row for row;
2. ``local-aws`` — a real job run in the local AWS through boto3 only: data in S3, the bronze
                   crawler, StartJobRun, polled until SUCCEEDED (wall time from StartJobRun to
                   SUCCEEDED, and the run's ExecutionTime) — everything a user's run pays;
3. ``pyspark``   — the *original* Spark SQL on a local SparkSession over the same files (baseline),
                   when a Python with pyspark is available (``--spark-python``; Java is needed).
                   Without one the row says "unavailable": no number is invented. Timed is
                   ``count()`` (Spark may prune columns for it); the winners (car, day, mileage,
                   source file) must equal DuckDB's (sha256 digest).

The machine is shared: the load average (1/5/15 min) just before the local AWS run and at the end
is printed and recorded with the figures.

Target (issue 3): the silver job on 1M bronze rows in <= 5 s in the local AWS.

    .venv/bin/python bench/bench_silver.py --rows 1000000 [--spark-python /path/to/python] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SQL = REPO / "terraform" / "glue_jobs" / "silver_consolidation.sql"
ARGS = {"database_name": "bench_db", "bronze_table": "bronze_car_data", "silver_path": "s3://silver/car_telemetry/"}

SPARK_SCRIPT = r"""
import sys, time, json
from pyspark.sql import SparkSession
bronze, sql_file = sys.argv[1], sys.argv[2]
t0 = time.time()
spark = (SparkSession.builder.master("local[2]").appName("bench-silver")
         .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false").getOrCreate())
t_start = time.time() - t0
spark.read.option("basePath", bronze).parquet(bronze).createOrReplaceTempView("bronze_batch")
body = open(sql_file).read()
body = "\n".join(l for l in body.splitlines() if not l.startswith("-- lakegate:"))
body = body.replace("UNION ALL SELECT * FROM silver_existing", "")
t1 = time.time()
df = spark.sql(body)
rows = df.count()
query_s = time.time() - t1
keys = sorted("|".join("" if v is None else str(v) for v in r)
              for r in df.select("carChassis", "event_year", "event_month", "event_day",
                                 "currentMileage", "source_file").collect())
import hashlib
digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
print(json.dumps({"start_s": t_start, "query_s": query_s, "rows": rows, "digest": digest}))
spark.stop()
"""


def bench_duckdb(bronze_dir: Path) -> dict:
    import duckdb

    from lakegate import sqlrun

    job = sqlrun.resolve(sqlrun.load_job_sql(SQL), ARGS)
    t0 = time.perf_counter()
    con = duckdb.connect()
    table = sqlrun.read_parquet_dir(bronze_dir / "bronze" / "car_data")
    sqlrun.register_arrow(con, "bronze_batch", table)
    read_s = time.perf_counter() - t0
    out = sqlrun.run_job_sql(con, job)
    total = time.perf_counter() - t0
    return {"read_s": read_s, "total_s": total, "rows": out.num_rows, "table": out, "digest": winners_digest(out)}


KEY = ["carChassis", "event_year", "event_month", "event_day"]


def winners_digest(table) -> str:
    """sha256 of the sorted winners (car, day, mileage, source file): the same on every engine."""
    import hashlib

    cols = KEY + ["currentMileage", "source_file"]
    keys = sorted("|".join("" if v is None else str(v) for v in (r[c] for c in cols)) for r in table.to_pylist())
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def same_rows(a, b) -> bool:
    """Full-row equality of two silver results regardless of row order (timestamps compared as instants)."""
    def norm(t):
        rows = t.select(a.column_names).to_pylist()
        for r in rows:
            for k, v in r.items():
                if hasattr(v, "tzinfo") and v.tzinfo is not None:
                    r[k] = v.replace(tzinfo=None) - v.utcoffset()
        return sorted(rows, key=lambda r: tuple(str(r[k]) for k in KEY))
    return sorted(a.column_names) == sorted(b.column_names) and norm(a) == norm(b)


def bench_local_aws(bronze_dir: Path) -> dict:
    """Through boto3 against a local AWS this benchmark starts (and stops) itself."""
    from lakegate import localenv

    state_file = Path(tempfile.mkdtemp(prefix="bench-silver-")) / "state.json"
    os.environ["LAKEGATE_LOCAL_STATE"] = str(state_file)
    state = localenv.start(path=state_file)
    try:
        s3 = localenv.client("s3", state)
        glue = localenv.client("glue", state)
        iam = localenv.client("iam", state)
        for b in ("bronze", "silver", "scripts"):
            s3.create_bucket(Bucket=b)
        root = bronze_dir / "bronze" / "car_data"
        for path in root.rglob("*.parquet"):
            s3.upload_file(str(path), "bronze", f"bronze/car_data/{path.relative_to(root).as_posix()}")
        s3.upload_file(str(SQL), "scripts", "jobs/silver_consolidation.sql")
        s3.put_object(Bucket="scripts", Key="jobs/silver_consolidation.py", Body=b"# see .sql")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
                                                         "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="bench-role", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        glue.create_database(DatabaseInput={"Name": "bench_db"})
        glue.create_crawler(Name="bench-bronze", Role=role, DatabaseName="bench_db", TablePrefix="bronze_",
                            Targets={"S3Targets": [{"Path": "s3://bronze/bronze/car_data/"}]})
        t0 = time.perf_counter()
        glue.start_crawler(Name="bench-bronze")
        while glue.get_crawler(Name="bench-bronze")["Crawler"]["State"] != "READY" or \
                not glue.get_crawler(Name="bench-bronze")["Crawler"].get("LastCrawl"):
            time.sleep(0.05)
        crawl_s = time.perf_counter() - t0
        glue.create_job(Name="bench-silver", Role=role, GlueVersion="4.0",
                        Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/jobs/silver_consolidation.py"},
                        DefaultArguments={"--database_name": "bench_db", "--bronze_table": "bronze_car_data",
                                          "--silver_path": "s3://silver/car_telemetry/",
                                          "--sql_path": "s3://scripts/jobs/silver_consolidation.sql",
                                          "--job-bookmark-option": "job-bookmark-enable"})
        t0 = time.perf_counter()
        run_id = glue.start_job_run(JobName="bench-silver")["JobRunId"]
        while True:
            run = glue.get_job_run(JobName="bench-silver", RunId=run_id)["JobRun"]
            if run["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        if run["JobRunState"] != "SUCCEEDED":
            raise SystemExit(f"job run {run['JobRunState']}: {run.get('ErrorMessage')}")
        objects = sum(len(p.get("Contents", [])) for p in s3.get_paginator("list_objects_v2").paginate(Bucket="silver"))
        logs = localenv.client("logs", state)
        events = logs.get_log_events(logGroupName=run.get("LogGroupName") or "/aws-glue/jobs/bench-silver",
                                     logStreamName=f"{run_id}-driver")["events"]
        phases = next((e["message"].split("timing ", 1)[1] for e in events if "INFO: timing " in e["message"]), "n/a")
        inputs = [e["message"].split("INFO: ", 1)[1] for e in events if "INFO: input " in e["message"]]
        phases = "; ".join([phases] + inputs)
        from lakegate import sqlrun

        out_dir = Path(tempfile.mkdtemp(prefix="bench-silver-out-"))
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="silver"):
            for obj in page.get("Contents", []):
                target = out_dir / obj["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file("silver", obj["Key"], str(target))
        table = sqlrun.read_parquet_dir(out_dir / "car_telemetry")
        shutil.rmtree(out_dir, ignore_errors=True)
        return {"crawl_s": crawl_s, "job_wall_s": wall, "execution_time_s": run.get("ExecutionTime"),
                "silver_objects": objects, "phases": phases, "table": table, "rows": table.num_rows}
    finally:
        localenv.stop(path=state_file)
        shutil.rmtree(state_file.parent, ignore_errors=True)


def bench_pyspark(bronze_dir: Path, python: str | None) -> dict | None:
    if not python:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(SPARK_SCRIPT)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([python, fh.name, str(bronze_dir / "bronze" / "car_data"), str(SQL)],
                              capture_output=True, text=True, timeout=1800)
    finally:
        os.unlink(fh.name)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["process_s"] = wall
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--spark-python", default=os.environ.get("LAKEGATE_SPARK_PYTHON"),
                    help="a Python interpreter with pyspark installed (baseline); default $LAKEGATE_SPARK_PYTHON")
    ap.add_argument("--skip-local", action="store_true", help="skip the run through the local AWS")
    ap.add_argument("--record", action="store_true", help="append the result table to bench/RESULTS.md")
    args = ap.parse_args()

    from lakegate import datagen

    work = Path(tempfile.mkdtemp(prefix="bench-silver-data-"))
    try:
        t0 = time.perf_counter()
        gen = datagen.generate(work, args.rows, seed=1)
        gen_s = time.perf_counter() - t0
        print(f"generated {gen.rows} bronze rows in {len(gen.files)} files ({gen_s:.1f}s); expected silver rows {gen.silver_rows}")

        duck = bench_duckdb(work)
        print(f"duckdb    : {duck['total_s']:.2f}s (read {duck['read_s']:.2f}s) -> {duck['rows']} rows")
        load_before = os.getloadavg()
        local = None if args.skip_local else bench_local_aws(work)
        if local:
            print(f"local-aws : job {local['job_wall_s']:.2f}s wall (ExecutionTime {local['execution_time_s']}s), "
                  f"crawl {local['crawl_s']:.2f}s, {local['silver_objects']} silver objects")
            print(f"            run phases: {local['phases']}")
        spark = bench_pyspark(work, args.spark_python)
        if spark is None:
            print("pyspark   : unavailable (pass --spark-python with a Python that has pyspark)")
        elif "error" in spark:
            print(f"pyspark   : failed: {spark['error']}")
        else:
            print(f"pyspark   : query {spark['query_s']:.2f}s + session start {spark['start_s']:.2f}s "
                  f"(process {spark['process_s']:.2f}s) -> {spark['rows']} rows")
        assert duck["rows"] == gen.silver_rows, (duck["rows"], gen.silver_rows)
        if local:
            assert local["rows"] == duck["rows"], ("row counts differ", local["rows"], duck["rows"])
            assert same_rows(duck["table"], local["table"]), "the local AWS run wrote other rows than the DuckDB engine"
            print(f"check     : local AWS output == DuckDB engine output ({local['rows']} rows, all columns)")
        if spark and "rows" in spark:
            assert spark["rows"] == duck["rows"], ("row counts differ", spark["rows"], duck["rows"])
            assert spark["digest"] == duck["digest"], "PySpark picked other winners (car, day, mileage, source file)"
            print(f"check     : PySpark winners == DuckDB winners ({spark['rows']} rows, digest {spark['digest'][:12]})")

        lines = [f"| {args.rows:,} | {duck['total_s']:.2f} | "
                 + (f"{local['job_wall_s']:.2f} | " if local else "n/a | ")
                 + (f"{spark['query_s']:.2f} / {spark['process_s']:.2f} | " if spark and "rows" in spark else "unavailable | ")
                 + (f"{spark['process_s'] / local['job_wall_s']:.1f}x |" if spark and "rows" in spark and local else "n/a |")]
        target = f"target <= 5 s in the local AWS: {'met' if local and local['job_wall_s'] <= 5 else 'MISSED' if local else 'not measured'}"
        print(target)
        print(f"load      : before the local AWS run {'/'.join(f'{x:.2f}' for x in load_before)}, "
              f"now {'/'.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
        if args.record:
            load_end = os.getloadavg()
            loads = (f"load average before the local AWS run {'/'.join(f'{x:.2f}' for x in load_before)}, "
                     f"at the end {'/'.join(f'{x:.2f}' for x in load_end)} (1/5/15 min) on 2 cores")
            with open(REPO / "bench" / "RESULTS.md", "a") as fh:
                fh.write("\n## Silver job: local AWS runtime vs PySpark (same SQL, same data)\n\n"
                         f"Command: `.venv/bin/python bench/bench_silver.py --rows {args.rows}"
                         + (" --spark-python <python with pyspark>" if args.spark_python else "") + " --record`  \n"
                         f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {loads}  \n"
                         + (f"Local AWS run phases: {local['phases']}\n\n" if local else "\n")
                         + "| bronze rows | DuckDB engine s | local AWS job run s (StartJobRun→SUCCEEDED) | PySpark query s / process s | PySpark process ÷ local AWS |\n"
                         "|---|---|---|---|---|\n" + "\n".join(lines) + f"\n\n{target}\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)  # ~40 MB per million rows
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A 100k-row DynamicFrame Glue job in the local AWS vs the bare script on local PySpark.

Measured in one run, on the same generated data (seeded), alternating the two sides:

1. ``local-aws`` — a glueetl job run through boto3 only: the Parquet table in S3 and the catalog
   (4 registered partitions), StartJobRun, polled every 0.1 s until SUCCEEDED. The run pays the
   subprocess, the JVM, the awsglue layer's S3 downloads/uploads and catalog calls and the
   runtime's fixed start delays (timing profile ``fast``).
2. ``bare`` — the same transformation (read Parquet, ApplyMapping's casts and renames, drop a
   field, write Parquet partitioned by day) as a plain PySpark script over the same files on the
   local disk, run as ``python script.py`` (its own JVM, as the job has).

Both use the same Spark settings (``local[*]``, UI off, 4 shuffle partitions). Outputs are
compared (row count and checksums) so neither side can skip work. The machine is shared: the
load average before and after is printed with the figures. Target (issue 12): local AWS adds at
most 20 % to the bare script's time.

    .venv/bin/python bench/bench_spark_job.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

REGION = "us-east-1"
DAYS = ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-04"]

GLUE_SCRIPT = '''
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropFields
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "table", "output_path"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
src = glueContext.create_dynamic_frame.from_catalog(database=args["database"], table_name=args["table"],
                                                    transformation_ctx="src")
mapped = ApplyMapping.apply(frame=src, mappings=[
    ("vehicle_id", "string", "vehicle_id", "string"),
    ("speed_kmh", "double", "speed_kmh", "double"),
    ("engine_temp", "double", "engine_temp_c", "double"),
    ("odometer", "long", "odometer_km", "long"),
    ("note", "string", "note", "string"),
    ("dt", "string", "dt", "string"),
])
slim = DropFields.apply(frame=mapped, paths=["note"])
glueContext.write_dynamic_frame.from_options(frame=slim, connection_type="s3",
    connection_options={"path": args["output_path"], "partitionKeys": ["dt"]}, format="glueparquet")
job.commit()
'''

BARE_SCRIPT = '''
import sys
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

src, out = sys.argv[1], sys.argv[2]
spark = (SparkSession.builder.master("local[*]").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "4").config("spark.sql.session.timeZone", "UTC").getOrCreate())
df = spark.read.schema("vehicle_id string, speed_kmh double, engine_temp double, odometer long, note string, dt string") \\
    .option("basePath", src).parquet(src)
mapped = df.select(F.col("vehicle_id").cast("string").alias("vehicle_id"), F.col("speed_kmh").cast("double").alias("speed_kmh"),
                   F.col("engine_temp").cast("double").alias("engine_temp_c"), F.col("odometer").cast("long").alias("odometer_km"),
                   F.col("dt").cast("string").alias("dt"))
mapped.write.mode("append").partitionBy("dt").parquet(out)
spark.stop()
'''


def generate(rows: int, local: Path) -> None:
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(12)
    per = rows // len(DAYS)
    for i, day in enumerate(DAYS):
        n = per if i < len(DAYS) - 1 else rows - per * (len(DAYS) - 1)
        t = pa.table({
            "vehicle_id": pa.array([f"v{rng.randrange(5000):05d}" for _ in range(n)]),
            "speed_kmh": pa.array([rng.uniform(0, 160) for _ in range(n)]),
            "engine_temp": pa.array([rng.gauss(90, 8) for _ in range(n)]),
            "odometer": pa.array([rng.randrange(400000) for _ in range(n)], pa.int64()),
            "note": pa.array(["ok"] * n),
        })
        d = local / f"dt={day}"
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, d / "part-00000.snappy.parquet")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    state = tmp / "state.json"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    proc = subprocess.Popen([sys.executable, "-m", "localaws", "serve", "--port", "0", "--state-file", str(state),
                             "--log-level", "WARNING", "--exit-with-pid", str(os.getpid())], env=env,
                            stdout=open(tmp / "server.log", "wb"), stderr=subprocess.STDOUT)
    end = time.time() + 60
    while not (state.exists() and state.stat().st_size > 0):
        if time.time() > end or proc.poll() is not None:
            raise SystemExit("bench_spark_job: the local AWS did not start (see server.log)")
        time.sleep(0.1)
    return proc, json.loads(state.read_text())["endpoint"]


def output_digest(spark_python: str, path: Path) -> str:
    code = ("import sys,pyarrow.dataset as ds,pyarrow.compute as pc\n"
            "t=ds.dataset(sys.argv[1],format='parquet',partitioning='hive').to_table()\n"
            "print(t.num_rows, round(pc.sum(t['speed_kmh']).as_py(),3), pc.sum(t['odometer_km']).as_py(),"
            " sorted(t.column_names))")
    return subprocess.run([spark_python, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    import boto3

    tmp = Path(tempfile.mkdtemp(prefix="bench-spark-job-"))
    proc = None
    try:
        local = tmp / "vehicles"
        generate(a.rows, local)
        proc, endpoint = start_server(tmp)
        kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
        s3, glue = boto3.client("s3", **kw), boto3.client("glue", **kw)
        for b in ("bench-raw", "bench-out", "bench-scripts"):
            s3.create_bucket(Bucket=b)
        for f in sorted(local.rglob("*.parquet")):
            s3.upload_file(str(f), "bench-raw", "vehicles/" + f.relative_to(local).as_posix())
        s3.put_object(Bucket="bench-scripts", Key="vehicles_job.py", Body=GLUE_SCRIPT.encode())
        glue.create_database(DatabaseInput={"Name": "bench"})
        cols = [("vehicle_id", "string"), ("speed_kmh", "double"), ("engine_temp", "double"),
                ("odometer", "bigint"), ("note", "string")]
        glue.create_table(DatabaseName="bench", TableInput={
            "Name": "vehicles", "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {"Location": "s3://bench-raw/vehicles/",
                                  "Columns": [{"Name": n, "Type": t} for n, t in cols],
                                  "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
        glue.batch_create_partition(DatabaseName="bench", TableName="vehicles", PartitionInputList=[
            {"Values": [d], "StorageDescriptor": {"Location": f"s3://bench-raw/vehicles/dt={d}/"}} for d in DAYS])
        glue.create_job(Name="vehicles-curate", Role="arn:aws:iam::123456789012:role/glue",
                        GlueVersion="5.0", WorkerType="G.1X", NumberOfWorkers=2,
                        Command={"Name": "glueetl", "ScriptLocation": "s3://bench-scripts/vehicles_job.py"},
                        DefaultArguments={"--database": "bench", "--table": "vehicles"})
        bare = tmp / "bare.py"
        bare.write_text(BARE_SCRIPT)
        load_before = loadavg()
        aws_times, bare_times = [], []
        digests = set()
        for i in range(a.repeat):
            out = f"s3://bench-out/run{i}/"
            t0 = time.monotonic()
            rid = glue.start_job_run(JobName="vehicles-curate", Arguments={"--output_path": out})["JobRunId"]
            while True:
                run = glue.get_job_run(JobName="vehicles-curate", RunId=rid)["JobRun"]
                if run["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT"):
                    break
                time.sleep(0.1)
            aws_times.append(time.monotonic() - t0)
            if run["JobRunState"] != "SUCCEEDED":
                raise SystemExit(f"bench_spark_job: job run {run['JobRunState']}: {run.get('ErrorMessage')}")
            got = tmp / f"got{i}"
            for o in s3.list_objects_v2(Bucket="bench-out", Prefix=f"run{i}/").get("Contents", []):
                dest = got / o["Key"][len(f"run{i}/"):]
                dest.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file("bench-out", o["Key"], str(dest))
            digests.add(output_digest(sys.executable, got))

            want = tmp / f"want{i}"
            t0 = time.monotonic()
            subprocess.run([sys.executable, str(bare), str(local), str(want)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
            bare_times.append(time.monotonic() - t0)
            digests.add(output_digest(sys.executable, want))
            print(f"round {i + 1}: local-aws {aws_times[-1]:.2f}s, bare {bare_times[-1]:.2f}s", flush=True)
        if len(digests) != 1:
            raise SystemExit(f"bench_spark_job: outputs differ: {sorted(digests)}")
        from localaws.glue_runtime.available import installed_pyspark

        ma, mb = statistics.median(aws_times), statistics.median(bare_times)
        print(f"rows={a.rows} repeat={a.repeat} pyspark={installed_pyspark()} output={digests.pop()}")
        print(f"local-aws start->SUCCEEDED median {ma:.2f}s (runs: {', '.join(f'{x:.2f}' for x in aws_times)})")
        print(f"bare PySpark script      median {mb:.2f}s (runs: {', '.join(f'{x:.2f}' for x in bare_times)})")
        print(f"overhead {100 * (ma - mb) / mb:+.1f}% (target <= +20%)")
        print(f"load average before {load_before}, after {loadavg()} (cpus: {os.cpu_count()})")
        return 0
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

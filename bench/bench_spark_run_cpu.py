"""CPU seconds of one Glue Spark job run's driver (Python + launcher JVM + driver JVM + Python
workers), per JVM setting, alternating: the JVM's defaults without class-data sharing (what runs
did before session 4), the default options without CDS, the default options with CDS.

    python bench/bench_spark_run_cpu.py [--repeat 2] [--cds-dir DIR]

A local AWS (subprocess) holds a CSV catalog table of two partitions; each run is
``python -m localaws.glue_runtime.driver SPEC`` (what the server starts) of
tests/spark_runtime/scripts/catalog_to_parquet.py (from_catalog -> ApplyMapping -> Filter ->
partitioned Parquet + catalog update), measured with bench/cpu_time.py (subreaper: the JVM is
counted even if it outlived the driver). The CDS archive is made by a first, unmeasured run when
the folder has none (its one-off cost is printed separately)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = {
    "JVM defaults, no CDS": {"LAKEGATE_SPARK_JAVA_OPTIONS": "", "LAKEGATE_SPARK_CDS": "0"},
    "default options, no CDS": {"LAKEGATE_SPARK_CDS": "0"},
    "default options + CDS": {},
}


def _lake(ep: str) -> None:
    import boto3

    from tests.spark_runtime.conftest import CREDS, REGION, make_bucket, put_script

    s3 = boto3.client("s3", endpoint_url=ep, region_name=REGION, **CREDS)
    glue = boto3.client("glue", endpoint_url=ep, region_name=REGION, **CREDS)
    for b in ("sensor-raw", "sensor-curated", "tmp-bucket"):
        make_bucket(s3, b)
    days = {"2024-06-01": "sensor_id,reading,unit\ns-01,21.5,C\ns-02,-999,C\ns-03,19.25,C\n",
            "2024-06-02": "sensor_id,reading,unit\ns-01,22.0,C\ns-02,,C\n"}
    for dt, body in days.items():
        s3.put_object(Bucket="sensor-raw", Key=f"readings/dt={dt}/part-0.csv", Body=body.encode())
    for db in ("sensors_raw", "sensors_curated"):
        glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(DatabaseName="sensors_raw", TableInput={
        "Name": "readings", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Location": "s3://sensor-raw/readings/",
            "Columns": [{"Name": c, "Type": "string"} for c in ("sensor_id", "reading", "unit")],
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    glue.batch_create_partition(DatabaseName="sensors_raw", TableName="readings", PartitionInputList=[
        {"Values": [dt], "StorageDescriptor": {"Location": f"s3://sensor-raw/readings/dt={dt}/"}} for dt in days])
    put_script(s3, "tmp-bucket", "catalog_to_parquet.py")


def _run(ep: str, env_extra: dict[str, str], label: str) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="bench-spark-run-", dir=os.environ["BENCH_SCRATCH"]))
    spec = {"kind": "spark", "job_name": "bench", "run_id": "jr_" + uuid.uuid4().hex,
            "script_location": "s3://tmp-bucket/scripts/catalog_to_parquet.py",
            "arguments": {"--source_database": "sensors_raw", "--source_table": "readings",
                          "--target_database": "sensors_curated", "--target_table": "readings",
                          "--target_path": "s3://sensor-curated/readings/"},
            "glue_version": "5.0", "bookmark_option": "job-bookmark-disable", "bookmark_state": {},
            "region": "eu-west-1", "endpoint": ep, "scratch": str(scratch),
            "result": str(scratch / "result.json"), "module_cache": str(scratch / "modules")}
    (scratch / "spec.json").write_text(json.dumps(spec))
    env = dict(os.environ, AWS_ENDPOINT_URL=ep, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-west-1", PYTHONUNBUFFERED="1", **env_extra)
    out = scratch / "cpu.jsonl"
    with open(scratch / "out.log", "wb") as o, open(scratch / "err.log", "wb") as e:
        subprocess.run([sys.executable, str(ROOT / "bench" / "cpu_time.py"), "--label", label, "--json", str(out),
                        "--", sys.executable, "-m", "localaws.glue_runtime.driver", str(scratch / "spec.json")],
                       stdout=o, stderr=e, cwd=scratch, env=env, check=True)
    result = json.loads((scratch / "result.json").read_text())
    if result["error"]:
        raise SystemExit(f"{label}: the run failed: {result['error']}")
    return {**json.loads(out.read_text()), "log": result["log"][:1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cds-dir", help="LAKEGATE_SPARK_CDS_DIR for the runs (default: a new temporary folder)")
    args = ap.parse_args()
    cds_dir = args.cds_dir or tempfile.mkdtemp(prefix="bench-spark-cds-")  # removed at the end
    os.environ["LAKEGATE_SPARK_CDS_DIR"] = cds_dir
    tmp = Path(tempfile.mkdtemp(prefix="bench-spark-srv-"))
    os.environ["BENCH_SCRATCH"] = str(tmp)
    state = tmp / "state.json"
    server = subprocess.Popen([sys.executable, "-m", "localaws", "serve", "--port", "0", "--state-file", str(state),
                               "--log-level", "WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              env=dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test"))
    try:
        while not (state.exists() and state.stat().st_size > 0):
            if server.poll() is not None:
                raise SystemExit("local AWS did not start")
            time.sleep(0.1)
        ep = json.loads(state.read_text())["endpoint"]
        _lake(ep)
        print(f"uptime: {os.getloadavg()}", flush=True)
        first = _run(ep, {}, "first run, default options (writes the CDS archive when the folder has none)")
        print(f"{first['label']}: {first['cpu_s']} CPU-s, wall {first['wall_s']} s -- {first['log']}", flush=True)
        rows: dict[str, list[float]] = {k: [] for k in VARIANTS}
        for i in range(args.repeat):
            for label, extra in VARIANTS.items():
                rec = _run(ep, extra, label)
                rows[label].append(rec["cpu_s"])
                print(f"round {i + 1}: {label}: {rec['cpu_s']} CPU-s, wall {rec['wall_s']} s, "
                      f"load {rec['loadavg'][0]:.2f}", flush=True)
        print("| JVM setting | CPU-s per run (each round) | median |\n|---|---|---|")
        for label, vals in rows.items():
            med = statistics.median(vals)
            print(f"| {label} | {', '.join(f'{v:.1f}' for v in vals)} | {med:.1f} |")
        print(f"uptime: {os.getloadavg()}")
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.cds_dir:
            shutil.rmtree(cds_dir, ignore_errors=True)  # ~130 MB
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A local AWS server (subprocess, free port) shared by the module's jobs, and helpers to upload
a Glue script, create a job for it the way Terraform's aws_glue_job does, and run it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

REGION = "eu-west-1"
SCRIPTS = Path(__file__).parent / "scripts"
CREDS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("localaws")
    state = tmp / "state.json"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "LAKEGATE_GLUE_MODULE_CACHE": str(tmp / "modules"),
           # tiny data: one core, few shuffle partitions keep the JVM's work small
           "LAKEGATE_SPARK_MASTER": "local[1]", "LAKEGATE_SPARK_SHUFFLE_PARTITIONS": "1"}
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "localaws", "serve", "--port", "0", "--state-file", str(state),
                             "--log-level", "WARNING", "--exit-with-pid", str(os.getpid())], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.time() + 60
        while not (state.exists() and state.stat().st_size > 0):
            if time.time() > end or proc.poll() is not None:
                raise RuntimeError("local AWS did not start")
            time.sleep(0.1)
        yield json.loads(state.read_text())["endpoint"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def aws(endpoint) -> dict[str, Any]:
    return {s: boto3.client(s, endpoint_url=endpoint, region_name=REGION, **CREDS)
            for s in ("s3", "glue", "logs", "iam")}


def make_bucket(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})


def put_script(s3: Any, bucket: str, name: str, text: str | None = None) -> str:
    body = text if text is not None else (SCRIPTS / name).read_text()
    s3.put_object(Bucket=bucket, Key=f"scripts/{name}", Body=body.encode())
    return f"s3://{bucket}/scripts/{name}"


def create_job(glue: Any, name: str, script: str, args: dict[str, str], *, command: str = "glueetl",
               glue_version: str = "5.0") -> None:
    cmd = {"Name": command, "ScriptLocation": script, "PythonVersion": "3" if command == "glueetl" else "3.9"}
    kw: dict[str, Any] = {"GlueVersion": glue_version} if command == "glueetl" else {"MaxCapacity": 0.0625}
    if command == "glueetl":
        kw.update(WorkerType="G.1X", NumberOfWorkers=2)
    glue.create_job(Name=name, Role="arn:aws:iam::123456789012:role/glue-job-role", Command=cmd,
                    DefaultArguments={"--job-language": "python", "--TempDir": "s3://tmp-bucket/temp/", **args},
                    **kw)


def run_job(glue: Any, name: str, args: dict[str, str] | None = None, timeout: float = 600) -> dict[str, Any]:
    run_id = glue.start_job_run(JobName=name, Arguments=args or {})["JobRunId"]
    end = time.time() + timeout
    while time.time() < end:
        run = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if run["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"job run {name}/{run_id} did not finish in {timeout}s")


def log_text(logs: Any, group: str, stream: str) -> str:
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    return "\n".join(e["message"] for e in events)

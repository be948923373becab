"""Stopping the local AWS while a Glue script run is in flight: the run's driver process is
stopped with the server, never left running (a server killed after waiting for it left the
driver, and for Spark its JVM, orphaned)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import boto3

from lakegate import localenv

REGION = "eu-west-1"
CREDS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

SLOW_SCRIPT = """import os, time
import boto3
boto3.client("s3").put_object(Bucket="ops", Key="pid.txt", Body=str(os.getpid()).encode())
time.sleep(600)
"""



def test_local_down_stops_a_script_run_in_flight(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    st = localenv.start(state_file, exit_with_pid=os.getpid())
    script_pid = None
    try:
        s3 = boto3.client("s3", endpoint_url=st.endpoint, region_name=REGION, **CREDS)
        glue = boto3.client("glue", endpoint_url=st.endpoint, region_name=REGION, **CREDS)
        s3.create_bucket(Bucket="ops", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="ops", Key="scripts/slow.py", Body=SLOW_SCRIPT.encode())
        glue.create_job(Name="slow", Role="arn:aws:iam::123456789012:role/r", MaxCapacity=0.0625,
                        Command={"Name": "pythonshell", "ScriptLocation": "s3://ops/scripts/slow.py",
                                 "PythonVersion": "3.9"})
        run_id = glue.start_job_run(JobName="slow")["JobRunId"]
        end = time.monotonic() + 60
        while script_pid is None and time.monotonic() < end:
            try:
                script_pid = int(s3.get_object(Bucket="ops", Key="pid.txt")["Body"].read())
            except s3.exceptions.NoSuchKey:
                time.sleep(0.2)
        assert script_pid and localenv.pid_alive(script_pid), "the script never started"
        assert glue.get_job_run(JobName="slow", RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"

        said = localenv.stop(state_file)
        assert said.startswith("stopped the local AWS"), said
        assert not localenv.pid_alive(st.pid), "the server is still running"
        end = time.monotonic() + 10
        while localenv.pid_alive(script_pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert not localenv.pid_alive(script_pid), f"the script run's process {script_pid} outlived the server"
        assert "stopped 1 script run(s) in flight" in (tmp_path / "server.log").read_text()
    finally:
        if localenv.read_state(state_file) is not None:
            localenv.stop(state_file)
        if script_pid and localenv.pid_alive(script_pid):
            os.kill(script_pid, 9)

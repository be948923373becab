"""The Glue script runtime without a JVM: runtime choice, the Spark-version table, the awsglue
argument parser, catalog SerDes -> reader options, and jobs that run without Spark through the
local AWS (a boto3 copy job on glueetl, a Python shell job with --additional-python-modules from
a wheel on S3, failures worded as Glue words them)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from localaws.glue import script_runtime
from localaws.glue_runtime import available, lgio

from .conftest import create_job, log_text, make_bucket, put_script, run_job

PYLIB = Path(lgio.__file__).parent / "pylib"


@pytest.fixture
def awsglue_utils(monkeypatch):
    monkeypatch.syspath_prepend(str(PYLIB))
    for m in [m for m in sys.modules if m == "awsglue" or m.startswith("awsglue.")]:
        monkeypatch.delitem(sys.modules, m)
    import awsglue.utils

    return awsglue.utils


# --- units -------------------------------------------------------------------------------------

def test_spark_version_table_has_its_aws_source_and_glue_versions():
    data = script_runtime.versions()
    assert data["source"].startswith("https://docs.aws.amazon.com/glue/")
    assert {v: data["glue_versions"][v]["spark"] for v in ("3.0", "4.0", "5.0")} == \
        {"3.0": "3.1.1", "4.0": "3.3.0", "5.0": "3.5.4"}


def test_spark_choice_says_when_the_local_version_differs(monkeypatch):
    monkeypatch.setattr(available, "installed_pyspark", lambda: "3.5.9")
    wanted, local, note = script_runtime.spark_choice("5.0")
    assert (wanted, local) == ("3.5.4", "3.5.9") and "same minor version" in note
    wanted, _, note = script_runtime.spark_choice("4.0")
    assert wanted == "3.3.0"
    assert "nearest PySpark that runs here, 3.5.9" in note and "Python 3.10" in note
    _, _, note = script_runtime.spark_choice("9.9")
    assert "not in lakegate's table" in note
    monkeypatch.setattr(available, "installed_pyspark", lambda: None)
    assert "lakegate[spark]" in script_runtime.spark_choice("5.0")[2]


def test_runtime_for_each_kind_of_job():
    job = lambda name: SimpleNamespace(command={"Name": name, "ScriptLocation": "s3://b/s.py"})  # noqa: E731
    assert script_runtime.runtime_for(job("glueetl"), {"--sql_path": "s3://b/x.sql"}) == "sql"
    assert script_runtime.runtime_for(job("glueetl"), {}) == "spark"
    assert script_runtime.runtime_for(job("pythonshell"), {}) == "python"
    assert script_runtime.runtime_for(SimpleNamespace(command=None), {}) == "spark"


def test_runtimes_line_names_the_extra_when_pyspark_is_missing(monkeypatch):
    monkeypatch.setattr(available, "installed_pyspark", lambda: None)
    line = script_runtime.describe_runtimes()
    assert line.startswith("job runtimes:") and "lakegate[spark]" in line and "\n" not in line
    monkeypatch.setattr(available, "installed_pyspark", lambda: "3.5.9")
    monkeypatch.setattr(available, "java_available", lambda: True)
    assert "glueetl scripts on PySpark 3.5.9" in script_runtime.describe_runtimes()


def test_get_resolved_options_with_glue_special_parameters(awsglue_utils):
    argv = ["script.py", "--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--JOB_NAME", "ingest",
            "--job-bookmark-option", "job-bookmark-enable", "--TempDir", "s3://tmp/t/",
            "--enable-metrics", "true", "--source_path", "s3://raw/in/"]
    got = awsglue_utils.getResolvedOptions(argv, ["JOB_NAME", "source_path"])
    assert got["JOB_NAME"] == "ingest" and got["source_path"] == "s3://raw/in/"
    assert got["JOB_RUN_ID"] == "jr_1" and got["TempDir"] == "s3://tmp/t/"
    assert got["job_bookmark_option"] == "job-bookmark-enable"
    with pytest.raises(awsglue_utils.GlueArgumentError, match="--target_path"):
        awsglue_utils.getResolvedOptions(argv, ["JOB_NAME", "target_path"])
    with pytest.raises(RuntimeError, match="reserved"):
        awsglue_utils.getResolvedOptions(argv, ["job_bookmark_option"])


def _table(lib: str, params: dict, table_params: dict | None = None, informat: str = "") -> dict:
    return {"Name": "t", "DatabaseName": "d", "Parameters": table_params or {},
            "StorageDescriptor": {"InputFormat": informat,
                                  "SerdeInfo": {"SerializationLibrary": lib, "Parameters": params}}}


def test_catalog_serdes_become_reader_options():
    lazy = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    assert lgio.table_format(_table(lazy, {"field.delim": "|"}, {"skip.header.line.count": "1"})) == \
        ("csv", {"sep": "|", "quote": "\u0000", "header": "true"})
    assert lgio.table_format(_table(lazy, {"serialization.format": "1"}))[1]["sep"] == "\x01"
    assert lgio.table_format(_table(lazy, {}))[1]["header"] == "false"
    fmt, opts = lgio.table_format(_table("org.apache.hadoop.hive.serde2.OpenCSVSerde",
                                         {"separatorChar": ";", "quoteChar": "'"}))
    assert fmt == "csv" and opts["sep"] == ";" and opts["quote"] == "'"
    assert lgio.table_format(_table("org.openx.data.jsonserde.JsonSerDe", {}))[0] == "json"
    assert lgio.table_format(_table("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", {}))[0] == "parquet"
    with pytest.raises(ValueError, match="unsupported storage"):
        lgio.table_format(_table("com.example.CustomSerDe", {}))


def test_missing_pyspark_fails_the_run_naming_the_extra(monkeypatch):
    from localaws.glue import jobs

    monkeypatch.setattr(available, "installed_pyspark", lambda: None)
    job = SimpleNamespace(command={"Name": "glueetl", "ScriptLocation": "s3://b/etl.py"})
    monkeypatch.setattr(jobs, "_job", lambda ctx, name: job)
    monkeypatch.setattr(script_runtime, "_bookmark_state", lambda ctx, name: {})
    ctx = SimpleNamespace(runtime=None, region="us-east-1", account_id="123456789012")
    run = SimpleNamespace(job_name="etl", arguments={}, glue_version="5.0", id="jr_x")
    with pytest.raises(jobs.RunFailed, match=r"pip install 'lakegate\[spark\]'"):
        script_runtime.execute(ctx, run, "spark", jobs.RunFailed)


# --- jobs without Spark through the local AWS ----------------------------------------------

def _wheel(name: str, version: str, files: dict[str, str]) -> bytes:
    """A minimal pure-Python wheel (what a team ships to S3 for --additional-python-modules)."""
    dist = f"{name}-{version}.dist-info"
    files = {**files,
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, text in files.items():
            data = text.encode()
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{dist}/RECORD,,")
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return buf.getvalue()


@pytest.fixture(scope="module")
def buckets(aws):
    for b in ("landing-zone", "archive-zone", "tmp-bucket", "ops-reports"):
        make_bucket(aws["s3"], b)
    return aws


def test_boto3_copy_job_on_glueetl_without_spark(buckets):
    s3, glue = buckets["s3"], buckets["glue"]
    for i in range(3):
        s3.put_object(Bucket="landing-zone", Key=f"incoming/2024-05-01/file{i}.json", Body=b'{"n": %d}\n' % i)
    create_job(glue, "archive-landing", put_script(s3, "tmp-bucket", "copy_objects.py"), {
        "--source_bucket": "landing-zone", "--source_prefix": "incoming/2024-05-01/",
        "--target_bucket": "archive-zone", "--target_prefix": "archive/dt=2024-05-01/"})
    run = run_job(glue, "archive-landing")
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="archive-zone")["Contents"])
    assert keys == [f"archive/dt=2024-05-01/file{i}.json" for i in range(3)]
    assert s3.get_object(Bucket="archive-zone", Key=keys[2])["Body"].read() == b'{"n": 2}\n'
    assert "copied 3 objects" in log_text(buckets["logs"], "/aws-glue/jobs/output", run["Id"])


def test_python_shell_job_with_a_wheel_from_s3(buckets):
    s3, glue = buckets["s3"], buckets["glue"]
    s3.put_object(Bucket="tmp-bucket", Key="wheels/reportfmt-1.0-py3-none-any.whl",
                  Body=_wheel("reportfmt", "1.0", {"reportfmt/__init__.py": "def title(s):\n    return s.replace('_', ' ').title()\n"}))
    glue.create_database(DatabaseInput={"Name": "ops"})
    glue.create_table(DatabaseName="ops", TableInput={
        "Name": "fleet_events", "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {"Location": "s3://landing-zone/events/", "Columns": [{"Name": "id", "Type": "string"}]}})
    glue.batch_create_partition(DatabaseName="ops", TableName="fleet_events", PartitionInputList=[
        {"Values": [d], "StorageDescriptor": {"Location": f"s3://landing-zone/events/dt={d}/"}}
        for d in ("2024-05-02", "2024-05-01")])
    create_job(glue, "partition-report", put_script(s3, "tmp-bucket", "shell_report.py"), {
        "--database": "ops", "--table": "fleet_events", "--report_bucket": "ops-reports",
        "--report_key": "reports/fleet_events.json",
        "--additional-python-modules": "s3://tmp-bucket/wheels/reportfmt-1.0-py3-none-any.whl"},
        command="pythonshell")
    run = run_job(glue, "partition-report")
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    report = json.loads(s3.get_object(Bucket="ops-reports", Key="reports/fleet_events.json")["Body"].read())
    assert report == {"table": "ops.fleet_events", "partitions": [["2024-05-01"], ["2024-05-02"]],
                      "title": "Fleet Events"}


def test_uninstallable_module_fails_the_run_clearly(buckets):
    s3, glue = buckets["s3"], buckets["glue"]
    create_job(glue, "report-bad-module", put_script(s3, "tmp-bucket", "shell_report.py"), {
        "--database": "ops", "--table": "fleet_events", "--report_bucket": "ops-reports", "--report_key": "x.json",
        "--additional-python-modules": "/nonexistent/wheels/reportfmt-9.9-py3-none-any.whl"},
        command="pythonshell")
    run = run_job(glue, "report-bad-module")
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("ModuleInstallationError: --additional-python-modules "
                                          "'/nonexistent/wheels/reportfmt-9.9-py3-none-any.whl' could not be installed")


def test_script_error_is_the_error_message_and_the_traceback_is_in_the_error_log(buckets):
    s3, glue = buckets["s3"], buckets["glue"]
    script = put_script(s3, "tmp-bucket", "bad_shell.py", (
        "import sys\nfrom awsglue.utils import getResolvedOptions\n"
        "args = getResolvedOptions(sys.argv, ['threshold'])\n"
        "limit = int(args['threshold'])\n"))
    create_job(glue, "bad-threshold", script, {"--threshold": "ninety"}, command="pythonshell")
    run = run_job(glue, "bad-threshold")
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: invalid literal for int() with base 10: 'ninety'"
    err = log_text(buckets["logs"], "/aws-glue/jobs/error", run["Id"])
    assert "Traceback (most recent call last)" in err and "bad_shell.py" in err
    missing = run_job(glue, "bad-threshold", {"--threshold": "1"})
    assert missing["JobRunState"] == "SUCCEEDED"
    glue.create_job(Name="no-script", Role="arn:aws:iam::123456789012:role/r",
                    Command={"Name": "pythonshell", "ScriptLocation": "s3://tmp-bucket/scripts/gone.py"})
    gone = run_job(glue, "no-script")
    assert gone["JobRunState"] == "FAILED"
    assert gone["ErrorMessage"].startswith("AmazonS3Exception: s3://tmp-bucket/scripts/gone.py cannot be read")


def test_batch_stop_ends_the_script_process(buckets):
    import time

    s3, glue = buckets["s3"], buckets["glue"]
    script = put_script(s3, "tmp-bucket", "slow_shell.py", (
        "import os, time\n"
        "import boto3\n"
        "boto3.client('s3').put_object(Bucket='ops-reports', Key='pids/slow.txt', Body=str(os.getpid()).encode())\n"
        "time.sleep(600)\n"))
    create_job(glue, "slow-shell", script, {}, command="pythonshell")
    run_id = glue.start_job_run(JobName="slow-shell")["JobRunId"]
    end = time.time() + 60
    pid = None
    while time.time() < end and pid is None:
        try:
            pid = int(s3.get_object(Bucket="ops-reports", Key="pids/slow.txt")["Body"].read())
        except s3.exceptions.NoSuchKey:
            time.sleep(0.2)
    assert pid, "the script never started"
    glue.batch_stop_job_run(JobName="slow-shell", JobRunIds=[run_id])
    while time.time() < end:
        state = glue.get_job_run(JobName="slow-shell", RunId=run_id)["JobRun"]["JobRunState"]
        if state == "STOPPED":
            break
        time.sleep(0.2)
    assert state == "STOPPED"
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

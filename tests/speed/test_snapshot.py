"""State pods: ``lakegate local snapshot`` / ``local up --from`` / ``local restore``, through the CLI
and boto3 against real local AWS servers (localaws.snapshot, lakegate.commands.local)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakegate import localenv

ROOT = Path(__file__).resolve().parents[2]
ROLE_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def cli(state: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(state))
    return subprocess.run([sys.executable, "-m", "lakegate", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


def populate(st: localenv.LocalState) -> None:
    s3, iam, glue = (localenv.client(s, st) for s in ("s3", "iam", "glue"))
    athena, logs = localenv.client("athena", st), localenv.client("logs", st)
    s3.create_bucket(Bucket="pod-raw-data")
    s3.put_bucket_versioning(Bucket="pod-raw-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="pod-raw-data", Key="events/2024/01/part-0.json", Body=b'{"id": 1}\n')
    s3.put_bucket_lifecycle_configuration(Bucket="pod-raw-data", LifecycleConfiguration={"Rules": [
        {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]})
    iam.create_role(RoleName="pod-etl-role", AssumeRolePolicyDocument=ROLE_DOC)
    iam.put_role_policy(RoleName="pod-etl-role", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::pod-raw-data/*"}]}))
    glue.create_database(DatabaseInput={"Name": "pod_analytics"})
    glue.create_job(Name="pod-etl", Role="arn:aws:iam::123456789012:role/pod-etl-role",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://pod-raw-data/scripts/etl.py"},
                    DefaultArguments={"--job-bookmark-option": "job-bookmark-enable"})
    glue.create_crawler(Name="pod-raw-crawler", Role="arn:aws:iam::123456789012:role/pod-etl-role",
                        DatabaseName="pod_analytics",
                        Targets={"S3Targets": [{"Path": "s3://pod-raw-data/events/"}]})
    athena.create_work_group(Name="pod-wg", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://pod-raw-data/athena/"}})
    logs.create_log_group(logGroupName="/aws-glue/jobs/pod-etl")


def read_back(st: localenv.LocalState) -> dict:
    s3, iam, glue = (localenv.client(s, st) for s in ("s3", "iam", "glue"))
    athena, logs = localenv.client("athena", st), localenv.client("logs", st)
    return {
        "object": s3.get_object(Bucket="pod-raw-data", Key="events/2024/01/part-0.json")["Body"].read(),
        "versioning": s3.get_bucket_versioning(Bucket="pod-raw-data").get("Status"),
        "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket="pod-raw-data")["Rules"],
        "role": iam.get_role(RoleName="pod-etl-role")["Role"]["Arn"],
        "policy": iam.get_role_policy(RoleName="pod-etl-role", PolicyName="read")["PolicyDocument"],
        "job": glue.get_job(JobName="pod-etl")["Job"]["DefaultArguments"],
        "crawler": glue.get_crawler(Name="pod-raw-crawler")["Crawler"]["Targets"],
        "databases": [d["Name"] for d in glue.get_databases()["DatabaseList"]],
        "workgroup": athena.get_work_group(WorkGroup="pod-wg")["WorkGroup"]["Configuration"]["ResultConfiguration"],
        "log_groups": [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]],
        # AWS managed policies are part of the saved IAM state too
        "managed": iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")["Policy"]["PolicyName"],
    }


def test_snapshot_then_up_from_it_has_the_same_state(tmp_path):
    state = tmp_path / "a" / "state.json"
    pod = tmp_path / "pod"
    st = localenv.start(path=state, timeout=60, exit_with_pid=os.getpid())
    try:
        populate(st)
        before = read_back(st)
        (state.parent / "outputs.json").write_text('{"workflow_name": "wf"}\n')
        res = cli(state, "local", "snapshot", str(pod))
        assert res.returncode == 0, res.stderr
        assert "saved the local AWS" in res.stdout and "outputs.json" in res.stdout
    finally:
        localenv.stop(path=state)
    assert (pod / "localaws.snapshot").stat().st_mode & 0o777 == 0o600
    state2 = tmp_path / "b" / "state.json"
    res = cli(state2, "local", "up", "--from", str(pod))
    try:
        assert res.returncode == 0, res.stderr
        assert "state restored from" in res.stdout
        st2 = localenv.load_state(state2)
        assert read_back(st2) == before
        assert json.loads((state2.parent / "outputs.json").read_text()) == {"workflow_name": "wf"}
        health = localenv.health(st2.endpoint)
        assert health["restored_from"].endswith("localaws.snapshot")
        # the restored server keeps working: new resources, and the old ones change
        s3 = localenv.client("s3", st2)
        s3.put_object(Bucket="pod-raw-data", Key="events/2024/02/part-0.json", Body=b"{}")
        assert s3.list_objects_v2(Bucket="pod-raw-data", Prefix="events/")["KeyCount"] == 2
        assert len(s3.list_object_versions(Bucket="pod-raw-data", Prefix="events/2024/01/")["Versions"]) == 1

        # restore into the running server: what was made after the snapshot is gone
        localenv.client("glue", st2).create_database(DatabaseInput={"Name": "made_later"})
        res = cli(state2, "local", "restore", str(pod))
        assert res.returncode == 0, res.stderr
        assert read_back(st2) == before
        assert s3.list_objects_v2(Bucket="pod-raw-data", Prefix="events/")["KeyCount"] == 1
    finally:
        cli(state2, "local", "down")


def test_control_endpoints_need_the_token_and_bad_input_is_a_clear_error(tmp_path):
    import urllib.error
    import urllib.request

    state = tmp_path / "s" / "state.json"
    st = localenv.start(path=state, timeout=60, exit_with_pid=os.getpid())
    try:
        req = urllib.request.Request(f"{st.endpoint}/_lakegate/snapshot", method="POST",
                                     data=json.dumps({"path": str(tmp_path / "x")}).encode())
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 403
        assert not (tmp_path / "x").exists()

        not_a_pod = tmp_path / "empty"
        not_a_pod.mkdir()
        res = cli(state, "local", "restore", str(not_a_pod))
        assert res.returncode == 2 and "is not a local AWS snapshot" in res.stderr
        assert "Traceback" not in res.stderr

        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "localaws.snapshot").write_bytes(b"not a snapshot at all")
        res = cli(state, "local", "restore", str(bad))
        assert res.returncode == 2 and "is not a lakegate local AWS snapshot" in res.stderr
    finally:
        localenv.stop(path=state)


def test_a_snapshot_from_another_moto_version_is_refused(tmp_path):
    from localaws import snapshot

    state = tmp_path / "s" / "state.json"
    pod = tmp_path / "pod"
    st = localenv.start(path=state, timeout=60, exit_with_pid=os.getpid())
    try:
        localenv.save_snapshot(st, pod / "localaws.snapshot")
    finally:
        localenv.stop(path=state)
    raw = (pod / "localaws.snapshot").read_bytes()
    header = repr(snapshot.read_header(pod / "localaws.snapshot")).encode()
    forged = header.replace(b"'moto': '", b"'moto': '0.0.0-")
    start = len(snapshot.MAGIC) + 4
    (pod / "localaws.snapshot").write_bytes(snapshot.MAGIC + len(forged).to_bytes(4, "big") + forged
                                           + raw[start + len(header):])
    res = cli(tmp_path / "t" / "state.json", "local", "up", "--from", str(pod))
    assert res.returncode == 2, res.stdout
    assert "take the snapshot again" in res.stderr and "Traceback" not in res.stderr.split("log tail")[0]


def test_a_busy_local_aws_is_not_snapshotted(tmp_path):
    state = tmp_path / "s" / "state.json"
    st = localenv.start(path=state, timeout=60, timing="realistic", exit_with_pid=os.getpid())
    try:
        s3, iam, glue = (localenv.client(s, st) for s in ("s3", "iam", "glue"))
        s3.create_bucket(Bucket="busy-bucket")
        iam.create_role(RoleName="busy-role", AssumeRolePolicyDocument=ROLE_DOC)
        glue.create_database(DatabaseInput={"Name": "busy_db"})
        glue.create_crawler(Name="busy-crawler", Role="arn:aws:iam::123456789012:role/busy-role",
                            DatabaseName="busy_db", Targets={"S3Targets": [{"Path": "s3://busy-bucket/"}]})
        glue.start_crawler(Name="busy-crawler")   # realistic: RUNNING for ~60 s
        from lakegate.errors import LakegateError

        with pytest.raises(LakegateError) as err:
            localenv.save_snapshot(st, tmp_path / "busy.snapshot", wait=0.2)
        assert "busy" in err.value.what and "background step" in err.value.what
        assert not (tmp_path / "busy.snapshot").exists()
    finally:
        localenv.stop(path=state)

"""The account of a request comes from its access key, and IAM is built only for the partitions
requests use (``localaws.iam.accounts``).

Through boto3 against a server of its own (started like ``lakegate local up``): credentials from
``sts:AssumeRole`` into a role of another account act in that account (moto's S3 and our Glue
overrides alike), the default keys in the default account; the AWS managed policies are there in
``aws`` and, when a request uses it, in ``aws-cn``. A snapshot of the server then holds IAM only
for the partitions requests touched (before the patch every request built IAM, managed policies
included, for all six partitions: ~0.9 CPU-s per server and a ~23 MiB snapshot).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lakegate import localenv

OTHER_ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> localenv.LocalState:
    state_file = tmp_path_factory.mktemp("iam-accounts") / "state.json"
    st = localenv.start(path=state_file, timeout=60, exit_with_pid=os.getpid())
    yield st
    localenv.stop(path=state_file)


def _client(st: localenv.LocalState, service: str, region: str = localenv.REGION,
            creds: dict[str, str] | None = None) -> Any:
    creds = creds or {"aws_access_key_id": localenv.ACCESS_KEY,
                      "aws_secret_access_key": localenv.SECRET_KEY}
    return boto3.client(service, endpoint_url=st.endpoint, region_name=region,
                        config=Config(s3={"addressing_style": "path"}), **creds)


def test_account_follows_the_access_key_and_iam_is_built_per_used_partition(
        own_server: localenv.LocalState, tmp_path: Path) -> None:
    st = own_server
    sts = _client(st, "sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    got = sts.assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/reader",
                          RoleSessionName="contract")["Credentials"]
    other = {"aws_access_key_id": got["AccessKeyId"], "aws_secret_access_key": got["SecretAccessKey"],
             "aws_session_token": got["SessionToken"]}
    identity = _client(st, "sts", creds=other).get_caller_identity()
    assert identity["Account"] == OTHER_ACCOUNT
    assert identity["Arn"] == f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/reader/contract"

    # moto's S3 (account from moto's get_current_account) and our Glue override (the server's
    # request_identity) both put the assumed role's requests in the other account
    _client(st, "s3", creds=other).create_bucket(Bucket="acct-other-bucket")
    _client(st, "s3").create_bucket(Bucket="acct-default-bucket")
    assert [b["Name"] for b in _client(st, "s3", creds=other).list_buckets()["Buckets"]] == [
        "acct-other-bucket"]
    assert [b["Name"] for b in _client(st, "s3").list_buckets()["Buckets"]] == [
        "acct-default-bucket"]
    _client(st, "glue", creds=other).create_database(DatabaseInput={"Name": "acct_other_db"})
    assert [d["Name"] for d in _client(st, "glue", creds=other).get_databases()["DatabaseList"]] == [
        "acct_other_db"]
    assert [d["Name"] for d in _client(st, "glue").get_databases()["DatabaseList"]] == []

    # the AWS managed policies exist (MOTO_IAM_LOAD_MANAGED_POLICIES), in aws ...
    iam = _client(st, "iam")
    role = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")
    assert role["Policy"]["PolicyName"] == "AWSGlueServiceRole"

    snap = tmp_path / "state.pod"
    localenv.save_snapshot(st, snap)
    built = _iam_partitions(snap)
    assert built == {"123456789012": ["aws"], OTHER_ACCOUNT: ["aws"]}, built

    # ... and in a partition first used now, built when a request reaches it
    cn = _client(st, "iam", region="cn-north-1")
    cn_role = cn.get_policy(PolicyArn="arn:aws-cn:iam::aws:policy/service-role/AWSGlueServiceRole")
    assert cn_role["Policy"]["Arn"] == "arn:aws-cn:iam::aws:policy/service-role/AWSGlueServiceRole"
    localenv.save_snapshot(st, snap)
    assert _iam_partitions(snap)["123456789012"] == ["aws", "aws-cn"]


def _iam_partitions(snap: Path) -> dict[str, list[str]]:
    """IAM backends (account -> partitions) held by a snapshot file (unpickled here: the test's
    own file)."""
    from localaws import snapshot

    snapshot.read_header(snap)   # checks the magic
    with open(snap, "rb") as fh:
        fh.seek(len(snapshot.MAGIC))
        size = int.from_bytes(fh.read(4), "big")
        fh.seek(len(snapshot.MAGIC) + 4 + size)
        payload = pickle.load(fh)
    iam = payload["backends"]["moto.iam.models:IAMBackend"]
    return {account: sorted(regions) for account, regions in sorted(iam.items())}

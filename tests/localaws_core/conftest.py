"""Fixtures for the local AWS core tests: ONE server per session, started through the CLI's code
path (:func:`lakegate.localenv.start`, i.e. ``python -m localaws serve`` as a detached
subprocess) and stopped by PID at the end. Tests use unique resource names so they can share it.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from typing import Any, Callable

import pytest

from lakegate import localenv
from tests import _awscli


@pytest.fixture(scope="session")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> localenv.LocalState:
    state_file = tmp_path_factory.mktemp("localaws") / "state.json"
    # strict: a handler raising an AWS error it does not declare answers InternalFailure, so
    # these tests notice it (localaws.dispatch.guard_errors)
    before = os.environ.get("LOCALAWS_STRICT_ERRORS")
    os.environ["LOCALAWS_STRICT_ERRORS"] = "1"
    try:
        st = localenv.start(path=state_file, timeout=60, exit_with_pid=os.getpid())
    finally:
        if before is None:
            os.environ.pop("LOCALAWS_STRICT_ERRORS", None)
        else:
            os.environ["LOCALAWS_STRICT_ERRORS"] = before
    yield st
    health = localenv.health(st.endpoint) or {}
    assert health.get("undeclared_errors", []) == [], "handlers raised errors they do not declare"
    localenv.stop(path=state_file)
    assert not localenv.pid_alive(st.pid), "the server must be gone after stop"


@pytest.fixture(scope="session")
def aws(local_aws: localenv.LocalState) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}

    def get(service: str) -> Any:
        if service not in clients:
            clients[service] = localenv.client(service, local_aws)
        return clients[service]

    return get


@pytest.fixture()
def uid() -> str:
    return uuid.uuid4().hex[:8]


def wait_for(fn: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll ``fn`` until it returns a truthy value (returned) or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value {last!r})")


@pytest.fixture(scope="session")
def aws_cli(local_aws: localenv.LocalState) -> Callable[..., subprocess.CompletedProcess]:
    """Run the ``aws`` CLI against the local endpoint, through the preloaded CLI of
    :mod:`tests._awscli` (same program, no start-up per call; skips — a failure under CI — when the
    CLI is not installed). ``test_awscli_helper.py`` execs the real ``aws`` for comparison."""
    env = localenv.aws_env(local_aws)
    env["AWS_PAGER"] = ""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = _awscli.run(["--endpoint-url", local_aws.endpoint, "--region", localenv.REGION,
                            "--output", "json", *args], env=env, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {proc.stderr}")
        return proc

    yield run
    _awscli.shared().close()  # its CPU shows in this phase of the per-test table (tests/_cpu_profile.py)


def put_parquet(s3: Any, bucket: str, key: str, table: Any) -> None:
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())


def run_query(athena: Any, sql: str, database: str, workgroup: str, timeout: float = 20.0) -> dict:
    qid = athena.start_query_execution(QueryString=sql, WorkGroup=workgroup,
                                       QueryExecutionContext={"Database": database})["QueryExecutionId"]

    def done() -> dict | None:
        q = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        return q if q["Status"]["State"] not in ("QUEUED", "RUNNING") else None

    return wait_for(done, timeout)




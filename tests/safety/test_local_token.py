"""The local AWS trusts only its owner (issue 10, DESIGN "Local AWS control token").

One server of our own (started through the CLI's code path, stopped in the test): the state file
is mode 0600, the health answer never holds the token, and fault / shutdown requests without the
token (or with a wrong one) get 403 and change nothing, while the same requests with the token
work.
"""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request

import pytest

from lakegate import localenv

JOB = "acme-gold-performance-alerts-qa"


def _post(endpoint: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(endpoint + path, data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.fixture
def own_server(tmp_path):
    state_file = tmp_path / "state.json"
    st = localenv.start(path=state_file, timeout=60, exit_with_pid=os.getpid())
    try:
        yield state_file, st
    finally:
        localenv.stop(path=state_file)


def test_control_endpoints_need_the_token(own_server) -> None:
    state_file, st = own_server
    # the state file holding the token is readable by its owner only
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    h = localenv.health(st.endpoint)
    assert h is not None and h["pid"] == st.pid
    assert h["token_sha256"] == localenv.token_sha256(st.token)
    assert st.token not in json.dumps(h)
    assert localenv.is_running(st)

    glue = localenv.client("glue", st)
    glue.create_job(Name=JOB, Role="arn:aws:iam::123456789012:role/glue",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/alerts.py"},
                    DefaultArguments={"--engine_temp_limit": "100"})

    def limit() -> str:
        return glue.get_job(JobName=JOB)["Job"]["DefaultArguments"]["--engine_temp_limit"]

    for headers in (None, {"X-Lakegate-Token": "not-the-token"}, {"X-Lakegate-Token": ""}):
        status, body = _post(st.endpoint, "/_lakegate/fault/job-failure", headers)
        assert status == 403, body
        assert "X-Lakegate-Token" in body["error"]
        assert limit() == "100"                      # nothing changed
        status, _ = _post(st.endpoint, "/_lakegate/shutdown", headers)
        assert status == 403
        assert localenv.is_running(st)              # still up
    # an unknown admin path tells nothing either without the token
    assert _post(st.endpoint, "/_lakegate/fault/no-such", None)[0] == 403

    # with the token (what `lakegate local fault` sends) the fault applies and clears
    status, body = localenv.admin_post(st, "fault/job-failure")
    assert status == 200 and body["ok"], body
    assert limit() == "very-hot"
    status, body = localenv.admin_post(st, "fault/job-failure/clear")
    assert status == 200 and limit() == "100"

    # and shutdown with the token stops it
    status, body = _post(st.endpoint, "/_lakegate/shutdown", localenv.control_headers(st))
    assert status == 200 and body["pid"] == st.pid
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and localenv.pid_alive(st.pid):
        time.sleep(0.05)
    assert not localenv.pid_alive(st.pid)


def test_state_written_by_the_client_is_owner_only(tmp_path) -> None:
    path = tmp_path / "state.json"
    old = os.umask(0o022)
    try:
        localenv.write_state(path, localenv.LocalState("http://127.0.0.1:1", 1, 1, "secret", 0.0))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == "secret"

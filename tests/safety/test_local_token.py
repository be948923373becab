"""The local AWS trusts only its owner (issue 10, DESIGN "Local AWS control token").

The tests/safety server (conftest.py; its teardown shuts it down WITH the token): the state file
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


def test_control_endpoints_need_the_token(safety_server) -> None:
    st = safety_server
    state_file = st.state_file
    # the state file holding the token is readable by its owner only
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    h = localenv.health(st.endpoint)
    assert h is not None and h["pid"] == st.pid
    assert h["token_sha256"] == localenv.token_sha256(st.token)
    assert st.token not in json.dumps(h)
    assert localenv.is_running(st)

    glue = localenv.client("glue", st)
    # job-failure finds its target in the deployed workflow: a job whose script parses an argument as a number
    s3 = localenv.client("s3", st)
    s3.create_bucket(Bucket="scripts")
    s3.put_object(Bucket="scripts", Key="alerts.py", Body=b"import sys\nfrom awsglue.utils import getResolvedOptions\n"
                  b"args = getResolvedOptions(sys.argv, ['engine_temp_limit'])\nlimit = float(args['engine_temp_limit'])\n")
    glue.create_job(Name=JOB, Role="arn:aws:iam::123456789012:role/glue",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/alerts.py"},
                    DefaultArguments={"--engine_temp_limit": "100"})
    glue.create_workflow(Name="alerts-wf")
    glue.create_trigger(Name="alerts-start", WorkflowName="alerts-wf", Type="ON_DEMAND", Actions=[{"JobName": JOB}])

    def jobs() -> dict:
        return {n: glue.get_job(JobName=n)["Job"].get("DefaultArguments") for n in glue.list_jobs()["JobNames"]}

    before = jobs()
    for headers in (None, {"X-Lakegate-Token": "not-the-token"}, {"X-Lakegate-Token": ""}):
        status, body = _post(st.endpoint, "/_lakegate/fault/job-failure", headers)
        assert status == 403, body
        assert "X-Lakegate-Token" in body["error"]
        assert jobs() == before                      # nothing changed
        status, _ = _post(st.endpoint, "/_lakegate/shutdown", headers)
        assert status == 403
        assert localenv.is_running(st)              # still up
    # an unknown admin path tells nothing either without the token
    assert _post(st.endpoint, "/_lakegate/fault/no-such", None)[0] == 403

    # with the token (what `lakegate local fault` sends) the fault applies and clears
    # (the safety server is shared: another test may have deployed a second workflow into it)
    status, body = localenv.admin_post(st, "fault/job-failure", {"workflow": "alerts-wf"})
    assert status == 200 and body["ok"], body
    hit = body["detail"]["job"]
    assert "gold-performance-alerts" in hit and jobs()[hit]["--engine_temp_limit"] == "very-hot"
    status, body = localenv.admin_post(st, "fault/job-failure/clear")
    assert status == 200 and jobs() == before

    # shutdown with the token stops it: checked by the safety_server fixture's teardown
    # (tests/safety/conftest.py), after the other tests have used the server


def test_state_written_by_the_client_is_owner_only(tmp_path) -> None:
    path = tmp_path / "state.json"
    old = os.umask(0o022)
    try:
        localenv.write_state(path, localenv.LocalState("http://127.0.0.1:1", 1, 1, "secret", 0.0))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == "secret"

"""One local AWS for tests/safety (started through the CLI's code path, stopped by PID).

Its teardown is itself a test of the control token: shutdown WITH the token (what `lakegate local
down` sends) answers 200 and the process exits; test_local_token.py checks that the same request
without it is refused."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest

from lakegate import localenv


@pytest.fixture(scope="session")
def safety_server(tmp_path_factory):
    state_file = tmp_path_factory.mktemp("safety-local") / "state.json"
    st = localenv.start(path=state_file, timeout=60, time_scale=0.1, exit_with_pid=os.getpid())
    st.state_file = state_file  # type: ignore[attr-defined]
    try:
        yield st
        if localenv.is_running(st):
            req = urllib.request.Request(f"{st.endpoint}/_lakegate/shutdown", data=b"{}", method="POST",
                                         headers=localenv.control_headers(st))
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 200 and json.loads(resp.read())["pid"] == st.pid
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and localenv.pid_alive(st.pid):
                time.sleep(0.05)
            assert not localenv.pid_alive(st.pid), "shutdown with the token must stop the server"
    finally:
        localenv.stop(path=state_file)

"""``lakegate local up|status|down|fault``: the CLI contract (own server per test, own state file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakegate import localenv
from lakegate.errors import LakegateError


def _cli(state: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(state))
    return subprocess.run([sys.executable, "-m", "lakegate", "local", *args], capture_output=True,
                          text=True, env=env, timeout=90)


@pytest.mark.slow
def test_up_status_second_up_fault_down(tmp_path: Path) -> None:
    state = tmp_path / "local" / "state.json"
    up = _cli(state, "up", "--timing", "realistic", "--time-scale", "0.1")
    try:
        assert up.returncode == 0, up.stderr
        data = json.loads(state.read_text())
        assert set(data) >= {"endpoint", "pid", "port", "token", "started_at", "timing", "log"}
        assert data["endpoint"] == f"http://127.0.0.1:{data['port']}" and data["timing"] == "realistic"
        assert data["endpoint"] in up.stdout
        assert Path(data["log"]).exists()
        st = _cli(state, "status", "--json")
        assert st.returncode == 0
        info = json.loads(st.stdout)
        assert info["running"] is True and info["pid"] == data["pid"] and "token" not in info
        again = _cli(state, "up")
        assert again.returncode == 2 and "already running" in again.stderr
        bad = _cli(state, "fault", "no-such-fault")
        assert bad.returncode == 2 and "unknown fault 'no-such-fault'" in bad.stderr
        h = localenv.health(data["endpoint"])
        assert h["time_scale"] == 0.1 and h["timing"] == "realistic"
    finally:
        down = _cli(state, "down")
    assert down.returncode == 0 and "stopped the local AWS" in down.stdout
    assert not state.exists()
    assert not localenv.pid_alive(data["pid"])
    st = _cli(state, "status")
    assert st.returncode == 1 and "not running" in st.stdout


def test_stale_state_file_is_detected_and_cleaned(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    localenv.write_state(state, localenv.LocalState(endpoint="http://127.0.0.1:9", pid=dead.pid,
                                                    port=9, token="t", started_at=0.0))
    st = _cli(state, "status", "--json")
    assert st.returncode == 1 and json.loads(st.stdout)["stale"] is True
    with pytest.raises(LakegateError, match="stale state file"):
        localenv.load_state(state)
    down = _cli(state, "down")
    assert down.returncode == 0 and "stale" in down.stdout
    assert not state.exists()


def test_a_foreign_process_is_never_killed(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        localenv.write_state(state, localenv.LocalState(endpoint="http://127.0.0.1:9", pid=other.pid,
                                                        port=9, token="t", started_at=0.0))
        with pytest.raises(LakegateError, match="not a localaws server"):
            localenv.stop(state)
        assert other.poll() is None  # still alive
    finally:
        other.kill()
        other.wait()


def test_bad_arguments_and_unreadable_state(tmp_path: Path) -> None:
    with pytest.raises(LakegateError, match="time-scale"):
        localenv.start(path=tmp_path / "s.json", time_scale=0)
    with pytest.raises(LakegateError, match="out of range"):
        localenv.start(path=tmp_path / "s.json", port=70000)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(LakegateError, match="unreadable"):
        localenv.read_state(bad)
    assert _cli(tmp_path / "none.json", "down").stdout.strip() == "the local AWS is not running"
    nf = _cli(tmp_path / "none.json", "fault", "stale-schema")
    assert nf.returncode == 2 and "not running" in nf.stderr


def test_up_fails_clearly_when_the_port_is_taken(tmp_path: Path) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        out = _cli(tmp_path / "state.json", "up", "--port", str(sock.getsockname()[1]))
    finally:
        sock.close()
    assert out.returncode == 2
    assert "exited during start-up" in out.stderr and "Address already in use" in out.stderr


def test_deploy_needs_a_running_local_aws_and_valid_rows(tmp_path: Path) -> None:
    env = dict(os.environ, LAKEGATE_LOCAL_STATE=str(tmp_path / "state.json"))
    run = lambda *a: subprocess.run([sys.executable, "-m", "lakegate", "deploy", *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=60)
    out = run("--target", "local", "--rows", "10")
    assert out.returncode == 2 and "not running" in out.stderr and "lakegate local up" in out.stderr
    out = run("--target", "local", "--rows", "-1")
    assert out.returncode == 2 and "--rows must be >= 0" in out.stderr
    out = run("--target", "aws")
    assert out.returncode == 2


def test_server_exits_with_its_owner(tmp_path: Path) -> None:
    import time

    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        st = localenv.start(path=tmp_path / "state.json", exit_with_pid=owner.pid)
        assert localenv.is_running(st)
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and localenv.pid_alive(st.pid):
        localenv._reap(st.pid)
        time.sleep(0.1)
    assert not localenv.pid_alive(st.pid)
    assert not (tmp_path / "state.json").exists()  # the server removes its own state file

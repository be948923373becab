"""Two worlds in one local rehearsal (``lakegate smoke``, steps/world.py "two worlds"): when the
run is split, what each child is given, the handoff between the worlds, and the deploy of the
second world from the entry the first one verified. No local AWS, no pytest child (a fake runner)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from lakegate import checklist, deploy, evidence, smoke
from lakegate.errors import LakegateError
from tests.smoke._isolation import isolate
from lakegate.scenarios.steps import world

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "lakegate" / "scenarios"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    isolate(tmp_path, monkeypatch)
    monkeypatch.delenv(smoke.WORLDS_ENV, raising=False)
    monkeypatch.setattr(smoke.os, "cpu_count", lambda: 2)


# --- when ---------------------------------------------------------------------------------------

def test_a_full_local_run_on_two_cpus_uses_two_worlds():
    assert smoke.two_worlds(True, None, False, {}, cpus=2)
    assert smoke.two_worlds(True, None, False, {smoke.WORLDS_ENV: "2"}, cpus=8)
    assert smoke.two_worlds(True, None, False, {smoke.WORLDS_ENV: "2"}, cpus=1)    # forced
    assert not smoke.two_worlds(True, None, False, {}, cpus=1)
    assert not smoke.two_worlds(True, "BA4", False, {smoke.WORLDS_ENV: "2"}, cpus=1)
    assert not smoke.two_worlds(False, None, False, {smoke.WORLDS_ENV: "2"}, cpus=8)


@pytest.mark.parametrize("is_local, tags, keep, env, cpus", [
    (False, None, False, {}, 2),                       # a live environment is one environment
    (True, "FV1 or P2", False, {}, 2),                 # a selection runs as selected
    (True, None, True, {}, 2),                         # --keep: one kept local AWS
    (True, None, False, {}, 1),                        # one CPU: no second core to use
    (True, None, False, {smoke.WORLDS_ENV: "1"}, 2),   # asked for one world
])
def test_otherwise_one_world(is_local, tags, keep, env, cpus):
    assert not smoke.two_worlds(is_local, tags, keep, env, cpus=cpus)


def test_a_bad_worlds_value_is_a_clear_error():
    with pytest.raises(LakegateError) as err:
        smoke.two_worlds(True, None, False, {smoke.WORLDS_ENV: "3"}, cpus=2)
    assert smoke.WORLDS_ENV in err.value.what


def test_the_split_covers_every_scenario_once():
    first, second = smoke.split_tags(("P1", "P2"))
    assert (first, second) == ("not (P1 or P2)", "(P1 or P2)")
    for expr in smoke.split_tags():
        assert smoke.validate_tags(expr) == expr
    assert set(smoke.SECOND_WORLD_ITEMS) <= checklist.REHEARSALS   # diagnosis scenarios only


@pytest.mark.parametrize("first, second, rc", [
    (0, 0, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1), (0, 5, 0), (2, 0, 2), (0, 2, 2), (1, 3, 3), (0, 4, 4)])
def test_exit_codes_combine_to_the_worst(first, second, rc):
    assert smoke.combine_exit_codes(first, second) == rc


# --- lakegate smoke with two children ------------------------------------------------------------

class FakeChild:
    """Stands in for the two pytest children: writes each selected item's record, and (first
    world) the handoff when ``handoff`` is set."""

    def __init__(self, rc=(0, 0), handoff: dict | None = None, second_waits: bool = False,
                 restored: tuple[str, str] | None = ("/cache/abc", "d" * 64),
                 first_record: dict | None = None):
        self.rc = rc
        self.handoff = handoff
        self.first_record = first_record   # what a first world that verified later recorded
        self.restored = restored
        self.second_waits = second_waits
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.seen_handoff: dict | None = None
        self.lock = threading.Lock()

    def __call__(self, cmd, env):
        with self.lock:
            self.calls.append((cmd, env))
        report_dir = Path(cmd[cmd.index("--lakegate-report-dir") + 1])
        expr = cmd[len(cmd) - 1 - cmd[::-1].index("-m") + 1]   # the last -m (the first is python -m)
        second = world.SECOND_WORLD_ENV in env
        chosen = [i.id for i in checklist.ITEMS if (i.id in smoke.SECOND_WORLD_ITEMS) == second]
        assert expr == smoke.split_tags()[1 if second else 0]
        if second and self.second_waits:   # like the world: wait for the first world's handoff
            self.seen_handoff = world.read_handoff(Path(env[world.SECOND_WORLD_ENV]), timeout=10)
        if not second and self.handoff is not None and world.HANDOFF_ENV in env:
            Path(env[world.HANDOFF_ENV]).write_text(json.dumps(self.handoff))
        speculated = not second and self.first_record is not None and world.VERIFY_RECORD_ENV in env
        if speculated:
            Path(env[world.VERIFY_RECORD_ENV]).write_text(json.dumps(self.first_record))
        if second:   # like the world: what it restored (a fallback run deploys by itself)
            peer = Path(env[world.SECOND_WORLD_ENV])
            with self.lock:
                again = sum(world.SECOND_WORLD_ENV in e for _, e in self.calls) > 1
            world.write_restored(peer, None if again else self.restored)
        # an unverified first world's results must not count: it "fails" here, its rerun passes
        status = "FAIL" if speculated and self.first_record.get("verified") is not True else "PASS"
        for item_id in chosen:
            evidence.append(report_dir, evidence.Record(item_id=item_id, scenario=f"scenario {item_id}",
                                                        status=status, started=1.0, finished=2.0))
        return self.rc[1 if second else 0], ""


def _run(tmp_path, runner, **kw):
    opts = smoke.SmokeOptions(report_dir=tmp_path / "reports", **kw)
    return smoke.run_smoke(opts, runner=runner, repo=SCENARIOS, git=lambda repo: "abc123")


VERIFIED = {"usable": True, "entry": "/cache/abc", "tfstate_sha256": "d" * 64}


def _dir(cmd):
    return Path(cmd[cmd.index("--lakegate-report-dir") + 1])


def test_two_children_each_with_its_world(tmp_path):
    runner = FakeChild(handoff=VERIFIED)
    res = _run(tmp_path, runner)
    assert len(runner.calls) == 2
    (first, first_env), = [c for c in runner.calls if world.SECOND_WORLD_ENV not in c[1]]
    (second, second_env), = [c for c in runner.calls if world.SECOND_WORLD_ENV in c[1]]
    assert world.HANDOFF_ENV not in second_env
    assert second_env[world.SECOND_WORLD_ENV] == first_env[world.HANDOFF_ENV]   # the same handoff file
    assert first_env["LAKEGATE_LOCAL_STATE"] != second_env["LAKEGATE_LOCAL_STATE"]   # two local AWSs
    # only the first world may verify its deploy beside its scenarios
    assert world.VERIFY_RECORD_ENV in first_env and world.VERIFY_RECORD_ENV not in second_env
    # each world's evidence is written aside and merged once it counts
    assert res.report_dir not in (_dir(first), _dir(second)) and _dir(first) != _dir(second)
    assert {r.item_id for r in evidence.load(res.report_dir)} == {i.id for i in checklist.ITEMS}
    assert res.decision == "GO" and res.exit_code == 0 and res.counts["PASS"] == len(checklist.ITEMS)
    assert res.notes == []
    assert evidence.read_meta(res.report_dir)["tags"] == "(all)"   # the user selected nothing


@pytest.mark.parametrize("handoff, restored, why", [
    ({"usable": False, "why": "the first world's deploy was cache 'hit' (plan applied)"}, ("/cache/abc", "d" * 64),
     "verified no deploy-cache entry"),
    (VERIFIED, ("/cache/other", "e" * 64), "another deploy-cache entry"),
    (None, ("/cache/abc", "d" * 64), "without a handoff"),
])
def test_an_unconfirmed_second_world_counts_nothing_and_runs_again(tmp_path, handoff, restored, why):
    """Fail closed: the second world restored an entry the first world did not verify (its plan
    was not empty, another entry, no verification at all): its records are dropped and its
    scenarios run again in a world that deploys and verifies by itself, into the reports."""
    runner = FakeChild(handoff=handoff, restored=restored)
    res = _run(tmp_path, runner)
    assert len(runner.calls) == 3
    again, again_env = runner.calls[2]
    assert world.SECOND_WORLD_ENV in again_env and _dir(again) == res.report_dir
    assert world.read_handoff(Path(again_env[world.SECOND_WORLD_ENV]), timeout=0)["usable"] is False
    assert again_env["LAKEGATE_LOCAL_STATE"] not in {env["LAKEGATE_LOCAL_STATE"] for _, env in runner.calls[:2]}
    assert len(res.notes) == 1 and why in res.notes[0] and "ran again" in res.notes[0]
    assert res.decision == "GO" and res.counts["PASS"] == len(checklist.ITEMS)


def test_a_first_world_verified_beside_its_scenarios_counts(tmp_path):
    runner = FakeChild(handoff=VERIFIED, first_record={"verified": True})
    res = _run(tmp_path, runner)
    assert len(runner.calls) == 2 and res.notes == []
    assert res.decision == "GO" and res.counts["PASS"] == len(checklist.ITEMS)


@pytest.mark.parametrize("record, why", [
    ({"verified": False, "why": "the verification plan of deploy-cache entry abc planned changes"},
     "planned changes"),
    ({"verified": None}, "did not finish"),          # its process ended before the plan did
])
def test_an_unverified_first_world_counts_nothing_and_runs_again(tmp_path, record, why):
    """Fail closed: the first world started its scenarios beside a verification plan that then
    found changes (or never finished): its records are dropped and its scenarios run again in a
    world that deploys and verifies before them (no record, no handoff), into the reports; the
    second world, whose entry was then never verified, runs again too."""
    runner = FakeChild(handoff={"usable": False, "why": "the first world's deploy was cache 'hit' (plan unverified)"},
                       first_record=record)
    res = _run(tmp_path, runner)
    firsts = [(cmd, env) for cmd, env in runner.calls if world.SECOND_WORLD_ENV not in env]
    assert len(firsts) == 2 and len(runner.calls) == 4
    again, again_env = firsts[1]
    assert _dir(again) == res.report_dir
    assert world.VERIFY_RECORD_ENV not in again_env and world.HANDOFF_ENV not in again_env
    assert again_env["LAKEGATE_LOCAL_STATE"] not in {env["LAKEGATE_LOCAL_STATE"] for _, env in runner.calls[:2]}
    assert any(why in n and "first world's scenarios ran again" in n for n in res.notes), res.notes
    # every item once, from the runs that count
    assert res.decision == "GO" and res.counts["PASS"] == len(checklist.ITEMS) and res.counts["FAIL"] == 0


def test_an_unconfirmed_second_world_that_fails_again_is_no_go(tmp_path):
    runner = FakeChild(handoff={"usable": False, "why": "x"}, rc=(0, 1))
    assert _run(tmp_path, runner).exit_code == 1


def test_a_failure_in_either_world_is_no_go(tmp_path):
    assert _run(tmp_path, FakeChild(rc=(0, 1))).exit_code == 1
    assert _run(tmp_path, FakeChild(rc=(1, 0))).exit_code == 1


def test_the_second_world_is_released_when_the_first_ends_without_a_handoff(tmp_path):
    """A first world that never deployed (crashed, interrupted) must not leave the second one
    waiting: smoke writes an unusable handoff when the first child is gone."""
    runner = FakeChild(second_waits=True, restored=None)
    first_done = threading.Event()
    real = runner.__call__

    def ordered(cmd, env):   # the second child asks only after the first ended
        if world.SECOND_WORLD_ENV in env:
            first_done.wait(10)
            time.sleep(0.3)
        try:
            return real(cmd, env)
        finally:
            if world.SECOND_WORLD_ENV not in env:
                first_done.set()

    res = _run(tmp_path, ordered)
    assert runner.seen_handoff is not None and runner.seen_handoff["usable"] is False
    assert "without a handoff" in runner.seen_handoff["why"]
    assert res.decision == "GO"


def test_a_selection_runs_in_one_child(tmp_path):
    calls = []

    def runner(cmd, env):
        calls.append((cmd, env))
        return 0, ""
    _run(tmp_path, runner, tags="FV1 or P2")
    assert len(calls) == 1 and world.SECOND_WORLD_ENV not in calls[0][1] and world.HANDOFF_ENV not in calls[0][1]


# --- the handoff ---------------------------------------------------------------------------------

def _deployed(cache="hit", plan="empty", entry="/cache/abc", digest="d" * 64):
    return deploy.DeployResult(endpoint="http://127.0.0.1:1", outputs={}, cache=cache, cache_plan=plan,
                               cache_entry=entry, cache_tfstate_sha256=digest)


@pytest.mark.parametrize("cache, plan, usable", [
    ("hit", "empty", True), ("miss", None, True), ("hit", "applied", False), ("off", None, False),
    ("skipped: the local AWS already served requests", None, False)])
def test_only_a_verified_entry_is_handed_over(tmp_path, cache, plan, usable):
    path = tmp_path / "handoff.json"
    world.write_handoff(path, _deployed(cache, plan))
    doc = world.read_handoff(path, timeout=1)
    assert doc["usable"] is usable
    if usable:
        assert doc["entry"] == "/cache/abc" and doc["tfstate_sha256"] == "d" * 64
    else:
        assert cache in doc["why"]


def test_no_entry_no_handoff(tmp_path):
    path = tmp_path / "handoff.json"
    world.write_handoff(path, _deployed(entry=None))
    assert world.read_handoff(path, timeout=1)["usable"] is False


@pytest.mark.parametrize("text", ["not json", "[]", '{"usable": true}', '{"entry": 1, "tfstate_sha256": "x"}'])
def test_an_unreadable_handoff_is_unusable(tmp_path, text):
    path = tmp_path / "handoff.json"
    path.write_text(text)
    assert world.read_handoff(path, timeout=1)["usable"] is False


def test_no_handoff_in_time_is_unusable(tmp_path):
    t0 = time.monotonic()
    doc = world.read_handoff(tmp_path / "never.json", timeout=0.3, poll=0.05)
    assert doc["usable"] is False and "within" in doc["why"] and time.monotonic() - t0 < 5


def test_the_handoff_written_later_is_read(tmp_path):
    path = tmp_path / "handoff.json"
    threading.Timer(0.3, lambda: world.write_handoff(path, _deployed())).start()
    assert world.read_handoff(path, timeout=10, poll=0.05)["usable"] is True


# --- the second world's deploy -------------------------------------------------------------------

class _Driver:
    def __init__(self, copy_dir: Path):
        self.copy_dir = copy_dir


def _entry(tmp_path) -> tuple[Path, str]:
    entry = tmp_path / "cache" / "key"
    entry.mkdir(parents=True)
    (entry / deploy.SNAPSHOT_FILE).write_bytes(b"snapshot")
    (entry / deploy.TFSTATE_FILE).write_text('{"resources": [1]}')
    return entry, hashlib.sha256((entry / deploy.TFSTATE_FILE).read_bytes()).hexdigest()


@pytest.fixture
def server(monkeypatch):
    state = {"health": {"requests": 0, "restored_from": None, "code_sha256": "c"}, "restored": []}
    monkeypatch.setattr(deploy.localenv, "health", lambda endpoint: state["health"])
    monkeypatch.setattr(deploy.localenv, "restore_snapshot", lambda st, path: state["restored"].append(Path(path)))
    return state


class _St:
    endpoint = "http://127.0.0.1:1"


def test_the_verified_entry_is_restored_without_a_plan(tmp_path, server):
    entry, digest = _entry(tmp_path)
    driver = _Driver(tmp_path / "copy")
    deploy._restore_verified(driver, _St(), entry, digest)
    assert server["restored"] == [entry / deploy.SNAPSHOT_FILE]
    assert (driver.copy_dir / deploy.TFSTATE_FILE).read_text() == '{"resources": [1]}'


@pytest.mark.parametrize("why", ["served", "restored", "replaced", "gone"])
def test_the_verified_entry_is_refused_before_anything_is_restored(tmp_path, server, why):
    entry, digest = _entry(tmp_path)
    if why == "served":
        server["health"]["requests"] = 3
    elif why == "restored":
        server["health"]["restored_from"] = "/x"
    elif why == "replaced":
        (entry / deploy.TFSTATE_FILE).write_text('{"resources": [2]}')
    else:
        (entry / deploy.SNAPSHOT_FILE).unlink()
    with pytest.raises(LakegateError):
        deploy._restore_verified(_Driver(tmp_path / "copy"), _St(), entry, digest)
    assert server["restored"] == []


def test_verified_entry_of_a_deploy():
    assert deploy.verified_entry(_deployed()) == ("/cache/abc", "d" * 64)
    assert deploy.verified_entry(_deployed("hit", "verified")) == ("/cache/abc", "d" * 64)
    assert deploy.verified_entry(_deployed("hit", "applied")) is None
    assert deploy.verified_entry(_deployed(digest=None)) is None


# --- confirming the second world -----------------------------------------------------------------

@pytest.mark.parametrize("handoff, restored, ok", [
    (VERIFIED, ("/cache/abc", "d" * 64), True),
    (VERIFIED, ("/cache/abc", "e" * 64), False),            # same entry path, another state
    ({"usable": False, "why": "plan applied"}, ("/cache/abc", "d" * 64), False),
    (None, ("/cache/abc", "d" * 64), False),                 # the first world never handed over
    ({"usable": False, "why": "x"}, None, True),             # deployed and verified by itself
])
def test_second_world_confirmed(tmp_path, handoff, restored, ok):
    path = tmp_path / "handoff.json"
    if handoff is not None:
        path.write_text(json.dumps(handoff))
    world.write_restored(path, restored)
    assert world.second_world_confirmed(path)[0] is ok


def test_a_second_world_that_did_not_deploy_is_not_confirmed(tmp_path):
    path = tmp_path / "handoff.json"
    path.write_text(json.dumps(VERIFIED))
    assert world.second_world_confirmed(path)[0] is False            # no record at all
    world.write_restored(path, None, why="the second world's deploy failed")
    ok, why = world.second_world_confirmed(path)
    assert ok is False and "deploy failed" in why


# --- the entry the second world restores early ---------------------------------------------------

def test_find_entry_names_the_entry_a_deploy_would_restore(tmp_path, monkeypatch, server):
    """The very key ``_apply_with_cache`` uses (same driver, same server code), and only a complete
    entry of a pristine server."""
    from lakegate.terraform import TerraformDriver

    monkeypatch.setenv(deploy.CACHE_ENV, str(tmp_path / "cache"))
    st = type("St", (), {"endpoint": "http://127.0.0.1:1"})()
    monkeypatch.setattr(deploy.localenv, "load_state", lambda path=None: st)
    tf_dir = REPO / "terraform"
    work = tmp_path / "copy"
    assert deploy.find_entry(tf_dir, work_dir=work) is None           # no entry yet
    driver = TerraformDriver(tf_dir, target="local", endpoint=st.endpoint, work_dir=work)
    entry = tmp_path / "cache" / deploy.cache_key(driver, "c")
    entry.mkdir(parents=True)
    (entry / deploy.SNAPSHOT_FILE).write_bytes(b"s")
    assert deploy.find_entry(tf_dir, work_dir=work) is None           # incomplete: no Terraform state
    (entry / deploy.TFSTATE_FILE).write_text("{}")
    assert deploy.find_entry(tf_dir, work_dir=work) == (str(entry), hashlib.sha256(b"{}").hexdigest())
    server["health"]["code_sha256"] = "other server code"
    assert deploy.find_entry(tf_dir, work_dir=work) is None           # another key
    server["health"]["code_sha256"] = "c"
    server["health"]["requests"] = 1
    assert deploy.find_entry(tf_dir, work_dir=work) is None           # not pristine
    server["health"]["requests"] = 0
    monkeypatch.setenv(deploy.CACHE_ENV, "off")
    assert deploy.find_entry(tf_dir, work_dir=work) is None           # cache off
    assert server["restored"] == []                                   # nothing restored, ever


# --- the second world's child --------------------------------------------------------------------

def test_the_second_child_runs_niced_and_its_output_is_kept(tmp_path):
    import os
    import sys

    child = smoke._QuietChild([sys.executable, "-c", "import os; print('nice', os.nice(0))"], dict(os.environ), nice=5)
    rc, out = child.wait(timeout=60)
    assert rc == 0 and out.strip() == f"nice {os.nice(0) + 5}"


def test_a_second_child_that_does_not_end_is_killed(tmp_path):
    import os
    import sys

    child = smoke._QuietChild([sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    t0 = time.monotonic()
    child.stop(grace=0.2)
    assert child.proc.returncode is not None and time.monotonic() - t0 < 20


@pytest.mark.parametrize("value, nice", [("", smoke.SECOND_WORLD_NICE), ("0", 0), ("19", 19)])
def test_second_world_nice(value, nice):
    assert smoke.second_world_nice({smoke.NICE_ENV: value}) == nice


@pytest.mark.parametrize("value", ["-1", "20", "x", "5.5"])
def test_a_bad_niceness_is_a_clear_error(value):
    with pytest.raises(LakegateError) as err:
        smoke.second_world_nice({smoke.NICE_ENV: value})
    assert smoke.NICE_ENV in err.value.what


# --- the world fixture in each role (no local AWS, no terraform: fakes) --------------------------

class _Config:
    def getoption(self, name):
        return {"--lakegate-plan": None, "--lakegate-keep": False, "--lakegate-rows": 10}[name]


class _Request:
    def __init__(self):
        self.finalizers = []

    def addfinalizer(self, fn):
        self.finalizers.append(fn)


class _LocalEnv:
    name, kind, is_local, seed, workflow, region = "local", "local", True, None, None, None

    def terraform_dir(self):
        return REPO / "terraform"

    def resolved_region(self):
        return "us-east-1"


@pytest.fixture
def fake_world(tmp_path, monkeypatch):
    """The world's collaborators replaced: what it deployed, started and replayed is recorded."""
    from lakegate import localenv

    seen = {"deploy": [], "offline": 0, "replayed": 0, "fail": None}
    monkeypatch.setenv("LAKEGATE_LOCAL_STATE", str(tmp_path / "state.json"))
    monkeypatch.delenv(world.HANDOFF_ENV, raising=False)
    monkeypatch.delenv(world.SECOND_WORLD_ENV, raising=False)
    monkeypatch.delenv(world.VERIFY_RECORD_ENV, raising=False)
    monkeypatch.setattr(localenv, "read_state", lambda path: None)
    monkeypatch.setattr(localenv, "start", lambda **kw: type("St", (), {"endpoint": "http://127.0.0.1:1"})())
    monkeypatch.setattr(localenv, "stop", lambda *a, **k: "stopped")

    def deploy_local(tf_dir, **kw):
        seen["deploy"].append(kw)
        if seen["fail"]:
            raise LakegateError(seen["fail"], where="x", fix="y")
        if kw.get("verify_later") and seen.get("pending") is not None:
            res = _deployed("hit", "pending")
            res.pending = seen["pending"]
            return res
        return _deployed() if kw.get("verified") is None else _deployed("hit", "verified")
    monkeypatch.setattr(deploy, "deploy_local", deploy_local)
    monkeypatch.setattr(deploy, "find_entry", lambda *a, **k: seen.get("entry"))
    monkeypatch.setattr(world, "names_for", lambda outputs, clients, workflow=None: "names")
    monkeypatch.setattr(world, "Clients", lambda env, endpoint=None: "clients")

    def offline(*a):
        seen["offline"] += 1
    monkeypatch.setattr(world, "_start_offline_plan", offline)
    monkeypatch.setattr(world.World, "workflow_run", lambda self: seen.__setitem__("replayed", seen["replayed"] + 1))
    return seen


def test_the_first_world_hands_over_its_verified_entry(tmp_path, monkeypatch, fake_world):
    handoff = tmp_path / "handoff.json"
    monkeypatch.setenv(world.HANDOFF_ENV, str(handoff))
    w = world._local_world(_Config(), _Request(), _LocalEnv())
    (kw,) = fake_world["deploy"]
    assert kw["verified"] is None and kw["show_state"] is True and kw["verify_later"] is False
    assert fake_world["offline"] == 1 and fake_world["replayed"] == 0
    assert world.read_handoff(handoff, timeout=0) == {"usable": True, "entry": "/cache/abc", "tfstate_sha256": "d" * 64}
    w.close()


class _Pending:
    """A verification plan still running (lakegate.deploy.PendingVerification) until released."""

    def __init__(self, ok: bool, why: str = "") -> None:
        self.result, self.release = (ok, why), threading.Event()

    def wait(self):
        assert self.release.wait(10)
        return self.result

    def shown(self):
        return None


@pytest.mark.parametrize("ok, why", [(True, ""), (False, "the verification plan of deploy-cache entry abc planned changes")])
def test_a_first_world_verifying_beside_its_scenarios_hands_over_only_what_it_verified(
        tmp_path, monkeypatch, fake_world, ok, why):
    handoff, record = tmp_path / "handoff.json", tmp_path / "first-verified.json"
    monkeypatch.setenv(world.HANDOFF_ENV, str(handoff))
    monkeypatch.setenv(world.VERIFY_RECORD_ENV, str(record))
    fake_world["pending"] = pending = _Pending(ok, why)
    w = world._local_world(_Config(), _Request(), _LocalEnv())   # returns while the plan runs
    (kw,) = fake_world["deploy"]
    assert kw["verify_later"] is True and kw["show_state"] is True
    assert json.loads(record.read_text()) == {"verified": None} and not handoff.exists()
    assert world.first_world_verified(record)[0] is False   # not yet
    pending.release.set()
    w.close()   # waits for the verification (before the local AWS stops)
    assert world.first_world_verified(record) == (ok, why if not ok else
                                                   "the first world's verification plan, run beside its scenarios, was empty")
    doc = world.read_handoff(handoff, timeout=0)
    assert doc["usable"] is ok
    if ok:
        assert doc == {"usable": True, "entry": "/cache/abc", "tfstate_sha256": "d" * 64}


def test_a_first_world_that_fails_to_deploy_says_so(tmp_path, monkeypatch, fake_world):
    handoff = tmp_path / "handoff.json"
    monkeypatch.setenv(world.HANDOFF_ENV, str(handoff))
    fake_world["fail"] = "terraform plan failed"
    with pytest.raises(LakegateError):
        world._local_world(_Config(), _Request(), _LocalEnv())
    doc = world.read_handoff(handoff, timeout=0)
    assert doc["usable"] is False and "deploy failed" in doc["why"]


def test_the_second_world_restores_the_entry_early_and_replays_the_runs(tmp_path, monkeypatch, fake_world):
    handoff = tmp_path / "handoff.json"
    monkeypatch.setenv(world.SECOND_WORLD_ENV, str(handoff))
    fake_world["entry"] = ("/cache/abc", "d" * 64)
    w = world._local_world(_Config(), _Request(), _LocalEnv())
    (kw,) = fake_world["deploy"]
    assert kw["verified"] == ("/cache/abc", "d" * 64) and kw["show_state"] is False
    assert fake_world["offline"] == 0          # no BA2/BA3 here: no gate plan
    assert fake_world["replayed"] == 1         # the bronze crawl and workflow run of features 01-03
    assert json.loads(world.restored_path(handoff).read_text()) == {"entry": "/cache/abc", "tfstate_sha256": "d" * 64}
    handoff.write_text(json.dumps(VERIFIED))
    assert world.second_world_confirmed(handoff)[0] is True
    w.close()


def test_a_second_world_without_an_entry_uses_the_handoff_or_deploys_itself(tmp_path, monkeypatch, fake_world):
    handoff = tmp_path / "handoff.json"
    monkeypatch.setenv(world.SECOND_WORLD_ENV, str(handoff))
    fake_world["entry"] = ("/cache/early", "e" * 64)   # ignored: a handoff is already there
    handoff.write_text(json.dumps({"usable": False, "why": "plan applied"}))
    world._local_world(_Config(), _Request(), _LocalEnv()).close()
    assert fake_world["deploy"][-1]["verified"] is None          # deploys (and verifies) by itself
    assert json.loads(world.restored_path(handoff).read_text()) == {"self_verified": True}
    handoff.write_text(json.dumps(VERIFIED))
    world._local_world(_Config(), _Request(), _LocalEnv()).close()
    assert fake_world["deploy"][-1]["verified"] == ("/cache/abc", "d" * 64)


def test_a_second_world_that_fails_to_deploy_is_not_confirmed(tmp_path, monkeypatch, fake_world):
    handoff = tmp_path / "handoff.json"
    monkeypatch.setenv(world.SECOND_WORLD_ENV, str(handoff))
    fake_world["entry"] = ("/cache/abc", "d" * 64)
    fake_world["fail"] = "the deploy-cache entry verified in this run is gone"
    with pytest.raises(LakegateError):
        world._local_world(_Config(), _Request(), _LocalEnv())
    handoff.write_text(json.dumps(VERIFIED))
    ok, why = world.second_world_confirmed(handoff)
    assert ok is False and "deploy failed" in why


def test_both_local_aws_logs_end_up_in_the_report(tmp_path):
    class Logging(FakeChild):
        def __call__(self, cmd, env):
            log = Path(env["LAKEGATE_LOCAL_STATE"]).parent / "server.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("second world log\n" if world.SECOND_WORLD_ENV in env else "first world log\n")
            return super().__call__(cmd, env)

    res = _run(tmp_path, Logging(handoff=VERIFIED))
    text = (res.report_dir / smoke.LOCAL_LOG).read_text()
    assert text.index("first world log") < text.index(f"the second world's local AWS ({', '.join(smoke.SECOND_WORLD_ITEMS)})") \
        < text.index("second world log")


def test_strays_of_this_run_are_stopped_and_nothing_else(tmp_path):
    """A process that inherited this run's state file (a provider plugin left by a killed
    terraform) is stopped; one with another state file is not touched."""
    import os
    import subprocess
    import sys

    ours, other = tmp_path / "run" / "local" / "state.json", tmp_path / "user" / "state.json"
    procs = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                              env=dict(os.environ, LAKEGATE_LOCAL_STATE=str(path))) for path in (ours, other)]
    try:
        deadline = time.monotonic() + 20   # the environment is readable once the child has exec'd
        while time.monotonic() < deadline and b"LAKEGATE_LOCAL_STATE" not in Path(
                f"/proc/{procs[0].pid}/environ").read_bytes():
            time.sleep(0.05)
        notes = smoke.stop_strays([ours], grace=5)
        assert procs[0].wait(timeout=10) is not None
        assert len(notes) == 1 and f"pid {procs[0].pid}" in notes[0]
        assert procs[1].poll() is None                        # not ours: still running
        assert smoke.stop_strays([ours], grace=1) == []       # nothing left
    finally:
        for p in procs:
            p.kill()
            p.wait()

"""The scenarios' world starts the gate's offline plan before the deploy; the gate then waits for
that very plan (its result or its error) instead of planning again."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from lakegate.errors import LakegateError
from lakegate.scenarios.steps import world as world_mod


class _Env:
    name = "local"
    is_local = True

    def __init__(self, tf_dir: Path) -> None:
        self._tf_dir = tf_dir

    def terraform_dir(self) -> Path:
        return self._tf_dir

    def resolved_region(self) -> str:
        return "us-east-1"


def _world(tmp_path: Path, background) -> world_mod.World:
    tf_dir = tmp_path / "infra"
    tf_dir.mkdir(exist_ok=True)
    (tf_dir / "main.tf").write_text('resource "aws_s3_bucket" "raw" {\n  bucket = "orders-raw"\n}\n')
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return world_mod.World(_Env(tf_dir), clients=None, names=None, state_dir=tmp_path / "state",
                           scratch=scratch, offline_plan=background(scratch))


def test_the_gate_reviews_the_plan_made_in_the_background(tmp_path, monkeypatch):
    started = threading.Event()
    release = threading.Event()
    plan = {"format_version": "1.2", "terraform_version": "1.11.0",
            "planned_values": {"root_module": {"resources": [
                {"address": "aws_s3_bucket.raw", "mode": "managed", "type": "aws_s3_bucket",
                 "name": "raw", "provider_name": "registry.terraform.io/hashicorp/aws",
                 "values": {"bucket": "orders-raw"}}]}},
            "resource_changes": [{"address": "aws_s3_bucket.raw", "mode": "managed",
                                  "type": "aws_s3_bucket", "name": "raw",
                                  "change": {"actions": ["create"], "before": None,
                                             "after": {"bucket": "orders-raw"}}}]}

    def background(scratch: Path):
        def make() -> None:
            started.set()
            release.wait(30)
            (scratch / "plan.json").write_text(json.dumps(plan))
        return world_mod._Background(make)

    def no_second_plan(*a, **k):
        raise AssertionError("the gate planned again instead of using the background plan")

    monkeypatch.setattr("lakegate.terraform.TerraformDriver.plan", no_second_plan)
    w = _world(tmp_path, background)
    assert started.wait(30)
    release.set()           # the gate below has to wait for the background plan to finish
    result = w.gate_result()
    assert result.resources == 1
    assert w.planned_changes() == {"crawlers": [], "jobs": [], "iam": []}
    w.close()
    assert not (tmp_path / "scratch").exists()


def test_the_background_plans_error_is_raised_where_the_gate_asks(tmp_path):
    def background(scratch: Path):
        def fail() -> None:
            raise LakegateError("terraform plan failed (offline target): bad reference",
                                where="main.tf:3", fix="fix the reference")
        return world_mod._Background(fail)

    w = _world(tmp_path, background)
    with pytest.raises(LakegateError, match="bad reference"):
        w.gate_result()
    with pytest.raises(LakegateError, match="bad reference"):   # shared, like every once() result
        w.gate_result()
    w.close()


# --- the deployed state's `terraform show -json`, made while the deploy's plan ran ---------------

class _Driver:
    def __init__(self) -> None:
        self.shows = 0

    def show_state(self, lock: bool = True) -> dict:
        self.shows += 1
        return {"values": {"shown": self.shows}}


def test_the_backup_uses_the_state_shown_during_the_deploy_while_the_state_is_unchanged(tmp_path):
    from lakegate.deploy import DeployResult, _show_state_meanwhile

    tfstate = tmp_path / "terraform.tfstate"
    tfstate.write_text('{"version": 4, "resources": []}')
    driver = _Driver()
    box: dict = {}
    _show_state_meanwhile(driver, tfstate, box).join()
    res = DeployResult(endpoint="http://x", outputs={}, tf_state=str(tfstate), state_document=box["doc"])
    w = world_mod.World(_Env(tmp_path), clients=None, names=None, driver=driver, state_dir=tmp_path / "s",
                        scratch=tmp_path / "scratch", deployed=res)
    assert w.terraform_state() == {"values": {"shown": 1}} and driver.shows == 1   # no second show
    tfstate.write_text('{"version": 4, "resources": [{"type": "aws_s3_bucket"}]}')  # e.g. an apply
    assert w.terraform_state() == {"values": {"shown": 2}} and driver.shows == 2   # shown again
    assert "state_document" not in res.summary()   # never written to deploy.json


def test_a_show_that_failed_or_saw_the_state_change_is_not_kept(tmp_path):
    from lakegate.deploy import _show_state_meanwhile

    tfstate = tmp_path / "terraform.tfstate"
    tfstate.write_text("{}")

    class Failing(_Driver):
        def show_state(self, lock: bool = True) -> dict:
            raise RuntimeError("terraform show failed")

    class Racing(_Driver):
        def show_state(self, lock: bool = True) -> dict:
            tfstate.write_text('{"changed": true}')     # the state changed while it was shown
            return super().show_state(lock)

    for driver in (Failing(), Racing()):
        box: dict = {}
        _show_state_meanwhile(driver, tfstate, box).join()
        assert "doc" not in box


def test_the_gates_review_of_the_offline_plan_is_made_in_the_background_too(tmp_path, monkeypatch):
    import tf_checks.engine

    plan = {"format_version": "1.2", "terraform_version": "1.11.0", "resource_changes": [],
            "planned_values": {"root_module": {"resources": []}}}
    monkeypatch.setattr("lakegate.terraform.TerraformDriver.plan",
                        lambda self, out=None: (Path(out).write_text(json.dumps(plan)), plan)[1])
    threads: list[str] = []
    real = tf_checks.engine.check_path

    def check_path(*a, **k):
        threads.append(threading.current_thread().name)
        return real(*a, **k)

    monkeypatch.setattr(tf_checks.engine, "check_path", check_path)
    w = _world(tmp_path, lambda scratch: world_mod._start_offline_plan(_Env(tmp_path / "infra"), None, scratch))
    result = w.gate_result()
    assert result.resources == 0
    assert threads == ["lakegate-world-plan"]      # reviewed once, in the plan's thread
    w.close()


def test_a_cache_entry_keeps_the_show_of_its_state_for_the_next_hit(tmp_path):
    """The show made during one hit is kept in the deploy-cache entry and served to the next hit
    only for a state file with the digest it was made from (what `show -json` prints depends on the
    state, the provider schemas and terraform's version; the cache key covers the last two)."""
    from lakegate.deploy import STATE_SHOW_FILE, TFSTATE_FILE, _file_sha256, _save_show, _saved_show

    entry = tmp_path / "entry"
    entry.mkdir()
    (entry / TFSTATE_FILE).write_text('{"version": 4, "serial": 7}')
    restored = tmp_path / "copy" / TFSTATE_FILE
    restored.parent.mkdir()
    restored.write_bytes((entry / TFSTATE_FILE).read_bytes())
    assert not _saved_show(entry, restored, {})                  # nothing kept yet: show it
    _save_show(entry, {"doc": (_file_sha256(restored), {"values": {"root_module": {}}})})
    box: dict = {}
    assert _saved_show(entry, restored, box)
    assert box["doc"] == (_file_sha256(restored), {"values": {"root_module": {}}})
    restored.write_text('{"version": 4, "serial": 8}')          # another state: shown anew
    assert not _saved_show(entry, restored, {})
    _save_show(entry, {"doc": (_file_sha256(restored), {"other": True})})   # not the entry's state
    assert '"other"' not in (entry / STATE_SHOW_FILE).read_text()

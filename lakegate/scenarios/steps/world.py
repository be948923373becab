"""The shared world of the scenarios: one environment, its clients and names, and the expensive
actions (crawler run, workflow run, the gate's review of the plan) done once per test session and
shared by the scenarios that validate them.

For the local environment the world brings up its own local AWS (an isolated state file, so a
user's running instance is never touched), applies the reference pipeline into it through the
driver, seeds generated bronze data, and stops what it started. For a live environment it only
reads names and credentials (lakegate.toml); nothing is deployed.

Nothing the world writes for a live environment goes to the report directory: plans (which may
hold sensitive values in clear) live in a temporary folder removed at the end of the session, and
backups of bookmarks and catalog tables go to the backup folder (``LAKEGATE_BACKUP_DIR``, default
``.lakegate/backups/<env>`` under the current directory), where they outlive the run.

A full local ``lakegate smoke`` runs two worlds side by side, each in its own pytest child and
local AWS ("two worlds" below, lakegate/smoke.py): the second one restores the deploy-cache entry
the first one verifies, replays the bronze crawl and the workflow run, and runs
``lakegate.smoke.SECOND_WORLD_ITEMS`` (P1, P2, P4).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from lakegate import context, runbook
from lakegate.envconfig import Clients, Environment, get_environment
from lakegate.names import PipelineNames, names_for

BACKUP_DIR_ENV = "LAKEGATE_BACKUP_DIR"


class World:
    def __init__(self, env: Environment, clients: Any, names: PipelineNames, *, driver: Any = None,
                 state_dir: Path | None = None, plan_file: Path | None = None,
                 scratch: Path | None = None, offline_plan: "_Background | None" = None,
                 deployed: Any = None) -> None:
        self.env = env
        self.clients = clients
        self.names = names
        self.driver = driver
        self.started = time.time()           # "this run": FV2-FV4 compare update times with it
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="lakegate-world-"))
        self.plan_file = plan_file           # --lakegate-plan: the plan the gate approved and apply applied
        self.scratch = scratch or Path(tempfile.mkdtemp(prefix="lakegate-plan-"))   # plans: never in the report dir
        self._offline_plan = offline_plan    # the gate's plan, started before the deploy (_local_world)
        self._deployed = deployed            # the local deploy (lakegate.deploy.DeployResult)
        self._once: dict[str, Any] = {}
        self.progress: list[str] = []
        self._verifying: Any = None          # the thread that awaits a pending verification plan

    def close(self) -> None:
        if self._verifying is not None:   # before the local AWS stops: the plan talks to it
            self._verifying.join()
        if self._offline_plan is not None:
            self._offline_plan.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` the first time ``key`` is asked for; later callers share its result (or error)."""
        if key not in self._once:
            try:
                self._once[key] = ("ok", fn())
            except BaseException as err:  # noqa: BLE001 - re-raised to every caller
                self._once[key] = ("err", err)
        kind, value = self._once[key]
        if kind == "err":
            raise value
        return value

    def forget(self, *keys: str) -> None:
        for key in keys:
            self._once.pop(key, None)

    def note(self, msg: str) -> None:
        self.progress.append(f"{time.time() - self.started:7.1f}s {msg}")

    # --- shared expensive actions ----------------------------------------------------------
    def bronze_crawl(self) -> runbook.CrawlResult:
        """PASSO 2, once per session; an AccessDenied from late IAM propagation is waited out."""
        def crawl() -> runbook.CrawlResult:
            from lakegate import recovery

            res, retried = recovery.crawl_through_iam(self.clients, self.names, self.names.bronze_crawler,
                                                      timeout=1800, progress=self.note)
            if retried:
                self.note(f"bronze crawler retried after IAM propagation: {retried['iam_wait']}")
            return res
        return self.once("bronze_crawl", crawl)

    def workflow_run(self) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            self.bronze_crawl()
            run_id = runbook.start_workflow(self.clients, self.names, progress=self.note)
            seen: list[str] = []
            status = runbook.monitor_workflow(self.clients, self.names, run_id, timeout=3600,
                                              progress=lambda m: (seen.append(m), self.note(m)))
            return {"run_id": run_id, "status": status, "progress": seen,
                    "nodes": runbook.workflow_node_runs(self.clients, self.names, run_id),
                    "started": status.started or time.time()}
        return self.once("workflow_run", run)

    @property
    def plan_source(self) -> str:
        if self.plan_file is not None:
            return f"the plan the gate approved and apply applied ({self.plan_file.name})"
        if self.env.is_local:
            return "an offline plan of the configuration (the local AWS is deployed from empty state)"
        return "the configuration planned against the environment's real state"

    def gate_result(self) -> Any:
        """The gate's review of the plan (findings, workflow summaries, the recovery plan)."""
        def run() -> Any:
            from tf_checks.engine import check_path

            tf_dir = self.tf_dir()
            if self.plan_file is not None:
                return check_path(self.plan_file, tf_dir if tf_dir is not None and tf_dir.is_dir() else None)
            from lakegate.terraform import TerraformDriver

            if tf_dir is None or not tf_dir.is_dir():
                from lakegate.errors import LakegateError

                raise LakegateError(f"no plan to review: no --plan was given and {tf_dir} is not a directory",
                                    where=f"[environments.{self.env.name}] tf_dir",
                                    fix="pass the applied plan with `lakegate smoke --plan PLAN.json` or set tf_dir")
            out = self.scratch / "plan.json"
            if self._offline_plan is not None:   # the same plan, already under way (_local_world)
                reviewed = self._offline_plan.result()
                if reviewed is not None:         # ... and the gate's review of it, made right after
                    return reviewed
            else:
                TerraformDriver(tf_dir, target="offline" if self.env.is_local else "aws",
                                region=self.env.resolved_region()).plan(out)
            return check_path(out, tf_dir)
        return self.once("gate", run)

    def planned_changes(self) -> dict[str, list[str]]:
        """What the reviewed plan changes, read from the plan JSON itself (not from the gate)."""
        return self.once("planned_changes", lambda: plan_changes(self.plan_file or self.scratch / "plan.json"))

    def tf_dir(self) -> Path | None:
        try:
            return self.env.terraform_dir()
        except Exception:  # noqa: BLE001 - a live env may only have --plan
            return None

    def recovery_plan(self) -> dict[str, Any]:
        return self.gate_result().recovery_plan

    def terraform_state(self) -> dict[str, Any] | None:
        """``terraform show -json`` of the deployed state: the one the deploy made while its plan
        ran (a cache hit) if the state file is still the one it showed, else a new ``show``."""
        if self.driver is None:
            return None
        shown = self._deployed.shown_state() if self._deployed is not None else None
        return shown if shown is not None else self.driver.show_state()


def plan_changes(plan_json: Path) -> dict[str, list[str]]:
    """Crawler, job and IAM resources the plan creates, updates or replaces (``resource_changes``)."""
    import json

    doc = json.loads(Path(plan_json).read_text())
    out: dict[str, list[str]] = {"crawlers": [], "jobs": [], "iam": []}
    for rc in doc.get("resource_changes") or []:
        actions = set((rc.get("change") or {}).get("actions") or [])
        if not actions or actions <= {"no-op", "read"}:
            continue
        rtype = rc.get("type", "")
        if rtype == "aws_glue_crawler":
            out["crawlers"].append(rc.get("address", ""))
        elif rtype == "aws_glue_job":
            out["jobs"].append(rc.get("address", ""))
        elif rtype.startswith("aws_iam_") and rc.get("mode", "managed") == "managed":
            out["iam"].append(rc.get("address", ""))
    return out


class _Background:
    """One call run in a thread; :meth:`result` waits and returns its value or raises its error."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._box: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(fn,), name="lakegate-world-plan",
                                        daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self._box["ok"] = fn()
        except BaseException as err:  # noqa: BLE001 - re-raised by result()
            self._box["err"] = err

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self.wait()
        if "err" in self._box:
            raise self._box["err"]
        return self._box.get("ok")


def _start_offline_plan(env: Environment, plan_file: Path | None, scratch: Path) -> _Background | None:
    """The gate's offline plan of the configuration (BA2/BA3, :meth:`World.gate_result`) needs
    neither the local AWS nor the deploy: start it now, in a thread (terraform is a subprocess),
    so it runs while the local AWS starts and the configuration is deployed. The very same
    ``plan`` call, only earlier, and the gate's ``check_path`` of it right after (CPU in this
    process while the main thread waits for the deploy's terraform); an error of either is raised
    where the gate asks for it."""
    if plan_file is not None:
        return None
    try:
        tf_dir = env.terraform_dir()
    except Exception:  # noqa: BLE001 - gate_result reports a missing tf_dir itself
        return None
    if not tf_dir.is_dir():
        return None
    from lakegate.terraform import TerraformDriver

    def plan_and_review() -> Any:
        from tf_checks.engine import check_path

        TerraformDriver(tf_dir, target="offline", region=env.resolved_region()).plan(scratch / "plan.json")
        return check_path(scratch / "plan.json", tf_dir)

    return _Background(plan_and_review)


# --- two worlds in one run (``lakegate smoke --env local``, lakegate/smoke.py) -------------------
# The first world (the usual one) writes, once its deploy is done, which deploy-cache entry its
# local AWS is (``HANDOFF_ENV``: a JSON file). A second world (``SECOND_WORLD_ENV``: the path of
# that file) runs the scenarios ``lakegate smoke`` gave it in its own local AWS: it waits for the
# handoff, restores exactly that entry (verified in this run, so no verification plan of its own;
# lakegate.deploy.verified_entry) and seeds the same data, then runs the world's shared actions
# the first world's features 01-03 run before the diagnosis scenarios (the bronze crawl and the
# workflow run), so its scenarios find the environment as they would after them. When there is no
# usable handoff (the first world's deploy failed, applied a plan on top of the entry, had no
# cache, or its process ended without one) it deploys by itself, verification plan included.
HANDOFF_ENV = "LAKEGATE_WORLD_HANDOFF"
SECOND_WORLD_ENV = "LAKEGATE_SECOND_WORLD"
HANDOFF_TIMEOUT_ENV = "LAKEGATE_WORLD_HANDOFF_TIMEOUT"
# The first world of a two-world run also starts its scenarios before its verification plan
# ends, when the deploy-cache entry it restores was verified before (lakegate.deploy,
# PendingVerification): ``VERIFY_RECORD_ENV`` names the JSON file where it says so
# ({"verified": null} at once, then true or false with why). ``lakegate smoke`` writes that
# world's evidence aside and counts it only once the record says true; otherwise its scenarios run
# again in a world that deploys and verifies before they start (first_world_verified).
VERIFY_RECORD_ENV = "LAKEGATE_WORLD_VERIFY_RECORD"


def write_verify_record(path: Path, verified: bool | None, why: str = "") -> None:
    import json

    doc: dict[str, Any] = {"verified": verified, **({"why": why} if why else {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)


def first_world_verified(path: Path) -> tuple[bool, str]:
    """Whether the first world's results count: it did not start before its verification (no
    record), or its verification plan, run beside its scenarios, found the entry unchanged."""
    import json

    if not path.exists():
        return True, "the first world verified its deploy before its scenarios"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return False, "the first world's verification record cannot be read"
    if not isinstance(doc, dict) or doc.get("verified") is not True:
        why = doc.get("why") if isinstance(doc, dict) else None
        return False, str(why or "the first world's verification plan did not finish")
    return True, "the first world's verification plan, run beside its scenarios, was empty"


def write_handoff(path: Path, deployed: Any = None, why: str = "") -> None:
    """The first world's handoff: the verified deploy-cache entry, or why there is none."""
    import json

    from lakegate.deploy import verified_entry

    found = verified_entry(deployed) if deployed is not None else None
    doc: dict[str, Any] = {"usable": found is not None}
    if found is not None:
        doc["entry"], doc["tfstate_sha256"] = found
    else:
        doc["why"] = why or (f"the first world's deploy was cache {deployed.cache!r}"
                             f"{' (plan ' + str(deployed.cache_plan) + ')' if deployed.cache_plan else ''}"
                             if deployed is not None else "the first world did not deploy")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)   # atomic: the second world reads all of it or nothing


def read_handoff(path: Path, timeout: float, poll: float = 0.1) -> dict[str, Any]:
    """Wait for the first world's handoff (at most ``timeout`` s); unusable when it never comes
    or cannot be read."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        if path.exists():
            try:
                doc = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                return {"usable": False, "why": f"the handoff {path} cannot be read: {err}"}
            if isinstance(doc, dict) and (doc.get("usable") is False or (
                    isinstance(doc.get("entry"), str) and isinstance(doc.get("tfstate_sha256"), str))):
                return doc
            return {"usable": False, "why": f"the handoff {path} is not one the first world writes"}
        if time.monotonic() >= deadline:
            return {"usable": False, "why": f"no handoff from the first world within {timeout:.0f} s"}
        time.sleep(poll)


def restored_path(handoff: Path) -> Path:
    """Where the second world says which entry it restored (next to the handoff)."""
    return handoff.with_name(handoff.name + ".second.json")


def write_restored(handoff: Path, verified: tuple[str, str] | None, why: str = "") -> None:
    """The second world's record of its deploy: the entry it restored, or that it deployed (and
    verified) by itself (``verified`` None, no ``why``), or why it did not deploy."""
    import json

    if verified is not None:
        doc: dict[str, Any] = {"entry": verified[0], "tfstate_sha256": verified[1]}
    else:
        doc = {"self_verified": not why, **({"why": why} if why else {})}
    path = restored_path(handoff)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)


def second_world_confirmed(handoff: Path) -> tuple[bool, str]:
    """Whether the second world's results count: it restored exactly the entry the first world
    verified in this run (same entry, same Terraform state), or deployed and verified by itself."""
    import json

    try:
        restored = json.loads(restored_path(handoff).read_text())
    except (OSError, ValueError):
        return False, "the second world did not say what it deployed"
    if not isinstance(restored, dict):
        return False, "the second world's record is not one it writes"
    if restored.get("self_verified") is True:
        return True, "the second world deployed and verified by itself"
    if "entry" not in restored:
        return False, str(restored.get("why") or "the second world did not deploy")
    doc = read_handoff(handoff, timeout=0)
    if not doc.get("usable"):
        return False, f"the first world verified no deploy-cache entry: {doc.get('why')}"
    if (doc.get("entry"), doc.get("tfstate_sha256")) != (restored.get("entry"), restored.get("tfstate_sha256")):
        return False, "the second world restored another deploy-cache entry than the one the first world verified"
    return True, "the second world restored the entry the first world verified"


def _second_world_entry(env: Environment, handoff: Path, work_dir: Path) -> tuple[str, str] | None:
    """The entry the second world restores: the first world's, when its handoff is already
    there; else the entry a deploy would restore now, without waiting for the first world's
    verification plan (its results count only once that plan verified the same entry:
    :func:`second_world_confirmed`, checked by ``lakegate smoke``); else, with no entry yet,
    the first world's once it is deployed. None: deploy by itself, verification plan included."""
    from lakegate.deploy import find_entry

    if not handoff.exists():
        try:
            found = find_entry(env.terraform_dir(), work_dir=work_dir)
        except Exception:  # noqa: BLE001 - no early entry: wait for the first world's
            found = None
        if found is not None:
            return found
    doc = read_handoff(handoff, float(os.environ.get(HANDOFF_TIMEOUT_ENV) or 3600))
    return (doc["entry"], doc["tfstate_sha256"]) if doc.get("usable") else None


def _local_world(config: pytest.Config, request: pytest.FixtureRequest, env: Environment | None = None) -> World:
    env = env if env is not None else get_environment("local")
    plan_file = _plan_option(config)
    scratch = Path(tempfile.mkdtemp(prefix="lakegate-plan-"))   # plans: never in the report dir
    second = os.environ.get(SECOND_WORLD_ENV)
    handoff = os.environ.get(HANDOFF_ENV)
    record = os.environ.get(VERIFY_RECORD_ENV) if not second else None
    # the second world runs no BA2/BA3: the gate's plan is made only if a step asks (gate_result)
    offline_plan = None if second else _start_offline_plan(env, plan_file, scratch)
    try:
        world = _deployed_local_world(config, request, env, plan_file, scratch, offline_plan,
                                      peer=Path(second) if second else None, verify_later=bool(record))
    except BaseException as err:
        if handoff:
            write_handoff(Path(handoff), why=f"the first world's deploy failed: {type(err).__name__}")
        if offline_plan is not None:
            offline_plan.wait()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    deployed = world._deployed
    if record and deployed is not None and deployed.pending is not None:
        import threading

        write_verify_record(Path(record), None)

        def verify() -> None:   # the handoff waits for the verification (verified_entry)
            ok, why = False, "the first world's verification was interrupted"
            try:
                ok, why = deployed.wait_verified()
                if handoff:
                    write_handoff(Path(handoff), deployed)
            finally:
                write_verify_record(Path(record), ok, why)

        world._verifying = threading.Thread(target=verify, name="lakegate-world-verify", daemon=True)
        world._verifying.start()
    elif handoff:
        write_handoff(Path(handoff), deployed)
    if second:
        try:
            world.workflow_run()   # what features 01-03 leave: bronze crawled, one workflow run
        except BaseException:
            world.close()
            raise
    return world


def _deployed_local_world(config: pytest.Config, request: pytest.FixtureRequest, env: Environment,
                          plan_file: Path | None, scratch: Path,
                          offline_plan: _Background | None, peer: Path | None = None,
                          verify_later: bool = False) -> World:
    from lakegate import localenv
    from lakegate.deploy import deploy_local

    state_dir = Path(tempfile.mkdtemp(prefix="lakegate-local-"))
    if not config.getoption("--lakegate-keep"):
        request.addfinalizer(lambda: shutil.rmtree(state_dir, ignore_errors=True))
    own_state = "LAKEGATE_LOCAL_STATE" not in os.environ
    if own_state:
        os.environ["LAKEGATE_LOCAL_STATE"] = str(state_dir / "state.json")
    existing = localenv.read_state(localenv.state_path())
    if existing is not None and localenv.is_running(existing):
        state = existing          # e.g. started by `lakegate smoke`, which also stops it
    else:
        state = localenv.start(exit_with_pid=os.getpid())  # never outlive a killed test run
        if not config.getoption("--lakegate-keep"):
            request.addfinalizer(lambda: localenv.stop())
    verified = None
    if peer is not None:   # the second world
        verified = _second_world_entry(env, peer, state_dir / "terraform")
    try:
        res = deploy_local(env.terraform_dir(), rows=config.getoption("--lakegate-rows"), seed=7,
                           work_dir=state_dir / "terraform", show_state=peer is None, verified=verified,
                           verify_later=verify_later,
                           **({"seed_dir": env.seed, "workflow": env.workflow, "region": env.region} if env.seed else {}))
    except BaseException:
        if peer is not None:
            write_restored(peer, None, why="the second world's deploy failed")
        raise
    if peer is not None:
        write_restored(peer, verified)
    clients = Clients(env, endpoint=state.endpoint)
    names = names_for(res.outputs, clients, workflow=env.workflow)
    return World(env, clients, names, driver=res.driver, state_dir=state_dir, plan_file=plan_file,
                 scratch=scratch, offline_plan=offline_plan, deployed=res)


def _plan_option(config: pytest.Config) -> Path | None:
    value = config.getoption("--lakegate-plan")
    return Path(value).resolve() if value else None


def live_backup_dir(env: Environment) -> Path:
    """Backups of a live environment outlive the run, outside the report directory."""
    base = os.environ.get(BACKUP_DIR_ENV)
    return (Path(base) if base else Path.cwd() / ".lakegate" / "backups") / env.name


@pytest.fixture(scope="session")
def lake(request: pytest.FixtureRequest) -> World:
    config = request.config
    env = get_environment(config.getoption("--lakegate-env"))
    if env.is_local:
        world = _local_world(config, request, env)
    else:
        ctx = context.resolve(env.name)
        keep = live_backup_dir(env)
        keep.mkdir(parents=True, exist_ok=True)
        world = World(ctx.env, ctx.clients, ctx.names, state_dir=keep, plan_file=_plan_option(config))
    request.addfinalizer(world.close)
    return world


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What a scenario's steps recorded; written to the evidence file by the scenarios plugin."""
    from lakegate.scenarios.steps.keys import EVIDENCE_KEY

    box: dict[str, Any] = {}
    request.node.stash[EVIDENCE_KEY] = box
    return box

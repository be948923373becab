"""The shared world of the scenarios: one environment, its clients and names, and the expensive
actions (crawler run, workflow run) done once per test session and shared by the scenarios that
validate them.

For the local environment the world brings up its own local AWS (an isolated state file, so a
user's running instance is never touched), applies terraform/ into it through the driver, seeds
generated bronze data, and stops what it started. For a live environment it only reads names and
credentials (lakegate.toml); nothing is deployed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from lakegate import context, runbook
from lakegate.envconfig import Clients, Environment, get_environment
from lakegate.names import PipelineNames

REPO = Path(__file__).resolve().parent.parent


class World:
    def __init__(self, env: Environment, clients: Any, names: PipelineNames, *, driver: Any = None,
                 state_dir: Path | None = None) -> None:
        self.env = env
        self.clients = clients
        self.names = names
        self.driver = driver
        self.started = time.time()
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="lakegate-world-"))
        self._once: dict[str, Any] = {}
        self.progress: list[str] = []

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
        return self.once("bronze_crawl", lambda: runbook.run_crawler(
            self.clients, self.names.bronze_crawler, timeout=1800, progress=self.note))

    def workflow_run(self) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            self.bronze_crawl()
            run_id = runbook.start_workflow(self.clients, self.names)
            seen: list[str] = []
            status = runbook.monitor_workflow(self.clients, self.names, run_id, timeout=3600,
                                              progress=lambda m: (seen.append(m), self.note(m)))
            return {"run_id": run_id, "status": status, "progress": seen,
                    "nodes": runbook.workflow_node_runs(self.clients, self.names, run_id),
                    "started": status.started or time.time()}
        return self.once("workflow_run", run)

    def recovery_plan(self) -> dict[str, Any]:
        return self.gate_result().recovery_plan

    def gate_result(self) -> Any:
        def run() -> Any:
            from lakegate.terraform import TerraformDriver
            from tf_checks.engine import check_path

            tf_dir = self.env.tf_dir if self.env.tf_dir.is_absolute() else REPO / self.env.tf_dir
            out = self.state_dir / "plan.json"
            # The local world plans offline (a static review of the configuration); a live
            # environment plans against its real state with the user's credentials.
            TerraformDriver(tf_dir, target="offline" if self.env.is_local else "aws",
                            region=self.env.region).plan(out)
            return check_path(out, tf_dir)
        return self.once("gate", run)

    def terraform_state(self) -> dict[str, Any] | None:
        return self.driver.show_state() if self.driver is not None else None


def _local_world(config: pytest.Config, request: pytest.FixtureRequest) -> World:
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
    env = get_environment("local")
    tf_dir = env.tf_dir if env.tf_dir.is_absolute() else REPO / env.tf_dir
    res = deploy_local(tf_dir, rows=config.getoption("--lakegate-rows"), seed=7,
                       work_dir=state_dir / "terraform")
    names = PipelineNames.from_outputs(res.outputs)
    clients = Clients(env, endpoint=state.endpoint)
    driver = res.driver
    return World(env, clients, names, driver=driver, state_dir=state_dir)


@pytest.fixture(scope="session")
def lake(request: pytest.FixtureRequest) -> World:
    config = request.config
    env = get_environment(config.getoption("--lakegate-env"))
    if env.is_local:
        return _local_world(config, request)
    ctx = context.resolve(env.name)
    # Backups and baselines of a live environment must outlive the run: keep them with the reports.
    from steps.keys import REPORT_DIR_KEY

    keep = Path(config.stash[REPORT_DIR_KEY]) / "state"
    keep.mkdir(parents=True, exist_ok=True)
    return World(ctx.env, ctx.clients, ctx.names, state_dir=keep)


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What a scenario's steps recorded; written to the evidence file by the root conftest."""
    from steps.keys import EVIDENCE_KEY

    box: dict[str, Any] = {}
    request.node.stash[EVIDENCE_KEY] = box
    return box


@pytest.fixture
def scenario_state() -> dict[str, Any]:
    """Scratch space for one scenario (results passed from When to Then)."""
    return {}

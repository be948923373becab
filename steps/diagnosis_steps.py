"""Diagnosis scenarios: inject a runbook fault into the local AWS, detect and diagnose it, recover.

Fault injection exists only in the local AWS (a live environment is never broken on purpose):
against a live environment these scenarios are skipped with that reason. Every fault a scenario
injects is cleared when the scenario ends, pass or fail, so later scenarios start healthy.
"""

from __future__ import annotations

import time

import pytest
from pytest_bdd import parsers, then, when

from lakegate import diagnosis, recovery, runbook, seed
from lakegate.polling import Poller


@pytest.fixture
def faults(lake, request):
    """Inject/clear faults through the local AWS admin endpoint; clears what it injected at the end."""
    from lakegate import localenv

    if not lake.env.is_local:
        pytest.skip("faults can only be injected in the local AWS; live environments are diagnosed, not broken")
    state = localenv.load_state()
    injected: list[str] = []

    def post(name: str, clear: bool) -> dict:
        status, body = localenv.admin_post(state, f"fault/{name}" + ("/clear" if clear else ""))
        assert status == 200, f"fault {name} {'clear' if clear else 'inject'} failed: {status} {body}"
        return body

    def inject(name: str) -> dict:
        injected.append(name)
        return post(name, False)

    def clear(name: str) -> dict:
        if name in injected:
            injected.remove(name)
        return post(name, True)

    yield type("Faults", (), {"inject": staticmethod(inject), "clear": staticmethod(clear)})
    for name in reversed(injected):
        post(name, True)
    # Whatever this scenario did, later scenarios must not reuse its results.
    lake.forget("bronze_crawl", "workflow_run")


@when(parsers.parse('the fault "{name}" is injected'))
def inject(faults, evidence, name):
    evidence.setdefault("faults", []).append({"injected": name, "detail": faults.inject(name).get("detail")})


@when(parsers.parse('the fault "{name}" is cleared'))
def clear(faults, evidence, name):
    faults.clear(name)
    evidence.setdefault("faults", []).append({"cleared": name})


@when("new bronze data arrives")
def new_data(lake, evidence):
    res = seed.upload_bronze(lake.clients, lake.names, rows=200, seed=int(time.time()) % 100000,
                             start_date="2025-11-05", days=1)
    evidence["new_objects"] = res.objects[:5]


@when("the bookmark of the silver job is reset so that it reads all bronze data again")
def reset_silver(lake, evidence):
    """The runbook's own advice after a schema change (PASSO 3) — with a stale catalog this is
    exactly when Problem 1 surfaces: the job reads data through a table definition that lacks
    the column its SQL uses."""
    res = runbook.reset_bookmarks(lake.clients, [lake.names.silver_job])
    evidence["reset"] = [r.__dict__ for r in res]


@when("the bronze crawler is run once more", target_fixture="crawl")
def crawl_again(lake, evidence):
    res = runbook.run_crawler(lake.clients, lake.names.bronze_crawler, timeout=900, progress=lake.note)
    evidence["crawl"] = res.evidence()
    return res


@when("the workflow is run once more", target_fixture="run_status")
def run_again(lake, evidence):
    run_id = runbook.start_workflow(lake.clients, lake.names)
    st = runbook.monitor_workflow(lake.clients, lake.names, run_id, timeout=900, progress=lake.note)
    evidence["run"] = st.evidence()
    return st


@when("the workflow is started without waiting", target_fixture="run_status")
def start_only(lake, evidence):
    run_id = runbook.start_workflow(lake.clients, lake.names)
    evidence["run_id"] = run_id
    return None


@then("the workflow run is not healthy")
def not_healthy(run_status):
    assert not run_status.healthy, f"run {run_status.run_id} is healthy: {run_status.statistics}"


@then(parsers.parse("the workflow run is COMPLETED with {n:d} failed action"))
def completed_with_failures(run_status, n):
    assert run_status.status == "COMPLETED", run_status.status
    assert run_status.failed_actions == n, run_status.statistics


@then(parsers.parse('the crawl failed with "{text}"'))
def crawl_failed(crawl, text):
    assert crawl.last_status == "FAILED", f"crawl {crawl.last_status}"
    assert text in (crawl.error or ""), crawl.error


def _diagnose_until(lake, evidence, problem_id, stuck_after_s=3600.0, timeout=60.0):
    poller = Poller(initial=0.5, max_interval=3.0)
    found: dict = {}

    def probe():
        problems = diagnosis.diagnose(diagnosis.gather(lake.clients, lake.names, stuck_after_s=stuck_after_s))
        found["all"] = problems
        return problems

    poller.wait_for(f"diagnosis {problem_id}", probe, lambda ps: any(p.id == problem_id for p in ps), timeout)
    evidence["problems"] = [{"id": p.id, "symptom": p.symptom, "cause": p.cause, "fix": p.fix} for p in found["all"]]
    return [p for p in found["all"] if p.id == problem_id]


@then(parsers.parse('the diagnosis names problem "{pid}" with a cause mentioning "{text}"'))
def diagnosis_names(lake, evidence, pid, text):
    matches = _diagnose_until(lake, evidence, pid, timeout=30)
    assert any(text.lower() in (p.cause + " " + p.symptom).lower() for p in matches), \
        f"{pid} found but no cause mentions {text!r}: {[p.cause for p in matches]}"


@then(parsers.parse('the diagnosis with a stuck threshold of {secs:d} second names problem "{pid}" with a cause '
                    'mentioning "{text}"'))
def diagnosis_stuck(lake, evidence, secs, pid, text):
    matches = _diagnose_until(lake, evidence, pid, stuck_after_s=float(secs), timeout=60)
    assert any(text.lower() in p.cause.lower() for p in matches), [p.cause for p in matches]


@when("the corrected policy is applied")
def corrected_policy(lake, evidence):
    """PASSO 4 / Problema 2: `terraform apply` puts the role policy back as the configuration says."""
    if lake.driver is None:
        pytest.skip("applying Terraform is done by the deployment pipeline in live environments")
    lake.driver.apply()
    evidence["terraform_apply"] = "done"


def _recover(lake, evidence, scenario_state, **opts):
    rep = recovery.recover(lake.clients, lake.names, lake.env,
                           recovery.Options(backup_dir=lake.state_dir / "recovery-backups", force=True,
                                            crawler_timeout=900, workflow_timeout=900, **opts),
                           progress=lake.note)
    evidence["recovery"] = [f"{s.step}: {s.status} {s.detail}" for s in rep.steps]
    scenario_state["recovery"] = rep
    lake.forget("bronze_crawl", "workflow_run")


@when("lakegate recovers the environment")
def recover_plain(lake, evidence, scenario_state):
    _recover(lake, evidence, scenario_state)


@when(parsers.parse('lakegate recovers the environment resetting the bookmarks of "{jobs}"'))
def recover_reset(lake, evidence, scenario_state, jobs):
    selected = lake.names.all_jobs if jobs == "all" else \
        [lake.names.jobs.get(j, j) if j not in ("silver",) else lake.names.silver_job for j in jobs.split(",")]
    _recover(lake, evidence, scenario_state, reset_jobs=selected, allow_bookmark_reset=True)


@when("lakegate recovers the environment waiting for IAM propagation")
def recover_iam(lake, evidence, scenario_state):
    _recover(lake, evidence, scenario_state, wait_iam=True)


@when("lakegate recovers the environment allowing to stop the stuck run")
def recover_stop(lake, evidence, scenario_state):
    _recover(lake, evidence, scenario_state, allow_stop=True, stuck_after_s=1)


@then("the recovery succeeds")
def recovery_ok(scenario_state):
    rep = scenario_state["recovery"]
    assert rep.ok, recovery.render_text(rep)

"""Diagnosis scenarios: inject a runbook fault into the local AWS, detect and diagnose it, recover.

Fault injection exists only in the local AWS (a live environment is never broken on purpose):
against a live environment these scenarios are skipped as local rehearsals — they are not items of
a live sign-off (:data:`lakegate.checklist.REHEARSALS`). Every fault a scenario
injects is cleared when the scenario ends, pass or fail, so later scenarios start healthy.
"""

from __future__ import annotations

import time

import pytest
from pytest_bdd import parsers, then, when

from lakegate import diagnosis, recovery, runbook, seed
from lakegate.polling import Poller
from lakegate.scenarios.steps.applicability import discovered, not_applicable


@pytest.fixture
def faults(lake, request):
    """Inject/clear faults through the local AWS admin endpoint; clears what it injected at the end."""
    from lakegate import localenv

    if not lake.env.fault_capable:
        pytest.skip("local rehearsal: faults can only be injected in the embedded local AWS; "
                    "live environments are diagnosed, not broken")
    state = localenv.load_state()
    injected: list[str] = []

    def post(name: str, clear: bool) -> dict:
        status, body = localenv.admin_post(state, f"fault/{name}" + ("/clear" if clear else ""))
        assert status == 200, f"fault {name} {'clear' if clear else 'inject'} failed: {status} {body}"
        return body

    def inject(name: str) -> dict:
        status, body = localenv.admin_post(state, f"fault/{name}")
        if status == 409 and body.get("code") == "EntityNotFoundException" and discovered(lake.names):
            not_applicable(f"the fault {name} finds no target on this pipeline: {body.get('error')}")
        assert status == 200, f"fault {name} inject failed: {status} {body}"
        injected.append(name)
        return body

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
def inject_the_fault(faults, evidence, name):
    evidence.setdefault("faults", []).append({"injected": name, "detail": faults.inject(name).get("detail")})


@when(parsers.parse('the fault "{name}" is cleared'))
def clear_the_fault(faults, evidence, name):
    faults.clear(name)
    evidence.setdefault("faults", []).append({"cleared": name})


@when("new bronze data arrives")
def new_bronze_data_arrives(lake, evidence):
    if lake.env.seed is not None:   # a user's pipeline: its own seed files again, under new names
        keys = seed.upload_dir(lake.clients, lake.names, lake.env.seed, suffix=f"-new{int(time.time())}")
        evidence["new_objects"] = keys[:5]
        return
    res = seed.upload_bronze(lake.clients, lake.names, rows=200, seed=int(time.time()) % 100000,
                             start_date="2025-11-05", days=1)
    evidence["new_objects"] = res.objects[:5]


@when("the bookmark of the silver job is reset so that it reads all bronze data again")
def reset_the_silver_bookmark(lake, evidence):
    """The runbook's own advice after a schema change (PASSO 3) — with a stale catalog this is
    exactly when Problem 1 surfaces: the job reads data through a table definition that lacks
    the column its SQL uses."""
    backup = runbook.backup_bookmarks(lake.clients, [lake.names.silver_job], lake.state_dir / "bookmark-backups")
    res = runbook.reset_bookmarks(lake.clients, [lake.names.silver_job])
    evidence["backup"] = backup.name
    evidence["reset"] = [r.__dict__ for r in res]


@when("the bronze crawler is run once more", target_fixture="crawl")
def run_the_bronze_crawler_again(lake, evidence):
    res = runbook.run_crawler(lake.clients, lake.names.bronze_crawler, timeout=900, progress=lake.note)
    evidence["crawl"] = res.evidence()
    return res


@when("the workflow is run once more", target_fixture="run_status")
def run_the_workflow_again(lake, evidence):
    run_id = runbook.start_workflow(lake.clients, lake.names)
    st = runbook.monitor_workflow(lake.clients, lake.names, run_id, timeout=900, progress=lake.note)
    evidence["run"] = st.evidence()
    return st


@when("the workflow is started without waiting", target_fixture="run_status")
def start_the_workflow_without_waiting(lake, evidence):
    run_id = runbook.start_workflow(lake.clients, lake.names)
    evidence["run_id"] = run_id
    return None


@then("the workflow run is not healthy")
def workflow_run_is_not_healthy(lake, run_status, evidence):
    if run_status.healthy and discovered(lake.names):
        faults = [f for f in evidence.get("faults", []) if f.get("injected")]
        not_applicable(f"run {run_status.run_id} stayed healthy with {', '.join(f['injected'] for f in faults)} "
                       f"injected ({'; '.join(str(f.get('detail')) for f in faults)}): this pipeline's jobs do not "
                       "fail on it (e.g. a DynamicFrame reads JSON with the data's own schema, not the catalog's)")
    assert not run_status.healthy, f"run {run_status.run_id} is healthy: {run_status.statistics}"


@then(parsers.parse("the workflow run is COMPLETED with {n:d} failed action"))
def workflow_completed_with_failed_actions(run_status, n):
    assert run_status.status == "COMPLETED", run_status.status
    assert run_status.failed_actions == n, run_status.statistics


@then(parsers.parse('the crawl failed with "{text}"'))
def crawl_failed_with(crawl, text):
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
def diagnosis_names_the_problem(lake, evidence, pid, text):
    matches = _diagnose_until(lake, evidence, pid, timeout=30)
    assert any(text.lower() in (p.cause + " " + p.symptom).lower() for p in matches), \
        f"{pid} found but no cause mentions {text!r}: {[p.cause for p in matches]}"


@then(parsers.parse('the diagnosis with a stuck threshold of {secs:d} second names problem "{pid}" with a cause '
                    'mentioning "{text}"'))
def diagnosis_names_the_stuck_run(lake, evidence, secs, pid, text):
    matches = _diagnose_until(lake, evidence, pid, stuck_after_s=float(secs), timeout=60)
    assert any(text.lower() in p.cause.lower() for p in matches), [p.cause for p in matches]


@when("the corrected policy is applied")
def apply_the_corrected_policy(lake, evidence):
    """PASSO 4 / Problema 2: `terraform apply` puts the role policy back as the configuration says."""
    if lake.driver is None:
        pytest.skip("applying Terraform is done by the deployment pipeline in live environments")
    lake.driver.apply()
    evidence["terraform_apply"] = "done"


JOB_ROLES = {"silver": "silver_job", "gold current-state": "gold_current_state_job", "alerts": "gold_alerts_job"}


def _recover(lake, evidence, **opts):
    rep = recovery.recover(lake.clients, lake.names, lake.env,
                           recovery.Options(backup_dir=lake.state_dir / "recovery-backups", force=True,
                                            crawler_timeout=900, workflow_timeout=900, **opts),
                           progress=lake.note)
    evidence["recovery"] = [f"{s.step}: {s.status} {s.detail}" for s in rep.steps]
    lake.forget("bronze_crawl", "workflow_run")
    return rep


@when("lakegate recovers the environment", target_fixture="recovery_report")
def recover_the_environment(lake, evidence):
    return _recover(lake, evidence)


@when(parsers.parse('lakegate recovers the environment resetting the bookmarks of "{jobs}"'),
      target_fixture="recovery_report")
def recover_resetting_bookmarks(lake, evidence, jobs):
    selected = lake.names.all_jobs if jobs == "all" else \
        [getattr(lake.names, JOB_ROLES[j.strip()]) for j in jobs.split(",")]
    return _recover(lake, evidence, reset_jobs=selected, allow_bookmark_reset=True)


@when("lakegate recovers the environment waiting for IAM propagation", target_fixture="recovery_report")
def recover_waiting_for_iam(lake, evidence):
    return _recover(lake, evidence, wait_iam=True)


@when("lakegate recovers the environment allowing to stop the stuck run", target_fixture="recovery_report")
def recover_stopping_the_stuck_run(lake, evidence):
    return _recover(lake, evidence, allow_stop=True, stuck_after_s=1)


@then("the recovery succeeds")
def recovery_succeeds(recovery_report):
    assert recovery_report.ok, recovery.render_text(recovery_report)

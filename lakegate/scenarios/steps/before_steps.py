"""Before apply (Checklist Antes de Atualizar Terraform)."""

from __future__ import annotations

import json

from pytest_bdd import then, when

from lakegate import backup, runbook
from lakegate.scenarios.steps.applicability import cannot_verify


@when("I back up the current configuration", target_fixture="backup_result")
def back_up_the_configuration(lake, evidence):
    b = backup.take_backup(lake.clients, lake.names, lake.state_dir / "backups", lake.terraform_state())
    evidence["backup_dir"] = b.directory.name
    evidence["files"] = {k: p.name for k, p in b.files.items()}
    return b


@then("the backup holds the Terraform state, the job bookmarks and the catalog table definitions")
def backup_holds_state_bookmarks_and_tables(lake, backup_result):
    kinds = set(backup_result.files)
    expected = {"job_bookmarks", "catalog_tables"} | ({"terraform_state"} if lake.driver is not None else set())
    assert expected <= kinds, f"backup lacks {expected - kinds}"
    saved = {t["Name"] for t in json.loads(backup_result.files["catalog_tables"].read_text())["tables"]}
    live = {t["Name"] for page in lake.clients.glue.get_paginator("get_tables").paginate(
        DatabaseName=lake.names.database) for t in page.get("TableList", [])}
    # A freshly deployed catalog may hold no table yet; the backup must hold exactly what is there.
    assert saved == live, f"backup holds {sorted(saved)}, the catalog {sorted(live)}"
    bookmarks = json.loads(backup_result.files["job_bookmarks"].read_text())["bookmarks"]
    assert set(bookmarks) == set(lake.names.all_jobs)


@then("every backup file carries a timestamp")
def backup_files_carry_a_timestamp(backup_result):
    for kind, path in backup_result.files.items():
        assert backup_result.taken_at in path.name, f"{kind}: {path.name} has no timestamp"


@when("the gate checks the plan", target_fixture="gate")
def the_gate_checks_the_plan(lake, evidence):
    result = lake.gate_result()
    evidence["summary"] = result.to_json()["summary"]
    evidence["workflows"] = [w.__dict__ for w in result.workflows]
    # the findings with their fixes, for the sign-off's "gate's part" (first 50)
    evidence["findings"] = [{k: f.to_json().get(k) for k in ("rule_id", "severity", "address", "message", "fix",
                                                             "suppressed")} for f in result.findings[:50]]
    return result


@then("the gate reports no blocking finding")
def gate_reports_no_blocking_finding(gate, evidence):
    blocking = [f for f in gate.active() if f.severity in ("high", "critical")]
    evidence["blocking"] = [f"{f.rule_id} {f.address}: {f.message}" for f in blocking]
    assert not blocking, f"{len(blocking)} blocking finding(s); first: {evidence['blocking'][0]}"


@then("the workflow graph has the expected actions with both gold jobs in parallel")
def workflow_graph_runs_gold_jobs_in_parallel(lake, gate, evidence):
    wf = [w for w in gate.workflows if w.name == lake.names.workflow]
    assert wf, f"the gate saw no workflow named {lake.names.workflow}"
    evidence["expected_actions"] = lake.names.expected_actions
    assert wf[0].actions == lake.names.expected_actions, f"actions: {wf[0].actions}"
    if len(set(lake.names.gold_jobs)) > 1:
        assert any(set(lake.names.gold_jobs) <= set(g) for g in wf[0].parallel_groups), wf[0].parallel_groups


@then("every crawler and IAM change of the plan has its recovery step, or none is required")
def every_change_has_its_recovery_step(lake, gate, evidence):
    plan = gate.recovery_plan
    changes = lake.planned_changes()
    evidence["changes"] = changes
    evidence["recovery_plan"] = plan
    steps = plan.get("reasons") or []
    if not (changes["crawlers"] or changes["iam"]) and not steps:
        evidence["result"] = "no recovery steps required"
        return
    because = " ".join(r.get("because", "") for r in steps if r.get("step") == "run_crawler")
    unplanned = [a for a in changes["crawlers"] if a not in because]
    assert not unplanned, f"the plan changes {unplanned} but the recovery plan does not rerun them: {plan}"
    if changes["iam"]:
        assert plan.get("iam_propagation_wait") is True, f"IAM changes {changes['iam'][:3]} but no IAM wait: {plan}"


@then("every recovery step says why")
def every_recovery_step_says_why(gate):
    steps = gate.recovery_plan.get("reasons") or []
    assert all(r.get("because") for r in steps), [r for r in steps if not r.get("because")]


@when("I list the bronze data path", target_fixture="bronze")
def list_the_bronze_data_path(lake, evidence):
    layout = runbook.bronze_layout(lake.clients, lake.names)
    evidence.update(layout.evidence())
    return layout


@then("it holds data files in one Hive partition layout")
def bronze_data_is_in_one_partition_layout(bronze):
    assert bronze.data_files, f"no data file under {bronze.path} ({bronze.objects} objects)"
    assert not bronze.outside, f"data files outside a Hive partition layout: {bronze.outside[:5]}"
    assert len(bronze.layouts) == 1, f"more than one partition layout: {bronze.layouts}"


@then("a sample data file holds rows")
def sample_data_file_holds_rows(bronze):
    if not bronze.sample_file and bronze.data_files and not any(f.endswith(".parquet") for f in bronze.data_files):
        kinds = sorted({f.rsplit(".", 1)[-1] for f in bronze.data_files if "." in f.rsplit("/", 1)[-1]})
        cannot_verify(f"sample rows are read from Parquet files; the data under {bronze.path} is "
                      f"{', '.join(kinds) or 'without an extension'}")
    assert bronze.sample_file, f"no Parquet file to read under {bronze.path}"
    assert bronze.sample_rows, f"{bronze.sample_file} holds no rows"


@when("I record the current run IDs", target_fixture="baseline")
def record_the_current_run_ids(lake, evidence):
    base = runbook.recent_run_ids(lake.clients, lake.names)
    path = lake.state_dir / "baseline-run-ids.json"
    path.write_text(json.dumps(base, indent=2, default=str))
    evidence["baseline"] = base
    evidence["file"] = path.name
    return base


@then("the baseline names the workflow, every job and every crawler")
def baseline_names_workflow_jobs_and_crawlers(lake, baseline):
    assert set(baseline["jobs"]) == set(lake.names.all_jobs)
    assert set(baseline["crawlers"]) == set(lake.names.crawlers.values())
    assert "workflow" in baseline

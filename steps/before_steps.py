"""Before apply (Checklist Antes de Atualizar Terraform)."""

from __future__ import annotations

from pytest_bdd import then, when

from lakegate import backup, runbook, seed


@when("I back up the current configuration", target_fixture="backup_result")
def take_backup(lake, evidence):
    b = backup.take_backup(lake.clients, lake.names, lake.state_dir / "backups", lake.terraform_state())
    evidence["backup_dir"] = str(b.directory)
    evidence["files"] = {k: p.name for k, p in b.files.items()}
    return b


@then("the backup holds the Terraform state, the job bookmarks and the catalog table definitions")
def backup_complete(lake, backup_result):
    import json

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
def backup_timestamps(backup_result):
    for kind, path in backup_result.files.items():
        assert backup_result.taken_at in path.name, f"{kind}: {path.name} has no timestamp"


@when("the gate checks its plan", target_fixture="gate")
def gate_checks(lake, evidence):
    result = lake.gate_result()
    evidence["summary"] = result.to_json()["summary"]
    evidence["workflows"] = [w.__dict__ for w in result.workflows]
    # the findings with their fixes, for the sign-off's "gate's part" (first 50)
    evidence["findings"] = [{k: f.to_json().get(k) for k in ("rule_id", "severity", "address", "message", "fix",
                                                             "suppressed")} for f in result.findings[:50]]
    return result


@then("the gate reports no blocking finding")
def gate_clean(gate, evidence):
    blocking = [f for f in gate.active() if f.severity in ("high", "critical")]
    evidence["blocking"] = [f"{f.rule_id} {f.address}: {f.message}" for f in blocking]
    assert not blocking, f"{len(blocking)} blocking finding(s); first: {evidence['blocking'][0]}"


@then("the workflow graph has 6 actions with both gold jobs in parallel")
def gate_graph(lake, gate):
    wf = [w for w in gate.workflows if w.name == lake.names.workflow]
    assert wf, f"the gate saw no workflow named {lake.names.workflow}"
    assert wf[0].actions == lake.names.expected_actions == 6, f"actions: {wf[0].actions}"
    assert any(set(lake.names.gold_jobs) <= set(g) for g in wf[0].parallel_groups), wf[0].parallel_groups


@then("the recovery plan lists the crawlers to rerun and the IAM propagation wait")
def recovery_plan_listed(lake, gate, evidence):
    plan = gate.recovery_plan
    evidence["recovery_plan"] = plan
    assert lake.names.bronze_crawler in plan.get("crawlers_to_run", []), plan
    assert plan.get("iam_propagation_wait") is True, plan
    assert plan.get("reasons"), "each step must say why"


@then("the bronze path holds Parquet files in the ingest_year/ingest_month/ingest_day layout")
def bronze_layout(lake, evidence):
    import re

    bucket, prefix = seed._split(lake.names.bronze_data_path)
    keys = []
    for page in lake.clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    pattern = re.compile(re.escape(prefix) + r"ingest_year=\d{4}/ingest_month=\d{2}/ingest_day=\d{2}/[^/]+\.parquet$")
    good = [k for k in keys if pattern.search(k)]
    evidence["objects"] = len(keys)
    evidence["sample"] = good[:5]
    assert good, f"no Parquet object in the partition layout under {lake.names.bronze_data_path}"
    assert len(good) == len(keys), f"objects outside the layout: {[k for k in keys if k not in good][:5]}"


@then("the test data implies every alert type")
def data_implies_alerts(lake, evidence):
    types = seed.implied_alert_types(lake.clients, lake.names)
    evidence["implied_alert_types"] = sorted(types or [])
    assert types == {"OVERHEAT_ENGINE", "OVERHEAT_OIL", "SPEEDING_ALERT"}, types


@when("I record the current run IDs", target_fixture="baseline")
def record_baseline(lake, evidence):
    import json

    base = runbook.recent_run_ids(lake.clients, lake.names)
    path = lake.state_dir / "baseline-run-ids.json"
    path.write_text(json.dumps(base, indent=2, default=str))
    evidence["baseline"] = base
    evidence["file"] = str(path)
    return base


@then("the baseline names the workflow, every job and every crawler")
def baseline_complete(lake, baseline):
    assert set(baseline["jobs"]) == set(lake.names.all_jobs)
    assert set(baseline["crawlers"]) == set(lake.names.crawlers.values())
    assert "workflow" in baseline

"""After apply (PASSO 1-8) and the final validation checklist."""

from __future__ import annotations

import json
import os

import pytest
from pytest_bdd import parsers, then, when

from lakegate import recovery, runbook, tablestats
from lakegate.scenarios.steps.applicability import cannot_verify, discovered, not_applicable, role_table

#: Gherkin's words for a table -> the role in PipelineNames.tables_by_role()
TABLE_ROLES = {"bronze": "bronze", "silver": "silver", "gold current-state": "gold_current_state",
               "alerts": "alerts"}
ALLOW_RESET_ENV = "LAKEGATE_ALLOW_BOOKMARK_RESET"


@when("I read the last workflow run", target_fixture="last_run")
def read_the_last_workflow_run(lake, evidence):
    st = runbook.last_workflow_run(lake.clients, lake.names)
    evidence["last_run"] = st.evidence() if st.run_id else {"workflow": st.workflow, "status": "never ran"}
    return st


@then("its status and action statistics are recorded")
def status_and_statistics_are_recorded(last_run, evidence):
    # A fresh environment has no run yet: that is a valid answer of PASSO 1, recorded as such.
    if last_run.run_id is None:
        assert last_run.status is None and evidence["last_run"]["status"] == "never ran"
    else:
        assert last_run.status in ("RUNNING", "COMPLETED", "STOPPING", "STOPPED", "ERROR")
        assert "TotalActions" in last_run.statistics, last_run.statistics


@then("the crawler is READY with last crawl SUCCEEDED")
def crawler_is_ready_and_succeeded(bronze_crawl):
    res = bronze_crawl
    assert res.succeeded, f"crawler {res.crawler}: {res.state}/{res.last_status}: {res.error}"


@then("the bronze table is in the catalog with its partition keys")
def bronze_table_has_its_partition_keys(lake, evidence):
    table = lake.names.bronze_table
    layout = runbook.bronze_layout(lake.clients, lake.names, read_sample=False)
    info = runbook.validate_tables(lake.clients, lake.names).present.get(table)
    evidence["bronze_table"] = {table: info}
    evidence["data_partition_keys"] = layout.partition_keys
    assert info is not None, f"table {table} missing from {lake.names.database}"
    assert info["partition_keys"] == layout.partition_keys, \
        f"{table} is partitioned by {info['partition_keys']}, the data by {layout.partition_keys}"


@when("the bookmarks of the jobs the recovery plan names are reset", target_fixture="resets")
def reset_the_bookmarks_the_plan_names(lake, evidence):
    planned = [j for j in lake.recovery_plan().get("bookmarks_to_reset", []) if j in lake.names.all_jobs]
    evidence["planned"] = planned
    if not planned:
        evidence["result"] = "the recovery plan names no job: no bookmark was reset"
        return {"jobs": [], "backup": None, "results": []}
    if lake.env.protected and os.environ.get(ALLOW_RESET_ENV) != "1":
        pytest.skip(f"environment {lake.env.name} is protected: resetting {', '.join(planned)} reprocesses their "
                    f"data; set {ALLOW_RESET_ENV}=1 for this run (or waive AA2 in lakegate.toml with a reason)")
    backup = runbook.backup_bookmarks(lake.clients, planned, lake.state_dir / "bookmark-backups")
    results = runbook.reset_bookmarks(lake.clients, planned, progress=lake.note)
    evidence["backup"] = backup.name
    evidence["restore_with"] = f"lakegate recover --env {lake.env.name} --restore-bookmarks {backup}"
    evidence["results"] = {r.job: r.outcome + (f" ({r.detail})" if r.detail else "") for r in results}
    return {"jobs": planned, "backup": backup, "results": results}


@then("only the jobs the recovery plan names were reset")
def only_planned_jobs_were_reset(resets):
    assert {r.job for r in resets["results"]} == set(resets["jobs"])
    assert all(r.outcome in ("reset", "never-run") for r in resets["results"]), resets["results"]


@then("every reset was preceded by a backup of that bookmark")
def every_reset_was_backed_up(resets):
    if not resets["jobs"]:
        assert resets["backup"] is None
        return
    data = json.loads(resets["backup"].read_text())
    assert set(data["bookmarks"]) == set(resets["jobs"]), data


@when("I wait for IAM propagation of the crawler and job roles", target_fixture="iam_wait")
def wait_for_iam_propagation(lake, evidence):
    ev = recovery.wait_for_iam(lake.clients, lake.names, list(lake.names.crawlers.values()) + lake.names.all_jobs,
                               recovery.Options(iam_timeout=120), progress=lake.note)
    evidence.update(ev)
    return ev


@then("every crawler and job role was checked")
def every_crawler_and_job_role_was_checked(lake, iam_wait):
    wanted = {n for n in [*lake.names.crawlers.values(), *lake.names.all_jobs] if lake.names.role_arns.get(n)}
    assert wanted, "the outputs name no role ARN (output role_arns)"
    unchecked = sorted(wanted - set(iam_wait.get("checked", [])))
    if unchecked and discovered(lake.names) and not any(recovery._required_actions(lake.names, n) for n in unchecked):
        cannot_verify(f"the actions the roles of {', '.join(unchecked)} need are unknown (no crawled output "
                      "or no script location for these jobs), so IAM propagation was not polled for them")
    assert set(iam_wait.get("checked", [])) == wanted, f"checked {iam_wait.get('checked')}, roles of {sorted(wanted)}"


@then("every required action is allowed on consecutive polls")
def required_actions_allowed_on_consecutive_polls(iam_wait):
    assert iam_wait["stable_polls"] >= 3, iam_wait


@then("the run left RUNNING within the timeout")
def run_left_running(workflow_run):
    st = workflow_run["status"]
    assert st.status not in ("RUNNING", "STOPPING"), st.status


@then("its progress was observed while it ran")
def progress_was_observed(workflow_run, evidence):
    seen = workflow_run["progress"]
    evidence["progress"] = seen[-10:]
    # every job run and crawl of the run, for the sign-off's timeline (lakegate.reports.timeline)
    evidence["actions"] = [n.__dict__ for n in workflow_run["nodes"]]
    assert seen, "no progress line was observed"


@then("every expected table is in the catalog")
def every_expected_table_is_in_the_catalog(lake, evidence):
    tables = runbook.validate_tables(lake.clients, lake.names)
    evidence["present"] = sorted(tables.present)
    evidence["expected"] = tables.expected
    # columns, partitions, objects, bytes and cheap row counts per table: the report's data at a glance
    evidence["tables"] = tablestats.collect(lake.clients, lake.names)
    assert not tables.missing, f"missing tables: {tables.missing}; present: {sorted(tables.present)}"


@then("no per-partition table such as bronze_ingest_year_2025 exists")
def no_per_partition_table_exists(lake):
    tables = runbook.validate_tables(lake.clients, lake.names)
    assert not tables.unexpected_partition_tables, tables.unexpected_partition_tables


@then("the workflow run is COMPLETED with all expected actions succeeded and none failed")
def workflow_completed_with_every_action_succeeded(lake, workflow_run, evidence):
    st = workflow_run["status"]
    evidence["run"] = st.evidence()
    s = st.statistics
    assert st.status == "COMPLETED", f"run {st.run_id} is {st.status}"
    assert st.failed_actions == 0, f"run {st.run_id} COMPLETED with {st.failed_actions} failed action(s) (Sintoma 1)"
    assert s.get("SucceededActions") == s.get("TotalActions") == lake.names.expected_actions, s


@then(parsers.re(r"the (?P<role>bronze|silver|gold current-state|alerts) table was updated since this run started"))
def table_was_updated_since_the_run_started(lake, evidence, role):
    table = role_table(lake.names, TABLE_ROLES[role])
    fresh = runbook.table_freshness(lake.clients, lake.names, table, lake.started)
    evidence["freshness"] = fresh.evidence()
    assert fresh.present, f"{table} is not in the catalog"
    assert fresh.updated, (f"{table}: neither the table, its partitions nor its files changed since this run "
                           f"started: {fresh.evidence()}")


@then(parsers.re(r"the (?P<role>bronze|silver|gold current-state|alerts) table is in the catalog"))
def table_is_in_the_catalog(lake, evidence, role):
    table = role_table(lake.names, TABLE_ROLES[role])
    tables = runbook.validate_tables(lake.clients, lake.names)
    evidence[table] = tables.present.get(table)
    assert table in tables.present, f"{table} is not in the catalog; present: {sorted(tables.present)}"


@when("I compute the alert types the silver data implies with the alerts job's limits", target_fixture="implied")
def compute_alert_types_from_silver(lake, evidence):
    if discovered(lake.names):
        args = lake.clients.glue.get_job(JobName=lake.names.gold_alerts_job)["Job"].get("DefaultArguments") or {}
        wanted = [arg for _, _, arg, _ in runbook.ALERT_RULES]
        if not any(a in args for a in wanted):
            not_applicable(f"the runbook's alert rules need the limits {', '.join(wanted)}; the last-stage job "
                           f"{lake.names.gold_alerts_job} has none of them")
    role_table(lake.names, "silver")
    limits = runbook.alert_limits(lake.clients, lake.names)
    res = runbook.athena_query(lake.clients, lake.names, runbook.implied_alerts_sql(lake.names.silver_table, limits))
    evidence["limits"] = limits
    evidence["implied_query"] = res.evidence()
    assert res.state == "SUCCEEDED", f"the query over {lake.names.silver_table} {res.state}: {res.error}"
    implied = {row[0]: int(row[1]) for row in res.rows}
    evidence["implied_alert_types"] = sorted(implied)
    return implied


@then("the alert types returned are exactly those the data implies")
def alert_types_match_the_data(query, implied, evidence):
    assert query.state == "SUCCEEDED", f"{query.state}: {query.error}"
    got = {row[0] for row in query.rows}
    evidence["returned_alert_types"] = sorted(got)
    assert got == set(implied), f"Athena returned {sorted(got)}, the silver data implies {sorted(implied)}"


@then("the runs of both gold jobs overlap in time")
def gold_job_runs_overlap(lake, workflow_run, evidence):
    if len(set(lake.names.gold_jobs)) < 2:
        not_applicable(f"the last stage of workflow {lake.names.workflow} has one job ({lake.names.gold_alerts_job}); "
                       "the runbook's two parallel gold jobs do not exist here")
    nodes = [n for n in workflow_run["nodes"] if n.type == "JOB" and n.name in lake.names.gold_jobs]
    evidence["gold_runs"] = [n.__dict__ for n in nodes]
    assert len(nodes) == 2, f"expected one run of each gold job, got {[n.name for n in nodes]}"
    assert runbook.intervals_overlap(nodes[0], nodes[1]), \
        f"gold jobs ran one after the other: {[(n.name, n.started, n.finished) for n in nodes]}"

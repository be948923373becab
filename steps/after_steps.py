"""After apply (PASSO 1-8) and the final validation checklist."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then, when

from lakegate import recovery, runbook, seed, tablestats


@when("I read the last workflow run", target_fixture="last_run")
def read_last_run(lake, evidence):
    st = runbook.last_workflow_run(lake.clients, lake.names)
    evidence["last_run"] = st.evidence() if st.run_id else {"workflow": st.workflow, "status": "never ran"}
    return st


@then("its status and action statistics are recorded")
def last_run_recorded(last_run, evidence):
    # A fresh environment has no run yet: that is a valid answer of PASSO 1, recorded as such.
    if last_run.run_id is None:
        assert last_run.status is None and evidence["last_run"]["status"] == "never ran"
    else:
        assert last_run.status in ("RUNNING", "COMPLETED", "STOPPING", "STOPPED", "ERROR")
        assert "TotalActions" in last_run.statistics, last_run.statistics


@then("the crawler is READY with last crawl SUCCEEDED")
def crawler_ready(lake):
    res = lake.bronze_crawl()
    assert res.succeeded, f"crawler {res.crawler}: {res.state}/{res.last_status}: {res.error}"


@then("the bronze table is in the catalog with its ingest partitions")
def bronze_table(lake, evidence):
    tables = runbook.validate_tables(lake.clients, lake.names)
    table = lake.names.crawler_tables.get(lake.names.bronze_crawler, "bronze_car_data")
    info = tables.present.get(table)
    evidence["bronze_table"] = {table: info}
    assert info is not None, f"table {table} missing; present: {sorted(tables.present)}"
    assert info["partition_keys"] == ["ingest_year", "ingest_month", "ingest_day"], info["partition_keys"]


@when("the bookmarks of the jobs named by the recovery plan, or else the runbook's three jobs, are reset",
      target_fixture="resets")
def reset_planned(lake, evidence):
    import os

    if lake.env.protected and os.environ.get("LAKEGATE_ALLOW_BOOKMARK_RESET") != "1":
        pytest.skip(f"environment {lake.env.name} is protected: resetting bookmarks reprocesses all data; "
                    "set LAKEGATE_ALLOW_BOOKMARK_RESET=1 to run this scenario there")
    planned = [j for j in lake.recovery_plan().get("bookmarks_to_reset", []) if j in lake.names.all_jobs]
    # A first deployment creates its jobs: nothing has a bookmark yet, so the plan names none and the
    # runbook's PASSO 3 list applies (never-run jobs then answer EntityNotFoundException).
    jobs = planned or list(lake.names.all_jobs)
    evidence["source"] = "recovery plan" if planned else "runbook PASSO 3 (the plan names none)"
    backup = runbook.backup_bookmarks(lake.clients, jobs, lake.state_dir / "bookmark-backups")
    results = runbook.reset_bookmarks(lake.clients, jobs, progress=lake.note)
    evidence["backup"] = str(backup)
    evidence["results"] = {r.job: r.outcome + (f" ({r.detail})" if r.detail else "") for r in results}
    return {"backup": backup, "results": results, "jobs": jobs}


@then("each job's bookmark is reset or reported as never run")
def resets_ok(resets):
    assert {r.job for r in resets["results"]} == set(resets["jobs"])
    assert all(r.outcome in ("reset", "never-run") for r in resets["results"])


@then("the previous bookmarks were saved before the reset")
def resets_backed_up(resets):
    import json

    data = json.loads(resets["backup"].read_text())
    assert set(data["bookmarks"]) == set(resets["jobs"])


@when("I wait for IAM propagation of the crawler and job roles", target_fixture="iam_wait")
def iam_wait(lake, evidence):
    ev = recovery.wait_for_iam(lake.clients, lake.names, list(lake.names.crawlers.values()) + lake.names.all_jobs,
                               recovery.Options(iam_timeout=300), progress=lake.note)
    evidence.update(ev)
    return ev


@then("every required action is allowed on consecutive polls")
def iam_stable(iam_wait):
    assert iam_wait.get("checked"), iam_wait
    assert iam_wait["stable_polls"] >= 3


@then("the run left RUNNING within the timeout")
def run_finished(lake):
    st = lake.workflow_run()["status"]
    assert st.status not in ("RUNNING", "STOPPING"), st.status


@then("its progress was observed while it ran")
def run_progress(lake, evidence):
    run = lake.workflow_run()
    seen = run["progress"]
    evidence["progress"] = seen[-10:]
    # every job run and crawl of the run, for the sign-off's timeline (lakegate.reports.timeline)
    evidence["actions"] = [n.__dict__ for n in run["nodes"]]
    assert seen, "no progress line was observed"


@then("every expected table is in the catalog")
def tables_present(lake, evidence):
    tables = runbook.validate_tables(lake.clients, lake.names)
    evidence["present"] = sorted(tables.present)
    evidence["expected"] = tables.expected
    # columns, partitions, objects, bytes and cheap row counts per table: the report's data at a glance
    evidence["tables"] = tablestats.collect(lake.clients, lake.names)
    assert not tables.missing, f"missing tables: {tables.missing}; present: {sorted(tables.present)}"


@then("no per-partition table such as bronze_ingest_year_2025 exists")
def no_partition_tables(lake):
    tables = runbook.validate_tables(lake.clients, lake.names)
    assert not tables.unexpected_partition_tables, tables.unexpected_partition_tables


@then("the workflow run is COMPLETED with all expected actions succeeded and none failed")
def fv1(lake, evidence):
    st = lake.workflow_run()["status"]
    evidence["run"] = st.evidence()
    s = st.statistics
    assert st.status == "COMPLETED", f"run {st.run_id} is {st.status}"
    assert st.failed_actions == 0, f"run {st.run_id} COMPLETED with {st.failed_actions} failed action(s) (Sintoma 1)"
    assert s.get("SucceededActions") == s.get("TotalActions") == lake.names.expected_actions, s


@then("the table of the bronze crawler was updated since the recovery started")
def fv2(lake, evidence):
    lake.bronze_crawl()
    table = lake.names.crawler_tables.get(lake.names.bronze_crawler, "bronze_car_data")
    tables = runbook.validate_tables(lake.clients, lake.names)
    evidence[table] = tables.present.get(table)
    assert tables.updated_since(table, lake.started), f"{table}: {tables.present.get(table)} not updated since start"


@then(parsers.parse('the table "{table}" was updated since the workflow run started'))
def table_updated(lake, evidence, table):
    run = lake.workflow_run()
    tables = runbook.validate_tables(lake.clients, lake.names)
    evidence[table] = tables.present.get(table)
    evidence["run_started"] = run["started"]
    assert table in tables.present, f"{table} is not in the catalog"
    assert tables.updated_since(table, run["started"]), f"{table} not updated since the run started: {tables.present[table]}"


@then(parsers.parse('the table "{table}" is in the catalog'))
def table_present(lake, evidence, table):
    tables = runbook.validate_tables(lake.clients, lake.names)
    evidence[table] = tables.present.get(table)
    assert table in tables.present, f"{table} is not in the catalog; present: {sorted(tables.present)}"


@then("the alert types are exactly those the test data implies")
def fv6(lake, query, evidence):
    implied = seed.implied_alert_types(lake.clients, lake.names)
    assert query.state == "SUCCEEDED", f"{query.state}: {query.error}"
    got = {row[0] for row in query.rows}
    evidence["implied"] = sorted(implied or [])
    evidence["returned"] = sorted(got)
    assert implied is not None, "no lakegate seed manifest: cannot tell which alerts the data implies"
    assert got == implied, f"Athena returned {sorted(got)}, the data implies {sorted(implied)}"


@then("the runs of both gold jobs overlap in time")
def fv8(lake, evidence):
    nodes = [n for n in lake.workflow_run()["nodes"] if n.type == "JOB" and n.name in lake.names.gold_jobs]
    evidence["gold_runs"] = [n.__dict__ for n in nodes]
    assert len(nodes) == 2, f"expected one run of each gold job, got {[n.name for n in nodes]}"
    assert runbook.intervals_overlap(nodes[0], nodes[1]), \
        f"gold jobs ran one after the other: {[(n.name, n.started, n.finished) for n in nodes]}"

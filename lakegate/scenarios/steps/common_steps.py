"""Steps shared by every feature. Table names in Gherkin are placeholders (``{gold_current_state}``)
filled from the pipeline's outputs (:meth:`lakegate.names.PipelineNames.tables_by_role`)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from lakegate import runbook
from lakegate.scenarios.steps.applicability import discovered, not_applicable, tables_for


@given("the deployed pipeline", target_fixture="pipeline")
def the_deployed_pipeline(lake, evidence):
    evidence["environment"] = lake.env.name
    evidence["workflow"] = lake.names.workflow
    evidence["database"] = lake.names.database
    return lake.names


@given("the plan that was applied", target_fixture="plan_source")
def the_plan_that_was_applied(lake, evidence):
    evidence["plan"] = lake.plan_source
    return lake.plan_source


@given("the bronze crawler has run", target_fixture="bronze_crawl")
@when("the bronze crawler has run", target_fixture="bronze_crawl")
def the_bronze_crawler_has_run(lake, evidence):
    res = lake.bronze_crawl()
    evidence["bronze_crawl"] = res.evidence()
    return res


@given("the workflow has run to the end", target_fixture="workflow_run")
@when("the workflow has run to the end", target_fixture="workflow_run")
def the_workflow_has_run_to_the_end(lake, evidence):
    run = lake.workflow_run()
    evidence["workflow_run"] = run["status"].evidence()
    return run


@when(parsers.parse('I query "{sql}" in Athena'), target_fixture="query")
def athena_query(lake, evidence, sql):
    res = runbook.athena_query(lake.clients, lake.names, sql.format(**tables_for(lake.names, sql)))
    evidence["athena"] = res.evidence()
    if res.state != "SUCCEEDED" and discovered(lake.names) and res.error and (
            "cannot be resolved" in res.error or "COLUMN_NOT_FOUND" in res.error):
        not_applicable(f"the runbook's query reads the reference pipeline's columns: {res.error}")
    return res


@then(parsers.parse("the query succeeds with at least {n:d} row"))
@then(parsers.parse("the query succeeds with at least {n:d} rows"))
def query_returns_rows(query, n):
    assert query.state == "SUCCEEDED", f"query {query.query_id} {query.state}: {query.error}"
    assert len(query.rows) >= n, f"query {query.query_id} returned {len(query.rows)} rows, expected >= {n}"


@then("the job and crawler logs hold no critical error since the run started")
def logs_hold_no_critical_error(lake, workflow_run, evidence):
    groups = sorted(set(lake.names.log_groups.values()) | {lake.names.crawler_log_group})
    hits = runbook.critical_log_events(lake.clients, groups, since=workflow_run["started"])
    evidence["log_groups"] = groups
    evidence["critical_events"] = [f"{h.group} {h.stream}: {h.message[:200]}" for h in hits]
    assert not hits, f"{len(hits)} critical log event(s), first: {hits[0].group} {hits[0].stream}: {hits[0].message[:300]}"

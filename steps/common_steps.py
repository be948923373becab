"""Steps shared by every feature."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from lakegate import runbook


@given("the deployed pipeline")
def deployed_pipeline(lake, evidence):
    evidence["environment"] = lake.env.name
    evidence["workflow"] = lake.names.workflow
    evidence["database"] = lake.names.database


@given("the Terraform configuration of the pipeline")
def terraform_configuration(lake, evidence):
    evidence["tf_dir"] = str(lake.env.tf_dir)


@given("the bronze crawler has run")
@when("the bronze crawler has run")
def bronze_crawler_has_run(lake, evidence):
    res = lake.bronze_crawl()
    evidence["bronze_crawl"] = res.evidence()


@given("the workflow has run to the end")
@when("the workflow has run to the end")
def workflow_has_run(lake, evidence):
    run = lake.workflow_run()
    evidence["workflow_run"] = run["status"].evidence()


@when(parsers.parse('I query "{sql}" in Athena'), target_fixture="query")
def athena_query(lake, evidence, sql):
    res = runbook.athena_query(lake.clients, lake.names, sql)
    evidence["athena"] = res.evidence()
    return res


@then(parsers.parse("the query succeeds with at least {n:d} row"))
@then(parsers.parse("the query succeeds with at least {n:d} rows"))
def query_rows(query, n):
    assert query.state == "SUCCEEDED", f"query {query.query_id} {query.state}: {query.error}"
    assert len(query.rows) >= n, f"query {query.query_id} returned {len(query.rows)} rows, expected >= {n}"


@then("the job and crawler logs hold no critical error since the run started")
def logs_clean(lake, evidence):
    run = lake.workflow_run()
    groups = sorted(set(lake.names.log_groups.values()) | {lake.names.crawler_log_group})
    hits = runbook.critical_log_events(lake.clients, groups, since=run["started"])
    evidence["log_groups"] = groups
    evidence["critical_events"] = [f"{h.group} {h.stream}: {h.message[:200]}" for h in hits]
    assert not hits, f"{len(hits)} critical log event(s), first: {hits[0].group} {hits[0].stream}: {hits[0].message[:300]}"

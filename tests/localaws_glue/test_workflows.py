"""Workflow runs walking the trigger graph, in-process with moto and the real job SQL."""

from __future__ import annotations

import pytest

from localaws.dispatch import AwsError
from localaws.glue import crawler as cr
from localaws.glue import workflows as wf
from localaws.glue.state import glue_state

from .conftest import CRAWLERS, DB, JOB_NAMES, WORKFLOW, make_pipeline, wait_for


def test_predicates():
    conds = [{"LogicalOperator": "EQUALS", "JobName": "a", "State": "SUCCEEDED"},
             {"LogicalOperator": "EQUALS", "CrawlerName": "c", "CrawlState": "SUCCEEDED"}]
    assert wf.predicate_met({"Logical": "AND", "Conditions": conds}, {"a": "SUCCEEDED"}, {"c": "SUCCEEDED"})
    assert not wf.predicate_met({"Logical": "AND", "Conditions": conds}, {"a": "SUCCEEDED"}, {"c": "FAILED"})
    assert wf.predicate_met({"Logical": "ANY", "Conditions": conds}, {"a": "FAILED"}, {"c": "SUCCEEDED"})
    assert not wf.predicate_met({"Logical": "ANY", "Conditions": conds}, {}, {})
    assert not wf.predicate_met({"Conditions": []}, {}, {})


def _crawl_bronze(ctx):
    name = CRAWLERS["bronze"][0]
    cr.h_start_crawler(ctx, {"Name": name})
    wait_for(lambda: "LastCrawl" in (c := cr.h_get_crawler(ctx, {"Name": name})["Crawler"]) and c["State"] == "READY")


def _wait_run(ctx, run_id, statuses=("COMPLETED", "STOPPED")):
    return wait_for(lambda: (r := wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": run_id, "IncludeGraph": True})["Run"])
                    ["Status"] in statuses and r, timeout=60)


@pytest.mark.slow
def test_workflow_completes_six_of_six_and_gold_jobs_overlap(ctx, clients, tmp_path):
    make_pipeline(clients, tmp_path)
    _crawl_bronze(ctx)
    run_id = wf.h_start_workflow_run(ctx, {"Name": WORKFLOW})["RunId"]
    assert wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": run_id})["Run"]["Status"] == "RUNNING"
    run = _wait_run(ctx, run_id)
    assert run["Status"] == "COMPLETED"
    s = run["Statistics"]
    assert (s["TotalActions"], s["SucceededActions"], s["FailedActions"], s["RunningActions"]) == (6, 6, 0, 0), s
    tables = {t["Name"] for t in clients["glue"].get_tables(DatabaseName=DB)["TableList"]}
    assert tables == {"bronze_car_data", "silver_car_telemetry", "gold_car_current_state", "performance_alerts_log"}
    nodes = {n["Name"]: n for n in run["Graph"]["Nodes"]}
    g1 = nodes[JOB_NAMES["gold_car_current_state"]]["JobDetails"]["JobRuns"][0]
    g2 = nodes[JOB_NAMES["gold_performance_alerts"]]["JobDetails"]["JobRuns"][0]
    assert g1["StartedOn"] < g2["CompletedOn"] and g2["StartedOn"] < g1["CompletedOn"]
    assert g1["WorkflowRunId"] == run_id and g1["TriggerName"] == "after-silver-crawler"
    assert len(run["Graph"]["Edges"]) == 10
    assert nodes[CRAWLERS["silver"][0]]["CrawlerDetails"]["Crawls"][0]["State"] == "SUCCEEDED"
    runs = wf.h_get_workflow_runs(ctx, {"Name": WORKFLOW})["Runs"]
    assert [r["WorkflowRunId"] for r in runs] == [run_id]
    w = wf.h_get_workflow(ctx, {"Name": WORKFLOW, "IncludeGraph": True})["Workflow"]
    assert w["LastRun"]["WorkflowRunId"] == run_id and len(w["Graph"]["Nodes"]) == 11


@pytest.mark.slow
def test_failed_action_still_completes_and_stop_held_run(ctx, clients, tmp_path):
    make_pipeline(clients, tmp_path)
    # no bronze crawl: the silver job fails (table not found) -> COMPLETED with 1 failed action
    run_id = wf.h_start_workflow_run(ctx, {"Name": WORKFLOW})["RunId"]
    run = _wait_run(ctx, run_id)
    assert run["Status"] == "COMPLETED"
    assert (run["Statistics"]["TotalActions"], run["Statistics"]["FailedActions"]) == (1, 1)
    with pytest.raises(AwsError) as err:
        wf.h_stop_workflow_run(ctx, {"Name": WORKFLOW, "RunId": run_id})
    assert err.value.code == "IllegalWorkflowStateException"
    # a held action keeps the run RUNNING until StopWorkflowRun
    glue_state(ctx).hold_next_workflow_action.add(JOB_NAMES["silver_consolidation"])
    run2 = wf.h_start_workflow_run(ctx, {"Name": WORKFLOW})["RunId"]
    import time
    time.sleep(0.5)
    assert wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": run2})["Run"]["Status"] == "RUNNING"
    wf.h_stop_workflow_run(ctx, {"Name": WORKFLOW, "RunId": run2})
    assert wf.h_get_workflow_run(ctx, {"Name": WORKFLOW, "RunId": run2})["Run"]["Status"] in ("STOPPING", "STOPPED")
    r = _wait_run(ctx, run2)
    assert r["Status"] == "STOPPED" and r["Statistics"]["StoppedActions"] == 1
    assert [x["WorkflowRunId"] for x in wf.h_get_workflow_runs(ctx, {"Name": WORKFLOW})["Runs"]] == [run2, run_id]

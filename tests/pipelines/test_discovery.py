"""PipelineNames discovered from a deployed workflow (boto3 against moto), for the reference
pipeline (compared with its own Terraform outputs' meaning) and for a pipeline of other shapes."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from lakegate.errors import LakegateError
from lakegate.names import PipelineNames, discover, graph_roles, names_for
from tests.localaws_glue import conftest as ref
from tests.pipelines.acme_boto import CURATED, LANDING, ORDERS_DB, ORDERS_WF, acme_pipeline


@pytest.fixture
def clients():
    with mock_aws():
        c = {s: boto3.client(s, region_name="us-east-1") for s in ("s3", "glue", "iam", "logs", "athena")}
        c["ns"] = SimpleNamespace(**c)
        yield c


def test_graph_roles_stages_and_start_forms():
    trig = [
        {"Name": "go", "Type": "SCHEDULED", "Actions": [{"CrawlerName": "c0"}]},
        {"Name": "t1", "Type": "CONDITIONAL", "Actions": [{"JobName": "a"}, {"JobName": "b"}],
         "Predicate": {"Conditions": [{"CrawlerName": "c0", "CrawlState": "SUCCEEDED"}]}},
        {"Name": "t2", "Type": "CONDITIONAL", "Actions": [{"CrawlerName": "c1"}],
         "Predicate": {"Logical": "AND", "Conditions": [{"JobName": "a", "State": "SUCCEEDED"},
                                                        {"JobName": "b", "State": "SUCCEEDED"}]}},
        {"Name": "t3", "Type": "CONDITIONAL", "Actions": [{"JobName": "z"}],
         "Predicate": {"Conditions": [{"CrawlerName": "c1", "CrawlState": "SUCCEEDED"}]}},
        {"Name": "on-fail", "Type": "CONDITIONAL", "Actions": [{"JobName": "alert"}],
         "Predicate": {"Conditions": [{"JobName": "z", "State": "FAILED"}]}},
    ]
    r = graph_roles("wf", trig)
    assert r.start_crawlers == ["c0"] and r.first_jobs == ["a", "b"]
    assert r.stages == [["a", "b"], ["z"]] and r.last_jobs == ["z"]
    assert r.crawlers_after("a") == ["c1"] and len(r.actions) == 6
    with pytest.raises(LakegateError, match="no start trigger"):
        graph_roles("wf", trig[1:])


@pytest.mark.parametrize("start_with_crawler", [True, False])
def test_discovery_of_another_pipeline(clients, start_with_crawler):
    acme_pipeline(clients, start_with_crawler=start_with_crawler)
    n = discover(clients["ns"])
    assert n.workflow == ORDERS_WF
    assert n.bronze_crawler == "landing-orders"          # the ingestion crawler
    assert n.silver_job == "clean_orders"                 # first stage
    assert n.gold_jobs == ["big_orders", "big_orders"]    # last stage (one job)
    assert n.database == ORDERS_DB
    assert n.bronze_data_path == f"s3://{LANDING}/exports/sales_orders/" and n.bronze_bucket == LANDING
    assert n.bronze_table == "sales_orders"
    assert n.table_written_by("clean_orders") == "cur_orders"
    assert n.crawler_targets["curated-orders"] == f"s3://{CURATED}/orders/"
    assert n.expected_actions == (4 if start_with_crawler else 3)
    assert n.role_names["clean_orders"] == "AcmeGlueServiceRole"
    assert n.roles["first_stage_jobs"] == ["clean_orders"]
    assert n.unknown("bronze_crawler_name") is None
    assert n.unknown("athena_result_location")            # primary sets no output location: said, not guessed


def test_outputs_override_discovery_and_several_workflows_need_a_name(clients):
    acme_pipeline(clients)
    clients["glue"].create_workflow(Name="zz-other")
    with pytest.raises(LakegateError) as err:
        discover(clients["ns"])
    assert "2 workflows" in err.value.what and "workflow = " in err.value.fix
    n = names_for({"athena_result_location": {"value": "s3://q/", "type": "string"}}, clients["ns"],
                  workflow=ORDERS_WF)
    assert n.athena_output == "s3://q/" and n.unknown("athena_result_location") is None
    with pytest.raises(LakegateError, match="not deployed"):
        discover(clients["ns"], workflow="nope")


def test_discovery_of_the_reference_pipeline_matches_its_outputs(clients, tmp_path):
    ref.make_pipeline(clients, tmp_path, rows=50)
    n = discover(clients["ns"])
    assert n.workflow == ref.WORKFLOW
    assert n.bronze_crawler == ref.CRAWLERS["bronze"][0]    # outside the workflow: found via the job's reads
    assert n.silver_job == ref.JOB_NAMES["silver_consolidation"]
    assert sorted(n.gold_jobs) == sorted([ref.JOB_NAMES["gold_car_current_state"], ref.JOB_NAMES["gold_performance_alerts"]])
    assert n.expected_actions == 6 and n.bronze_table == "bronze_car_data"
    assert n.table_written_by(n.silver_job) == "silver_car_telemetry"
    assert n.bronze_data_path == f"s3://{ref.BRONZE}/bronze/car_data/"


def test_names_for_keeps_complete_outputs(clients):
    outputs = {k: "x" for k in ("workflow_name", "bronze_crawler_name", "silver_job_name",
                                "gold_current_state_job_name", "gold_alerts_job_name", "database_name",
                                "athena_workgroup_name", "athena_result_location", "bronze_bucket",
                                "bronze_data_path")}
    outputs.update(crawler_names={}, job_names={}, expected_tables=[])
    assert isinstance(names_for(outputs, None), PipelineNames)   # no AWS call at all

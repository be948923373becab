"""AWS is not instant: the local AWS throttles (``throttling``) and applies IAM changes late
(``iam-propagation-delay SECONDS``), and lakegate's clients and polling get through both — while
a client without retries, or a crawl that ignores propagation, does not."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lakegate import localenv, recovery, runbook
from lakegate.envconfig import Clients, Environment
from lakegate.names import PipelineNames
from lakegate.polling import Poller
from tests.localaws_glue.conftest import BRONZE, CRAWLERS, DB, JOB_NAMES, WORKFLOW
from tests.localaws_glue.served_pipeline import start_served_pipeline

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    sp = start_served_pipeline(tmp_path_factory.mktemp("not-instant"), time_scale=0.05, rows=200)
    yield sp
    localenv.stop(path=sp.state_file)


@pytest.fixture
def names() -> PipelineNames:
    crawler = {k: v[0] for k, v in CRAWLERS.items()}
    return PipelineNames.from_outputs({
        "workflow_name": WORKFLOW, "bronze_crawler_name": crawler["bronze"],
        "silver_job_name": JOB_NAMES["silver_consolidation"],
        "gold_current_state_job_name": JOB_NAMES["gold_car_current_state"],
        "gold_alerts_job_name": JOB_NAMES["gold_performance_alerts"],
        "crawler_names": {"bronze": crawler["bronze"]}, "job_names": JOB_NAMES, "database_name": DB,
        "expected_tables": ["bronze_car_data"], "athena_workgroup_name": "primary",
        "athena_result_location": f"s3://{BRONZE}/athena/", "bronze_bucket": BRONZE,
        "bronze_data_path": f"s3://{BRONZE}/bronze/car_data/",
        "crawler_targets": {crawler["bronze"]: f"s3://{BRONZE}/bronze/car_data/"},
        "crawler_tables": {crawler["bronze"]: "bronze_car_data"},
        "role_arns": {crawler["bronze"]: f"arn:aws:iam::{ACCOUNT}:role/{crawler['bronze']}-role"},
        "account_id": ACCOUNT, "region": "us-east-1",
    })


def _fault(served, name: str, clear: bool = False, **options) -> dict:
    status, body = localenv.admin_post(served.state, f"fault/{name}" + ("/clear" if clear else ""), options or None)
    assert status == 200, body
    return body


@pytest.mark.slow
def test_throttling_is_retried_by_lakegate_clients_and_fails_a_client_without_retries(served, names):
    clients = Clients(Environment(name="local", kind="local"), endpoint=served.state.endpoint)
    bare = localenv.client("glue", served.state, config=Config(retries={"mode": "standard", "max_attempts": 1}))
    _fault(served, "throttling", every=3)
    try:
        with pytest.raises(ClientError) as err:
            for _ in range(3):
                bare.get_crawler(Name=names.bronze_crawler)
        assert err.value.response["Error"]["Code"] == "ThrottlingException"
        for _ in range(5):          # standard retry mode: refused twice, answered the third time
            assert clients.glue.get_crawler(Name=names.bronze_crawler)["Crawler"]["Name"] == names.bronze_crawler
        seen: list[str] = []
        run_id = runbook.start_workflow(clients, names, poller=Poller(initial=0.05, max_interval=0.2),
                                        progress=seen.append)
        assert run_id.startswith("wr_")
        assert any("ConcurrentRunsExceededException" in line for line in seen), seen
    finally:
        refused = _fault(served, "throttling", clear=True)["detail"]["refused"]
    assert refused >= 4
    runbook.monitor_workflow(clients, names, run_id, timeout=120, poller=Poller(initial=0.2, max_interval=1))


@pytest.mark.slow
def test_a_crawl_rides_out_late_iam_propagation_but_not_a_missing_permission(served, names):
    clients = Clients(Environment(name="local", kind="local"), endpoint=served.state.endpoint)
    fast = Poller(initial=0.2, max_interval=0.5)
    first = runbook.run_crawler(clients, names.bronze_crawler, timeout=120, poller=fast)
    assert first.succeeded, first            # the table exists now: re-crawls need BatchGetPartition

    _fault(served, "crawler-access-denied")
    try:
        # a permission really missing: no waiting helps, the failed crawl comes back at once (P2)
        res, why = recovery.crawl_through_iam(clients, names, names.bronze_crawler, timeout=120, iam_timeout=30,
                                              poller=fast, progress=lambda m: None)
        assert not res.succeeded and "glue:BatchGetPartition" in (res.error or "")
        assert any("glue:BatchGetPartition" in d for d in why["policy_denies"]), why

        _fault(served, "iam-propagation-delay", seconds=3)
    finally:
        _fault(served, "crawler-access-denied", clear=True)   # the fix is applied ... and propagates late
    try:
        late = runbook.run_crawler(clients, names.bronze_crawler, timeout=120, poller=fast)
        assert late.last_status == "FAILED" and "glue:BatchGetPartition" in (late.error or ""), late
        res, why = recovery.crawl_through_iam(clients, names, names.bronze_crawler, timeout=120, iam_timeout=60,
                                              poller=Poller(initial=0.5, max_interval=1.0), progress=lambda m: None)
        assert res.succeeded, (res, why)
        assert why["iam_propagation_retries"] >= 1 and why["first_attempt"]["last_status"] == "FAILED"
    finally:
        _fault(served, "iam-propagation-delay", clear=True)


def test_iam_wait_covers_job_roles_too(names):
    """AA3 / PASSO 4 simulates what each job needs (script, SQL, input tables, output)."""
    job = names.silver_job
    with_job = PipelineNames.from_outputs({**names.raw, "role_arns": {job: f"arn:aws:iam::{ACCOUNT}:role/silver"},
                                           "job_output_paths": {job: "s3://silver/car_telemetry/"},
                                           "job_script_locations": {job: "s3://scripts/silver.py"},
                                           "job_arguments": {job: {"--bronze_table": "bronze_car_data",
                                                                   "--sql_path": "s3://scripts/silver.sql"}}})
    pairs = recovery._required_actions(with_job, job)
    actions = {a for a, _ in pairs}
    assert {"s3:GetObject", "s3:PutObject", "glue:GetTable"} <= actions, pairs
    assert any(r.endswith(":table/" + DB + "/bronze_car_data") for a, r in pairs if a == "glue:GetTable"), pairs
    assert json.dumps(recovery._role_checks(with_job, [job]))

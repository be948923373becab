"""Workflow graph, consistency and change-impact rules, each made to fire on a mutated plan."""

from __future__ import annotations

import copy
from pathlib import Path

from tests.gate.conftest import FIXTURES, plan_data
from tests.gate.helpers import change, check, ids, planned, set_value

WF = "datalake-pipeline-silver-etl-workflow-dev"
JOB = "datalake-pipeline-silver-consolidation-dev"


def _add_trigger(data: dict, name: str, values: dict) -> None:
    src = planned(data, "aws_glue_trigger.start")
    new = copy.deepcopy(src)
    new["address"] = f"aws_glue_trigger.{name}"
    new["name"] = name
    new["values"].update(values)
    data["planned_values"]["root_module"]["resources"].append(new)


def test_workflow_summary_and_clean_graph():
    result = check(plan_data("pipeline"), FIXTURES / "pipeline")
    assert [(w.name, w.actions, w.parallel_groups) for w in result.workflows] == [(WF, 2, [])]
    assert not [i for i in ids(result) if i.startswith("LG-WF")]


def test_second_start_trigger():
    data = plan_data("pipeline")
    _add_trigger(data, "nightly", {"name": "nightly", "type": "SCHEDULED", "schedule": "cron(0 1 * * ? *)"})
    assert "LG-WF-001" in ids(check(data, FIXTURES / "pipeline"))


def test_condition_on_crawler_must_use_crawl_state_and_be_started():
    data = plan_data("pipeline")
    _add_trigger(data, "after_crawler", {
        "name": "after_crawler", "type": "CONDITIONAL",
        "predicate": [{"logical": "AND", "conditions": [{"crawler_name": "datalake-pipeline-bronze-car-data-crawler-dev",
                                                         "state": "SUCCEEDED", "crawl_state": None,
                                                         "job_name": None, "logical_operator": "EQUALS"}]}],
        "actions": [{"job_name": JOB, "crawler_name": None}]})
    found = ids(check(data, FIXTURES / "pipeline"))
    assert "LG-WF-003" in found      # state instead of crawl_state
    assert "LG-WF-002" in found      # the bronze crawler is outside the workflow
    assert "LG-WF-004" not in found  # same action, different predicate: not a duplicate


def test_conditions_read_back_from_aws_with_empty_strings_are_not_wrong_state_fields():
    """A plan over existing state carries unset condition fields as "" (the provider reads them
    back from AWS): the healthy pipeline must stay free of LG-WF-003, and a real mix-up is still
    caught."""
    data = plan_data("pipeline")
    for rc in data["planned_values"]["root_module"]["resources"]:
        if rc["type"] != "aws_glue_trigger":
            continue
        for pred in rc["values"].get("predicate") or []:
            for cond in pred.get("conditions") or []:
                for key in ("job_name", "crawler_name", "state", "crawl_state"):
                    if cond.get(key) is None:
                        cond[key] = ""
    assert "LG-WF-003" not in ids(check(data, FIXTURES / "pipeline"))
    vals = planned(data, "aws_glue_trigger.after_silver_job")["values"]
    cond = vals["predicate"][0]["conditions"][0]
    cond["crawl_state"], cond["state"] = cond["state"] or "SUCCEEDED", ""
    assert "LG-WF-003" in ids(check(data, FIXTURES / "pipeline"))


def test_duplicate_pair_and_unknown_name():
    data = plan_data("pipeline")
    vals = planned(data, "aws_glue_trigger.after_silver_job")["values"]
    _add_trigger(data, "dup", {**copy.deepcopy(vals), "name": "dup"})
    _add_trigger(data, "ghost", {"name": "ghost", "type": "CONDITIONAL",
                                 "predicate": copy.deepcopy(vals["predicate"]),
                                 "actions": [{"job_name": "no-such-job", "crawler_name": None}]})
    found = ids(check(data, FIXTURES / "pipeline"))
    assert "LG-WF-004" in found and "LG-WF-005" in found


def test_job_started_by_two_triggers_of_one_workflow():
    data = plan_data("pipeline")
    # a second, conditional trigger also starts the silver job (already started by the start trigger)
    _add_trigger(data, "again", {"name": "again", "type": "CONDITIONAL",
                                 "predicate": [{"logical": "AND", "conditions": [
                                     {"crawler_name": "datalake-pipeline-silver-crawler-dev",
                                      "crawl_state": "SUCCEEDED", "state": None, "job_name": None,
                                      "logical_operator": "EQUALS"}]}],
                                 "actions": [{"job_name": JOB, "crawler_name": None}]})
    result = check(data, FIXTURES / "pipeline")
    f = [x for x in result.findings if x.rule_id == "LG-WF-007"]
    assert len(f) == 1 and JOB in f[0].message and "2 triggers" in f[0].message
    assert "LG-WF-004" not in ids(result)   # different predicates: not an identical edge
    assert "LG-WF-007" not in ids(check(plan_data("pipeline"), FIXTURES / "pipeline"))


def test_partitioning_advisory_only_for_partitioned_targets():
    # the silver job writes partition_by=... (SQL header): its crawler without
    # CombineCompatibleSchemas gets the advisory; the bronze crawler (nothing partitioned
    # written there that the plan knows of) does not
    data = plan_data("pipeline")
    for addr in ("aws_glue_crawler.silver", "aws_glue_crawler.bronze"):
        set_value(data, addr, "configuration", None)
    f = [x.address for x in check(data, FIXTURES / "pipeline").findings
         if x.rule_id == "LG-CONS-003" and x.severity == "medium"]
    assert f == ["aws_glue_crawler.silver"]


def test_crawler_target_must_match_job_output(pipeline_dir: Path):
    data = plan_data("pipeline")
    set_value(data, "aws_glue_crawler.silver", "s3_target",
              [{"path": "s3://datalake-pipeline-silver-dev/elsewhere/", "connection_name": None,
                "dlq_event_queue_arn": None, "event_queue_arn": None, "exclusions": None, "sample_size": None}])
    found = ids(check(data, FIXTURES / "pipeline"))
    assert "LG-CONS-001" in found


def test_job_table_must_be_produced_by_a_crawler():
    data = plan_data("pipeline")
    args = dict(planned(data, "aws_glue_job.silver")["values"]["default_arguments"])
    args["--bronze_table"] = "bronze_ingest_year_2025"
    set_value(data, "aws_glue_job.silver", "default_arguments", args)
    # what the job reads comes from its script + SQL header (no --*_table naming convention)
    result = check(data, FIXTURES / "pipeline")
    assert "LG-CONS-002" in ids(result)
    msg = next(f.message for f in result.findings if f.rule_id == "LG-CONS-002")
    assert "bronze_car_data" in msg


def test_include_path_inside_partition_folder():
    data = plan_data("pipeline")
    set_value(data, "aws_glue_crawler.bronze", "s3_target",
              [{"path": "s3://datalake-pipeline-bronze-dev/bronze/car_data/ingest_year=2025/"}])
    result = check(data, FIXTURES / "pipeline")
    f = [f for f in result.findings if f.rule_id == "LG-CONS-003" and f.severity == "high"]
    assert f and "bronze_ingest_year_2025" in f[0].message


def test_script_argument_not_passed(pipeline_dir: Path):
    p = pipeline_dir / "glue_jobs" / "silver_consolidation.py"
    p.write_text(p.read_text().replace('"sql_path"]', '"sql_path", "gold_path"]'))
    result = check(plan_data("pipeline"), pipeline_dir)
    f = [f for f in result.findings if f.rule_id == "LG-CONS-004"]
    assert f and "gold_path" in f[0].message and f[0].severity == "high"


def test_script_does_not_parse(pipeline_dir: Path):
    p = pipeline_dir / "glue_jobs" / "silver_consolidation.py"
    p.write_text(p.read_text() + "\ndef broken(:\n")
    assert "LG-CONS-005" in ids(check(plan_data("pipeline"), pipeline_dir))


def test_script_missing(pipeline_dir: Path):
    (pipeline_dir / "glue_jobs" / "silver_consolidation.py").unlink()
    assert "LG-CONS-005" in ids(check(plan_data("pipeline"), pipeline_dir))


def test_bookmarks_need_transformation_ctx(pipeline_dir: Path):
    p = pipeline_dir / "glue_jobs" / "silver_consolidation.py"
    p.write_text(p.read_text().replace(', transformation_ctx="bronze_batch"', ""))
    assert "LG-CONS-006" in ids(check(plan_data("pipeline"), pipeline_dir))


def test_sql_header_invalid(pipeline_dir: Path):
    p = pipeline_dir / "glue_jobs" / "silver_consolidation.sql"
    p.write_text(p.read_text().replace("{bronze_table}", "{no_such_arg}"))
    result = check(plan_data("pipeline"), pipeline_dir)
    assert any(f.rule_id == "LG-CONS-005" and "no_such_arg" in f.message for f in result.findings)


def test_script_arg_literal_list_helper(tmp_path: Path):
    from tf_checks.rules import parse_script
    p = tmp_path / "s.py"
    p.write_text("import sys\nA = ['x', 'y']\ndef run(names):\n    getResolvedOptions(sys.argv, ['JOB_NAME'] + list(names))\n"
                 "run(A)\n")
    assert parse_script(p).args == ["JOB_NAME", "x", "y"]
    p.write_text("import sys\ngetResolvedOptions(sys.argv, compute())\n")
    assert parse_script(p).args is None


def test_crawler_table_name():
    from lakegate.glue_naming import crawler_table_name
    assert crawler_table_name("bronze_", "s3://b/bronze/car_data/") == "bronze_car_data"
    assert crawler_table_name("", "s3://b/performance-alerts.Log") == "performance_alerts_log"
    assert crawler_table_name("Silver_", "s3://b/car_telemetry") == "silver_car_telemetry"
    # the prefix is kept as given (lower-cased), only the folder is sanitised
    assert crawler_table_name("bronze-", "s3://b/raw/car-data/") == "bronze-car_data"


def test_localaws_uses_the_same_naming():
    from lakegate.glue_naming import table_name
    from localaws.glue import naming
    for prefix, folder in (("bronze-", "car_data"), ("", "My-Data.v2"), (None, "x")):
        assert naming.table_name(prefix, folder) == table_name(prefix, folder)


# ---------------------------------------------------------------- change impact

def test_recovery_plan_for_creation():
    rp = check(plan_data("pipeline"), FIXTURES / "pipeline").recovery_plan
    assert rp["version"] == 1
    assert rp["crawlers_to_run"] == ["datalake-pipeline-bronze-car-data-crawler-dev"]
    assert rp["bookmarks_to_reset"] == []          # new jobs have no bookmark
    assert rp["iam_propagation_wait"] is True
    assert rp["run_workflow"] == [WF]
    assert all(set(r) == {"step", "target", "because"} for r in rp["reasons"])


def _as_existing(data: dict) -> None:
    """Turn every create into a no-op (before == after), as for an unchanged deployment."""
    for rc in data["resource_changes"]:
        ch = rc["change"]
        if ch["actions"] == ["create"]:
            ch["actions"] = ["no-op"]
            ch["before"] = copy.deepcopy(ch["after"])
            ch["after_unknown"] = {}


def test_recovery_plan_no_changes_is_empty():
    data = plan_data("pipeline")
    _as_existing(data)
    rp = check(data, FIXTURES / "pipeline").recovery_plan
    assert rp == {"version": 1, "crawlers_to_run": [], "bookmarks_to_reset": [],
                  "iam_propagation_wait": False, "run_workflow": [], "reasons": [],
                  "backup_before_apply": False, "data_at_risk": []}


def test_recovery_plan_sql_change_resets_bookmark_and_runs_workflow():
    data = plan_data("pipeline")
    _as_existing(data)
    ch = change(data, "aws_s3_object.silver_sql")
    ch["actions"] = ["update"]
    ch["before"]["etag"] = "0" * 32
    rp = check(data, FIXTURES / "pipeline").recovery_plan
    assert rp["bookmarks_to_reset"] == [JOB]
    assert rp["run_workflow"] == [WF]
    assert rp["crawlers_to_run"] == [] and rp["iam_propagation_wait"] is False


def test_recovery_plan_crawler_change_resets_reader_bookmark():
    data = plan_data("pipeline")
    _as_existing(data)
    ch = change(data, "aws_glue_crawler.bronze")
    ch["actions"] = ["update"]
    ch["before"]["table_prefix"] = "old_"
    rp = check(data, FIXTURES / "pipeline").recovery_plan
    assert rp["crawlers_to_run"] == ["datalake-pipeline-bronze-car-data-crawler-dev"]
    assert rp["bookmarks_to_reset"] == [JOB]


def test_recovery_plan_policy_change_waits_for_iam():
    data = plan_data("pipeline")
    _as_existing(data)
    ch = change(data, "aws_iam_role_policy.crawler")
    ch["actions"] = ["update"]
    ch["before"]["policy"] = "{}"
    rp = check(data, FIXTURES / "pipeline").recovery_plan
    assert rp["iam_propagation_wait"] is True and rp["bookmarks_to_reset"] == []

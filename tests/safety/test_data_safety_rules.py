"""LG-SAFE rules: one plan per destructive pattern with exactly the expected finding, and the same
configuration with a guard (prevent_destroy) or a harmless in-place change with none."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.safety.plans import CURATED, JOB, LANDING, RESULTS, PlanBuilder, change, ids, run, safe
from tf_checks import registry

CRAWLED = f"s3://{LANDING}/events/clickstream/"


def only(result, rule_id: str, address: str, severity: str):
    assert ids(result) == [(rule_id, address, severity)], [
        (f.rule_id, f.address, f.severity, f.message) for f in safe(result)]
    return safe(result)[0]


def test_base_pipeline_has_no_finding():
    assert ids(run(PlanBuilder())) == []


# --------------------------------------------------------------------------- LG-SAFE-001 buckets

def test_renamed_data_bucket_is_a_replace_that_loses_the_objects():
    p = PlanBuilder()
    p.changes["aws_s3_bucket.landing"]["change"]["before"]["force_destroy"] = True
    p.change("aws_s3_bucket.landing", ["delete", "create"], bucket=f"{LANDING}-v2", force_destroy=False)
    f = only(run(p), "LG-SAFE-001", "aws_s3_bucket.landing", "critical")
    assert f"objects under {CRAWLED}" in f.message and "deleted with the bucket" in f.message
    assert "crawled by crawler clickstream-raw" in f.message and f"read by job {JOB}" in f.message
    assert "rename" in f.message and "`moved` block cannot help" in f.message
    assert "bucket name is its identity" in f.message
    assert "lakegate backup" in f.fix and "prevent_destroy" in f.fix


def test_deleted_data_bucket_without_force_destroy_is_high():
    f = only(run(change("aws_s3_bucket.curated", ["delete"])), "LG-SAFE-001",
             "aws_s3_bucket.curated", "high")
    assert f"s3://{CURATED}/sessions/" in f.message
    assert "written by job sessionize" in f.message and "catalog table web_analytics.sessions" in f.message
    assert "stops half-way" in f.message and "rename" not in f.message


def test_replace_without_rename_names_the_forcing_attribute():
    f = only(run(change("aws_s3_bucket.landing", ["create", "delete"], object_lock_enabled=True)),
             "LG-SAFE-001", "aws_s3_bucket.landing", "high")
    assert "is replaced" in f.message and "object_lock_enabled" in f.fix and "terraform import" in f.fix


def test_bucket_without_pipeline_data_may_go():
    assert ids(run(change("aws_s3_bucket.query_results", ["delete"]))) == []


def test_data_is_found_from_the_pipeline_not_from_names():
    """The same deletion of the results bucket is reported once the job writes into it."""
    p = PlanBuilder().change("aws_s3_bucket.query_results", ["delete"])
    args = p.changes["aws_glue_job.sessionize"]["change"]
    for side in ("before", "after"):
        args[side]["default_arguments"]["--target_path"] = f"s3://{RESULTS}/sessions/"
    f = only(run(p), "LG-SAFE-001", "aws_s3_bucket.query_results", "critical")
    assert f"s3://{RESULTS}/sessions/" in f.message and f"written by job {JOB}" in f.message


def test_unknown_job_io_cannot_rule_data_out():
    p = PlanBuilder().change("aws_s3_bucket.query_results", ["delete"])
    job = p.changes["aws_glue_job.sessionize"]["change"]
    job["after"]["default_arguments"] = None
    job["after_unknown"] = {"default_arguments": True}
    job["actions"] = ["update"]
    result = run(p)
    assert ("LG-SAFE-001", "aws_s3_bucket.query_results", "medium") in ids(result)
    f = next(f for f in safe(result) if f.address == "aws_s3_bucket.query_results")
    assert "cannot rule out" in f.message and JOB in f.message


def test_deleted_crawler_and_bucket_together_still_know_the_data():
    p = change("aws_s3_bucket.landing", ["delete"]).change("aws_glue_crawler.clickstream", ["delete"])
    p.change("aws_glue_job.sessionize", ["delete"])
    assert ("LG-SAFE-001", "aws_s3_bucket.landing", "high") in ids(run(p))


# --------------------------------------------------------------------------- LG-SAFE-002 catalog

def test_renamed_database_loses_every_table_definition():
    f = only(run(change("aws_glue_catalog_database.analytics", ["delete", "create"], name="web_analytics_v2")),
             "LG-SAFE-002", "aws_glue_catalog_database.analytics", "high")
    assert "every table and partition definition in database web_analytics" in f.message
    assert "clickstream" in f.message and "sessions" in f.message
    assert "rename" in f.message and "`moved` block cannot help" in f.message


def test_deleted_table_read_by_a_job_is_high_and_unread_is_medium():
    p = PlanBuilder()
    # the job reads `sessions` through the catalog
    for side in ("before", "after"):
        p.changes["aws_glue_job.sessionize"]["change"][side]["default_arguments"]["--input_table"] = "sessions"
    f = only(run(p.change("aws_glue_catalog_table.sessions", ["delete"])),
             "LG-SAFE-002", "aws_glue_catalog_table.sessions", "high")
    assert "every partition definition" in f.message and f"s3://{CURATED}/sessions/" in f.message
    assert JOB in f.message
    only(run(change("aws_glue_catalog_table.sessions", ["delete"])),
         "LG-SAFE-002", "aws_glue_catalog_table.sessions", "medium")


# --------------------------------------------------------------------------- LG-SAFE-003 history

def test_deleted_workgroup_loses_query_history():
    f = only(run(change("aws_athena_workgroup.analysts", ["delete"])),
             "LG-SAFE-003", "aws_athena_workgroup.analysts", "medium")
    assert "query history" in f.message


def test_replaced_log_group_loses_its_streams():
    f = only(run(change("aws_cloudwatch_log_group.sessionize", ["delete", "create"],
                        name="/aws-glue/jobs/sessionize-v2")),
             "LG-SAFE-003", "aws_cloudwatch_log_group.sessionize", "medium")
    assert "every log stream" in f.message and "rename" in f.message


# --------------------------------------------------------------------------- LG-SAFE-004 force_destroy

def test_force_destroy_on_a_data_bucket():
    f = only(run(change("aws_s3_bucket.curated", ["update"], force_destroy=True)),
             "LG-SAFE-004", "aws_s3_bucket.curated", "high")
    assert f"objects under s3://{CURATED}/sessions/" in f.message


def test_force_destroy_with_prevent_destroy_in_the_source_is_not_reported(tmp_path: Path):
    (tmp_path / "main.tf").write_text(f'''
resource "aws_s3_bucket" "curated" {{
  bucket        = "{CURATED}"
  force_destroy = true

  lifecycle {{
    prevent_destroy = true
  }}
}}
''')
    plan = change("aws_s3_bucket.curated", ["update"], force_destroy=True)
    assert ids(run(plan, tmp_path)) == []
    # without the guard in the source it is reported again
    (tmp_path / "main.tf").write_text(f'resource "aws_s3_bucket" "curated" {{\n  bucket = "{CURATED}"\n}}\n')
    assert ("LG-SAFE-004", "aws_s3_bucket.curated", "high") in ids(run(plan, tmp_path))


# --------------------------------------------------------------------------- LG-SAFE-005 crawler

def _delete_behavior(value: str):
    def fn(after):
        after["schema_change_policy"] = [{"delete_behavior": value, "update_behavior": "UPDATE_IN_DATABASE"}]
    return fn


def test_crawler_becoming_delete_from_database():
    f = only(run(PlanBuilder().tweak("aws_glue_crawler.clickstream", _delete_behavior("DELETE_FROM_DATABASE"))),
             "LG-SAFE-005", "aws_glue_crawler.clickstream", "high")
    assert "(was LOG)" in f.message and "deletes their definitions from web_analytics" in f.message


def test_crawler_already_deleting_is_medium_and_deprecate_is_fine():
    p = PlanBuilder()
    rc = p.changes["aws_glue_crawler.clickstream"]["change"]
    _delete_behavior("DELETE_FROM_DATABASE")(rc["before"])
    _delete_behavior("DELETE_FROM_DATABASE")(rc["after"])
    only(run(p), "LG-SAFE-005", "aws_glue_crawler.clickstream", "medium")
    assert ids(run(PlanBuilder().tweak("aws_glue_crawler.clickstream",
                                       _delete_behavior("DEPRECATE_IN_DATABASE")))) == []


# --------------------------------------------------------------------------- LG-SAFE-006 lifecycle

def _lifecycle(rule: dict) -> PlanBuilder:
    p = PlanBuilder()
    values = {"bucket": LANDING, "rule": [rule]}
    return p.add("aws_s3_bucket_lifecycle_configuration.landing", "aws_s3_bucket_lifecycle_configuration",
                 before=None, after=values, actions=["create"])


def test_expiration_on_a_crawled_prefix():
    f = only(run(_lifecycle({"id": "purge-events", "status": "Enabled",
                             "filter": [{"prefix": "events/", "and": [], "tag": []}],
                             "expiration": [{"days": 30, "date": None,
                                             "expired_object_delete_marker": False}]})),
             "LG-SAFE-006", "aws_s3_bucket_lifecycle_configuration.landing", "high")
    assert f"s3://{LANDING}/events/ after 30 days" in f.message and "clickstream-raw" in f.message


@pytest.mark.parametrize("rule", [
    {"id": "tmp", "status": "Enabled", "filter": [{"prefix": "tmp/"}], "expiration": [{"days": 1}]},
    {"id": "off", "status": "Disabled", "filter": [{"prefix": "events/"}], "expiration": [{"days": 1}]},
    {"id": "old-versions", "status": "Enabled", "filter": [{}],
     "noncurrent_version_expiration": [{"noncurrent_days": 30}]},
    {"id": "markers", "status": "Enabled", "filter": [{}],
     "expiration": [{"days": None, "date": None, "expired_object_delete_marker": True}]},
])
def test_harmless_lifecycle_rules(rule):
    assert ids(run(_lifecycle(rule))) == []


def test_whole_bucket_expiration_through_the_and_filter():
    f = only(run(_lifecycle({"id": "all", "status": "Enabled",
                             "filter": [{"and": [{"prefix": "", "tags": {"tier": "raw"}}]}],
                             "expiration": [{"date": "2027-01-01T00:00:00Z"}]})),
             "LG-SAFE-006", "aws_s3_bucket_lifecycle_configuration.landing", "high")
    assert "on 2027-01-01" in f.message


# --------------------------------------------------------------------------- LG-SAFE-007..009 jobs

def _args(**kv):
    def fn(after):
        after["default_arguments"] = {**after["default_arguments"], **kv}
    return fn


def test_bookmark_disabled():
    result = run(PlanBuilder().tweak("aws_glue_job.sessionize",
                                     _args(**{"--job-bookmark-option": "job-bookmark-disable"})))
    f = only(result, "LG-SAFE-007", "aws_glue_job.sessionize", "high")
    assert "reads all of its input again" in f.message
    notes = [r for r in result.recovery_plan["reasons"] if r["step"] == "bookmark_note"]
    assert notes and notes[0]["target"] == JOB


def test_bookmark_re_enabled_requires_a_reset():
    p = PlanBuilder()
    rc = p.changes["aws_glue_job.sessionize"]["change"]
    rc["before"]["default_arguments"]["--job-bookmark-option"] = "job-bookmark-pause"
    rc["actions"] = ["update"]
    result = run(p)
    only(result, "LG-SAFE-007", "aws_glue_job.sessionize", "high")
    assert result.recovery_plan["bookmarks_to_reset"] == [JOB]


def test_harmless_job_change_has_no_finding():
    assert ids(run(PlanBuilder().tweak("aws_glue_job.sessionize", _args(**{"--enable-metrics": "true"})))) == []
    assert ids(run(PlanBuilder().tweak("aws_glue_job.sessionize",
                                       lambda a: a.update(timeout=120)))) == []


def test_script_change_feeds_a_bookmark_reset():
    def fn(after):
        after["command"] = [{**after["command"][0], "script_location": "s3://acme-glue-code/jobs/sessionize_v2.py"}]
    result = run(PlanBuilder().tweak("aws_glue_job.sessionize", fn))
    f = only(result, "LG-SAFE-008", "aws_glue_job.sessionize", "medium")
    assert "sessionize_v2.py" in f.message
    assert result.recovery_plan["bookmarks_to_reset"] == [JOB]
    assert any(r["step"] == "reset_bookmark" and "script changes" in r["because"]
               for r in result.recovery_plan["reasons"])
    assert result.recovery_plan["backup_before_apply"] is True


def test_glue_version_and_sql_change():
    result = run(PlanBuilder().tweak("aws_glue_job.sessionize", lambda a: a.update(glue_version="5.0")))
    f = only(result, "LG-SAFE-008", "aws_glue_job.sessionize", "medium")
    assert "Glue 4.0 to Glue 5.0" in f.message
    assert any("Glue version changes" in r["because"] for r in result.recovery_plan["reasons"])
    p = PlanBuilder()
    for side in ("before", "after"):
        p.changes["aws_glue_job.sessionize"]["change"][side]["default_arguments"]["--sql_path"] = \
            "s3://acme-glue-code/sql/sessions.sql"
    p.tweak("aws_glue_job.sessionize", _args(**{"--sql_path": "s3://acme-glue-code/sql/sessions_v2.sql"}))
    only(run(p), "LG-SAFE-008", "aws_glue_job.sessionize", "medium")


def test_table_location_change_resets_its_readers():
    p = PlanBuilder()
    for side in ("before", "after"):
        p.changes["aws_glue_job.sessionize"]["change"][side]["default_arguments"]["--input_table"] = "sessions"

    def fn(after):
        after["storage_descriptor"] = [{**after["storage_descriptor"][0],
                                        "location": f"s3://{CURATED}/sessions_v2/"}]
    result = run(p.tweak("aws_glue_catalog_table.sessions", fn))
    f = only(result, "LG-SAFE-009", "aws_glue_catalog_table.sessions", "high")
    assert f"s3://{CURATED}/sessions/ to s3://{CURATED}/sessions_v2/" in f.message and JOB in f.message
    assert result.recovery_plan["bookmarks_to_reset"] == [JOB]


# --------------------------------------------------------------------------- recovery plan, registry

def test_recovery_plan_lists_the_data_at_risk():
    result = run(change("aws_glue_catalog_database.analytics", ["delete"]))
    plan = result.recovery_plan
    assert plan["backup_before_apply"] is True
    assert [d["address"] for d in plan["data_at_risk"]] == ["aws_glue_catalog_database.analytics"]
    assert plan["data_at_risk"][0]["rule"] == "LG-SAFE-002"
    assert run(PlanBuilder()).recovery_plan["backup_before_apply"] is False


def test_rules_are_declared_in_the_registry_with_help():
    registry.load_rules()
    assert "LG-SAFE" in registry.FAMILIES
    declared = {r for r in registry.RULES if r.startswith("LG-SAFE-")}
    assert declared == {f"LG-SAFE-{n:03d}" for n in range(1, 11)}
    for rid in declared:
        rule = registry.get(rid)
        assert len(rule.help) > 200 and "Fix" in rule.help, rid


def test_harmless_bucket_change_has_no_finding():
    plan = PlanBuilder().tweak("aws_s3_bucket.landing", lambda a: a.update(tags={"team": "data"}))
    assert ids(run(plan)) == []
    # and the same delete with a deep copy of the base still has exactly one finding (no state leaks)
    base = copy.deepcopy(change("aws_s3_bucket.landing", ["delete"]).doc())
    assert len(safe(run(base))) == 1


def test_renamed_job_loses_its_bookmark():
    f = only(run(change("aws_glue_job.sessionize", ["delete", "create"], name="sessionize-v2")),
             "LG-SAFE-010", "aws_glue_job.sessionize", "high")
    assert "bookmark and run history are deleted" in f.message and "rename" in f.message
    # a job without bookmarks may be replaced
    p = PlanBuilder()
    for side in ("before", "after"):
        p.changes["aws_glue_job.sessionize"]["change"][side]["default_arguments"]["--job-bookmark-option"] = \
            "job-bookmark-disable"
    assert ids(run(p.change("aws_glue_job.sessionize", ["delete", "create"], name="sessionize-v2"))) == []

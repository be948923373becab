"""Safety rails of `lakegate recover`: protected environments, dry-run, backups, exit semantics."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from lakegate import recovery
from lakegate.envconfig import Environment
from lakegate.errors import LakegateError
from lakegate.names import PipelineNames
from lakegate.polling import Poller
from tests.runbook.test_runbook_stubbed import OUTPUTS


class FakeGlue:
    """Just enough Glue to drive the procedure; records every mutating call."""

    def __init__(self, last_status="COMPLETED", failed=1, crawl_status="SUCCEEDED", run_result="COMPLETED"):
        self.calls: list[tuple] = []
        self.last_status, self.failed = last_status, failed
        self.crawl_status, self.run_result = crawl_status, run_result
        self.bookmarks = {"silver": {"JobName": "silver", "Run": 2}}

    def get_workflow_runs(self, **kw):
        return {"Runs": [{"WorkflowRunId": "wr_old", "Status": self.last_status,
                          "StartedOn": dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3),
                          "Statistics": {"TotalActions": 6, "SucceededActions": 6 - self.failed,
                                         "FailedActions": self.failed}}]}

    def start_crawler(self, Name):
        self.calls.append(("start_crawler", Name))

    def get_crawler(self, Name):
        return {"Crawler": {"Name": Name, "State": "READY", "LastCrawl": {
            "Status": self.crawl_status, "StartTime": dt.datetime.now(dt.timezone.utc), "ErrorMessage": "boom"}}}

    def get_crawler_metrics(self, **kw):
        return {"CrawlerMetricsList": []}

    def get_job_bookmark(self, JobName):
        if JobName not in self.bookmarks:
            raise ClientError({"Error": {"Code": "EntityNotFoundException", "Message": "nf"}}, "GetJobBookmark")
        return {"JobBookmarkEntry": self.bookmarks[JobName]}

    def reset_job_bookmark(self, JobName):
        self.calls.append(("reset_job_bookmark", JobName))
        if JobName not in self.bookmarks:
            raise ClientError({"Error": {"Code": "EntityNotFoundException", "Message": "nf"}}, "ResetJobBookmark")
        return {}

    def start_workflow_run(self, Name):
        self.calls.append(("start_workflow_run", Name))
        return {"RunId": "wr_new"}

    def get_workflow_run(self, Name, RunId, IncludeGraph=False):
        ok = self.run_result == "COMPLETED"
        return {"Run": {"WorkflowRunId": RunId, "Status": "COMPLETED",
                        "Statistics": {"TotalActions": 6, "SucceededActions": 6 if ok else 5,
                                       "FailedActions": 0 if ok else 1}}}

    def stop_workflow_run(self, Name, RunId):
        self.calls.append(("stop_workflow_run", RunId))
        self.last_status = "STOPPED"

    def get_paginator(self, name):
        tables = [{"Name": t, "UpdateTime": dt.datetime.now(dt.timezone.utc)} for t in OUTPUTS["expected_tables"]]
        return SimpleNamespace(paginate=lambda **kw: [{"TableList": tables}])


class FakeAthena:
    def start_query_execution(self, **kw):
        return {"QueryExecutionId": "q"}

    def get_query_execution(self, **kw):
        return {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}}

    def get_query_results(self, **kw):
        meta = {"ColumnInfo": [{"Name": "alert_type"}, {"Name": "total"}]}
        return {"ResultSet": {"ResultSetMetadata": meta, "Rows": [
            {"Data": [{"VarCharValue": "alert_type"}, {"VarCharValue": "total"}]},
            {"Data": [{"VarCharValue": "OVERHEAT_OIL"}, {"VarCharValue": "1"}]}]}}


def instant():
    t = {"now": 0.0}
    return Poller(initial=0.01, clock=lambda: t["now"], sleep=lambda s: t.__setitem__("now", t["now"] + s))


def setup(protected=False, **kw):
    glue = FakeGlue(**kw)
    clients = SimpleNamespace(glue=glue, athena=FakeAthena())
    env = Environment(name="prod" if protected else "dev", kind="aws", protected=protected)
    return glue, clients, env, PipelineNames.from_outputs(OUTPUTS)


def test_protected_env_refuses_bookmark_reset_without_flag(tmp_path):
    glue, clients, env, names = setup(protected=True)
    rep = recovery.recover(clients, names, env, recovery.Options(reset_jobs=["silver"], backup_dir=tmp_path,
                                                                  poller=instant()), progress=lambda m: None)
    assert not rep.ok
    assert rep.steps[-1].status == "failed" and "--allow-bookmark-reset" in rep.steps[-1].detail
    assert not any(c[0] == "reset_job_bookmark" for c in glue.calls)


def test_protected_env_with_flag_backs_up_then_resets(tmp_path):
    glue, clients, env, names = setup(protected=True)
    rep = recovery.recover(clients, names, env, recovery.Options(reset_jobs=["silver", "gold-cs"],
                           allow_bookmark_reset=True, backup_dir=tmp_path, poller=instant()), progress=lambda m: None)
    assert rep.ok, recovery.render_text(rep)
    backup = json.loads(next(tmp_path.glob("bookmarks-*.json")).read_text())
    assert backup["bookmarks"]["silver"]["Run"] == 2
    step = next(s for s in rep.steps if s.step.startswith("PASSO 3"))
    assert "gold-cs: never-run" in step.detail


def test_dry_run_changes_nothing(tmp_path):
    glue, clients, env, names = setup()
    rep = recovery.recover(clients, names, env, recovery.Options(dry_run=True, reset_jobs=["silver"],
                                                                  backup_dir=tmp_path), progress=lambda m: None)
    assert glue.calls == []
    assert {s.status for s in rep.steps} <= {"done", "would-do", "skipped"}
    assert not list(tmp_path.iterdir())


def test_failed_workflow_is_a_failed_recovery(tmp_path):
    glue, clients, env, names = setup(run_result="FAILED")
    rep = recovery.recover(clients, names, env, recovery.Options(backup_dir=tmp_path, poller=instant()),
                           progress=lambda m: None)
    assert not rep.ok and "diagnose" in rep.steps[-1].detail


def test_failed_crawler_stops_the_procedure(tmp_path):
    glue, clients, env, names = setup(crawl_status="FAILED")
    rep = recovery.recover(clients, names, env, recovery.Options(backup_dir=tmp_path, poller=instant()),
                           progress=lambda m: None)
    assert not rep.ok and rep.steps[-1].step.startswith("PASSO 2")
    assert ("start_workflow_run", "wf") not in glue.calls


def test_healthy_last_run_is_skipped_unless_forced(tmp_path):
    glue, clients, env, names = setup(failed=0)
    rep = recovery.recover(clients, names, env, recovery.Options(backup_dir=tmp_path), progress=lambda m: None)
    assert rep.ok and glue.calls == []


def test_stuck_run_in_protected_env_needs_allow_stop(tmp_path):
    glue, clients, env, names = setup(protected=True, last_status="RUNNING")
    rep = recovery.recover(clients, names, env, recovery.Options(backup_dir=tmp_path, stuck_after_s=60,
                                                                  poller=instant()), progress=lambda m: None)
    assert not rep.ok and "--allow-stop" in rep.steps[-1].detail
    glue2, clients2, env2, _ = setup(protected=True, last_status="RUNNING")
    rep2 = recovery.recover(clients2, names, env2, recovery.Options(backup_dir=tmp_path, stuck_after_s=60,
                            allow_stop=True, poller=instant()), progress=lambda m: None)
    assert ("stop_workflow_run", "wr_old") in glue2.calls and rep2.ok


def test_unknown_job_and_bad_plan_are_clear_errors(tmp_path):
    glue, clients, env, names = setup()
    with pytest.raises(LakegateError):
        recovery.recover(clients, names, env, recovery.Options(reset_jobs=["nope"], backup_dir=tmp_path,
                                                               poller=instant()), progress=lambda m: None)
    bad = tmp_path / "plan.json"
    bad.write_text('{"version": 2}')
    with pytest.raises(LakegateError):
        recovery.load_recovery_plan(bad)

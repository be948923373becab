"""`lakegate recover --restore-bookmarks BACKUP`: the backup taken before a reset puts each job
back to the run it recorded (ResetJobBookmark with RunId), and bad input is a clear error."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from lakegate import runbook
from lakegate.errors import LakegateError


class Glue:
    def __init__(self, bookmarks):
        self.bookmarks = bookmarks
        self.calls = []

    def get_job_bookmark(self, JobName):
        if JobName not in self.bookmarks:
            raise ClientError({"Error": {"Code": "EntityNotFoundException",
                                         "Message": f"Continuation for job {JobName} not found"}}, "GetJobBookmark")
        return {"JobBookmarkEntry": self.bookmarks[JobName]}

    def reset_job_bookmark(self, JobName, RunId=None):
        self.calls.append((JobName, RunId))
        return {}


def test_backup_then_restore_uses_the_recorded_run_ids(tmp_path):
    glue = Glue({"silver": {"JobName": "silver", "RunId": "jr_41", "Run": 3}})
    clients = SimpleNamespace(glue=glue)
    backup = runbook.backup_bookmarks(clients, ["silver", "gold"], tmp_path)
    assert json.loads(backup.read_text())["bookmarks"] == {"silver": {"JobName": "silver", "RunId": "jr_41", "Run": 3},
                                                           "gold": None}
    out = runbook.restore_bookmarks(clients, backup)
    assert glue.calls == [("silver", "jr_41"), ("gold", None)]
    assert [(r.job, r.outcome) for r in out] == [("silver", "restored"), ("gold", "reset")]
    glue.calls.clear()
    runbook.restore_bookmarks(clients, backup, ["silver"])
    assert glue.calls == [("silver", "jr_41")]


@pytest.mark.parametrize("content, jobs, words", [
    (None, None, "does not exist"), ("{oops", None, "cannot read"), ('{"x": 1}', None, "not a bookmark backup"),
    ('{"bookmarks": {"silver": null}}', ["gold"], "no bookmark for gold"),
])
def test_bad_backups_are_clear_errors(tmp_path, content, jobs, words):
    path = tmp_path / "bookmarks.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LakegateError) as err:
        runbook.restore_bookmarks(SimpleNamespace(glue=Glue({})), path, jobs)
    assert words in err.value.what and err.value.fix


def test_the_cli_restores_and_respects_protected_environments(tmp_path, monkeypatch, capsys):
    from lakegate import context
    from lakegate.cli import main
    from lakegate.envconfig import Environment

    glue = Glue({})
    names = SimpleNamespace(all_jobs=["silver"], workflow="wf")
    protected = {"value": True}
    monkeypatch.setattr(context, "resolve", lambda name: context.Context(
        env=Environment(name="prod", kind="aws", protected=protected["value"]), clients=SimpleNamespace(glue=glue),
        names=names))
    backup = tmp_path / "bookmarks-20261202T000000Z.json"
    backup.write_text(json.dumps({"bookmarks": {"silver": {"RunId": "jr_7"}}}))
    assert main(["recover", "--env", "prod", "--restore-bookmarks", str(backup)]) == 2
    assert "--allow-bookmark-reset" in capsys.readouterr().err and glue.calls == []
    assert main(["recover", "--env", "prod", "--restore-bookmarks", str(backup), "--allow-bookmark-reset"]) == 0
    assert glue.calls == [("silver", "jr_7")] and "silver: restored" in capsys.readouterr().out


def test_the_local_aws_rewinds_a_bookmark_to_a_run(monkeypatch):
    """ResetJobBookmark with RunId in the local AWS: back to what that run left, as on Glue."""
    import contextlib

    from localaws.dispatch import AwsError
    from localaws.glue import bookmarks

    state = SimpleNamespace(bookmarks={})
    monkeypatch.setattr(bookmarks, "glue_state", lambda ctx: state)
    monkeypatch.setattr(bookmarks, "lock", lambda ctx: contextlib.nullcontext())
    monkeypatch.setattr(bookmarks, "_require_job", lambda ctx, name: None)
    f1 = SimpleNamespace(key="a.parquet", etag="e1")
    f2 = SimpleNamespace(key="b.parquet", etag="e2")
    bookmarks.advance(None, "silver", "jr_1", {"bronze": [f1]}, bookmarks.ENABLE)
    bookmarks.advance(None, "silver", "jr_2", {"bronze": [f2]}, bookmarks.ENABLE)
    assert set(state.bookmarks["silver"].inputs["bronze"].files) == {"a.parquet", "b.parquet"}
    entry = bookmarks.h_reset_job_bookmark(None, {"JobName": "silver", "RunId": "jr_1"})["JobBookmarkEntry"]
    assert entry["RunId"] == "jr_1"
    assert set(state.bookmarks["silver"].inputs["bronze"].files) == {"a.parquet"}
    with pytest.raises(AwsError):
        bookmarks.h_reset_job_bookmark(None, {"JobName": "silver", "RunId": "jr_404"})

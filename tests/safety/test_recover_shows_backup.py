"""`lakegate recover --dry-run` says which `lakegate backup` precedes a bookmark reset (or that
there is none), and whether its checksums still verify."""

from __future__ import annotations

import json

from lakegate import backup, recovery
from tests.runbook.test_recovery_rails import setup


def _dry_run(tmp_path):
    glue, clients, env, names = setup()
    rep = recovery.recover(clients, names, env, recovery.Options(dry_run=True, reset_jobs=["silver"],
                                                                  backup_dir=tmp_path), progress=lambda m: None)
    assert glue.calls == []
    return next(s for s in rep.steps if s.step.startswith("PASSO 3"))


def test_no_backup_yet_is_said(tmp_path):
    step = _dry_run(tmp_path)
    assert "no `lakegate backup`" in step.detail and "lakegate backup --env" in step.detail
    assert step.evidence["lakegate_backup"] is None


def test_latest_backup_is_named_with_its_checksum_state(tmp_path):
    for stamp in ("20261201T100000-000001Z", "20261202T090000-000001Z"):
        folder = tmp_path / f"backup-{stamp}"
        folder.mkdir()
        (folder / f"manifest-{stamp}.json").write_text(json.dumps({"taken_at": stamp, "counts": {"tables": 4}}))
        digest = backup._sha256(folder / f"manifest-{stamp}.json")
        (folder / backup.SUMS_FILE).write_text(f"{digest}  manifest-{stamp}.json\n")
    step = _dry_run(tmp_path)
    assert "backup-20261202T090000-000001Z" in step.detail and "checksums verified" in step.detail
    assert step.evidence["lakegate_backup"]["taken_at"] == "20261202T090000-000001Z"
    (tmp_path / "backup-20261202T090000-000001Z" / "manifest-20261202T090000-000001Z.json").write_text("{}")
    assert "CHECKSUMS DO NOT VERIFY" in _dry_run(tmp_path).detail

"""``lakegate backup`` against the local AWS: the backup holds exactly what is in the catalog, the
bookmarks and S3, every checksum verifies, and the backup changed nothing (only Get/List calls,
and a snapshot of everything before and after is equal)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
import types
from pathlib import Path
from typing import Any

import pytest

from lakegate import backup, localenv
from lakegate.names import PipelineNames
from tests.localaws_glue.conftest import (BRONZE, CRAWLERS, DB, GOLD, JOB_NAMES, SILVER, WORKFLOW,
                                          make_pipeline)


@pytest.fixture
def server(safety_server):
    return safety_server


def _names() -> PipelineNames:
    c = CRAWLERS
    return PipelineNames.from_outputs({
        "workflow_name": WORKFLOW, "bronze_crawler_name": c["bronze"][0],
        "silver_job_name": JOB_NAMES["silver_consolidation"],
        "gold_current_state_job_name": JOB_NAMES["gold_car_current_state"],
        "gold_alerts_job_name": JOB_NAMES["gold_performance_alerts"],
        "crawler_names": {k: v[0] for k, v in c.items()}, "job_names": JOB_NAMES,
        "database_name": DB, "expected_tables": [v[4] for v in c.values()],
        "athena_workgroup_name": "wg", "athena_result_location": "s3://results/q/",
        "bronze_bucket": BRONZE, "bronze_data_path": f"s3://{BRONZE}/bronze/car_data/",
        "crawler_targets": {v[0]: f"s3://{v[1]}/{v[2]}/" for v in c.values()},
        "job_output_paths": {JOB_NAMES["silver_consolidation"]: f"s3://{SILVER}/car_telemetry/",
                             JOB_NAMES["gold_car_current_state"]: f"s3://{GOLD}/car_current_state/"},
    })


def _wait(fn, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def _snapshot(glue: Any, s3: Any, names: PipelineNames) -> dict[str, Any]:
    tables = glue.get_tables(DatabaseName=DB)["TableList"]
    objects = {}
    for b in s3.list_buckets()["Buckets"]:
        for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", []):
            objects[f"{b['Name']}/{o['Key']}"] = (o["ETag"], o["Size"], str(o["LastModified"]))
    return {
        "tables": json.dumps(tables, default=str, sort_keys=True),
        "partitions": {t["Name"]: json.dumps(glue.get_partitions(DatabaseName=DB, TableName=t["Name"])["Partitions"],
                                             default=str, sort_keys=True) for t in tables},
        "bookmarks": {j: json.dumps(glue.get_job_bookmark(JobName=j).get("JobBookmarkEntry"), default=str)
                      for j in [names.silver_job]},
        "objects": objects,
        "crawlers": json.dumps([glue.get_crawler(Name=c)["Crawler"] for c in names.crawlers.values()],
                               default=str, sort_keys=True),
        "triggers": json.dumps(glue.get_triggers()["Triggers"], default=str, sort_keys=True),
    }


def test_backup_matches_aws_and_changes_nothing(server, tmp_path: Path) -> None:
    clients = {s: localenv.client(s, server) for s in ("s3", "glue", "iam", "logs")}
    glue, s3 = clients["glue"], clients["s3"]
    make_pipeline(clients, tmp_path, rows=120)
    names = _names()
    # some history: the bronze crawl (table + partitions) and one silver run (a bookmark)
    glue.start_crawler(Name=names.bronze_crawler)
    _wait(lambda: (c := glue.get_crawler(Name=names.bronze_crawler)["Crawler"])["State"] == "READY"
          and c.get("LastCrawl", {}).get("Status") == "SUCCEEDED")
    run_id = glue.start_job_run(JobName=names.silver_job)["JobRunId"]
    _wait(lambda: glue.get_job_run(JobName=names.silver_job, RunId=run_id)["JobRun"]["JobRunState"] == "SUCCEEDED",
          timeout=90)
    before = _snapshot(glue, s3, names)
    assert json.loads(before["partitions"]["bronze_car_data"]), "the crawl must have made partitions"

    calls: list[str] = []
    for client in (glue, s3):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    state = b'{"version": 4, "terraform_version": "1.11.0", "serial": 3, "resources": []}\n'
    result = backup.take_backup(types.SimpleNamespace(glue=glue, s3=s3), names, tmp_path / "backups",
                                state, env="local", state_source="pulled.tfstate")
    for client in (glue, s3):
        client.meta.events.unregister("before-call")

    # read-only: only Get/List/Head calls, and everything is as it was
    assert calls and all(c.startswith(("Get", "List", "Head")) for c in calls), sorted(set(calls))
    assert _snapshot(glue, s3, names) == before

    # the folder: timestamped, owner-only, one checksum per file, all verify
    folder = result.directory
    assert folder.name == f"backup-{result.taken_at}" and folder.parent == tmp_path / "backups"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    sums = dict(reversed(line.split("  ", 1)) for line in (folder / "SHA256SUMS").read_text().splitlines())
    files = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    assert sorted(sums) == files and len(files) == 6
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
        assert result.taken_at in name
    assert backup.verify(folder) == []

    # the state, as given (restorable with terraform state push)
    assert result.files["terraform_state"].read_bytes() == state
    # the catalog: every table and partition definition
    cat = json.loads(result.files["catalog_tables"].read_text())
    live_tables = json.loads(before["tables"])
    assert json.dumps(cat["tables"], sort_keys=True, default=str) == json.dumps(live_tables, sort_keys=True, default=str)
    for t in live_tables:
        assert json.dumps(cat["partitions"][t["Name"]], sort_keys=True, default=str) == before["partitions"][t["Name"]]
    # bookmarks with their run ids
    books = json.loads(result.files["job_bookmarks"].read_text())
    live_entry = glue.get_job_bookmark(JobName=names.silver_job)["JobBookmarkEntry"]
    assert books["bookmarks"][names.silver_job] == json.loads(json.dumps(live_entry, default=str))
    assert books["bookmarks"][names.silver_job]["RunId"] == run_id
    assert books["last_runs"][names.silver_job]["id"] == run_id
    assert books["bookmarks"][names.gold_alerts_job] is None  # never ran
    # crawler and trigger configuration
    conf = json.loads(result.files["crawlers_triggers"].read_text())
    assert set(conf["crawlers"]) == set(names.crawlers.values())
    assert {t["Name"] for t in conf["triggers"]} == {
        t["Name"] for t in glue.get_triggers()["Triggers"] if t.get("WorkflowName") == WORKFLOW}
    assert conf["workflow"]["Name"] == WORKFLOW
    # data manifest: object counts and bytes per prefix, as S3 lists them
    data = json.loads(result.files["data_manifest"].read_text())["prefixes"]
    for url, got in data.items():
        bucket, _, prefix = url[5:].partition("/")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        assert got == {"objects": len(listed), "bytes": sum(o["Size"] for o in listed)}, url
    assert data[f"s3://{BRONZE}/bronze/car_data/"]["objects"] > 0
    assert data[f"s3://{SILVER}/car_telemetry/"]["objects"] > 0
    assert result.manifest["counts"]["partitions"] == sum(len(json.loads(p)) for p in before["partitions"].values())
    latest = backup.latest_backup(tmp_path / "backups")
    assert latest["folder"] == str(folder) and latest["verified"] is True

    # a changed file no longer verifies
    result.files["catalog_tables"].write_text("{}")
    assert backup.verify(folder) == [f"{result.files['catalog_tables'].name}: checksum mismatch"]
    assert backup.latest_backup(tmp_path / "backups")["verified"] is False


def test_cli_backup_prints_folder_and_counts_only(server, tmp_path: Path, monkeypatch, capsys) -> None:
    """`lakegate backup --env local` (after the test above made the pipeline): exit 0, a verified
    folder, JSON summary without account ids; a bad --state-file is a clear error (exit 2)."""
    from lakegate import cli

    monkeypatch.setenv("LAKEGATE_LOCAL_STATE", str(server.state_file))
    monkeypatch.setenv("LAKEGATE_CONFIG", str(tmp_path / "lakegate.toml"))
    (tmp_path / "lakegate.toml").write_text("")
    outputs = {k: v for k, v in _names().raw.items()}
    outputs["account_id"] = "123456789012"
    (server.state_file.parent / "outputs.json").write_text(json.dumps(outputs))
    state = tmp_path / "pulled.tfstate"
    state.write_text(json.dumps({"version": 4, "serial": 1, "outputs": {"account_id": {"value": "123456789012"}},
                                 "resources": []}))
    code = cli.main(["backup", "--env", "local", "--out", str(tmp_path / "b"), "--state-file", str(state),
                     "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads(out)
    folder = Path(summary["folder"])
    assert backup.verify(folder) == [] and summary["counts"]["tables"] >= 1
    assert "123456789012" not in out
    # the state is the user's data: kept as is inside the owner-only folder
    assert "123456789012" in next(folder.glob("terraform-state-*.tfstate")).read_text()

    bad = tmp_path / "bad.tfstate"
    bad.write_text("not json")
    assert cli.main(["backup", "--env", "local", "--out", str(tmp_path / "b"), "--state-file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not JSON" in err and "terraform state pull" in err and "Traceback" not in err
    assert len(list((tmp_path / "b").iterdir())) == 1  # the failed run wrote no folder

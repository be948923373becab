"""Where a job's script comes from: the plan, --scripts, or by name in the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.gate.conftest import FIXTURES, plan_data
from tests.gate.helpers import planned, set_value
from tf_checks.engine import run_rules
from tf_checks.loader import load_data
from tf_checks.resolve import Resolver
from tf_checks.rules import Context
from tf_checks.scripts import job_io

JOB = "aws_glue_job.silver"


def _without(data: dict, address: str) -> dict:
    """The plan without ``address`` (e.g. a script CI uploads instead of Terraform)."""
    data["resource_changes"] = [r for r in data["resource_changes"] if r["address"] != address]
    root = data["planned_values"]["root_module"]
    root["resources"] = [r for r in root["resources"] if r["address"] != address]
    return data


def _io(data: dict, tf_dir: Path, scripts: Path | None = None):
    plan = load_data(data, "test.plan.json")
    ctx = Context(plan, Resolver(plan, tf_dir), tf_dir, scripts_dir=scripts)
    return job_io(ctx, plan.by_address[JOB])[0]


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    infra = repo / "infra"
    shutil.copytree(FIXTURES / "pipeline", infra)
    (repo / ".git").mkdir()
    src = repo / "src" / "glue"
    src.mkdir(parents=True)
    shutil.move(str(infra / "glue_jobs" / "silver_consolidation.py"), src / "silver_consolidation.py")
    return repo, infra


def test_script_uploaded_by_ci_is_found_by_name_in_the_repository(tmp_path: Path):
    repo, infra = _repo(tmp_path)
    io = _io(_without(plan_data("pipeline"), "aws_s3_object.silver_script"), infra)
    assert io.unknown is None and io.script_path == repo / "src" / "glue" / "silver_consolidation.py"
    assert "found by name in the repository: src/glue/silver_consolidation.py (uploaded outside " \
           "Terraform)" in io.script_found
    result = run_rules(load_data(_without(plan_data("pipeline"), "aws_s3_object.silver_script"),
                                 "t.json"), infra)
    assert not [f for f in result.findings if f.rule_id in ("LG-CONS-005", "LG-CONS-008")]


def test_two_files_with_that_name_are_not_guessed_and_scripts_dir_decides(tmp_path: Path):
    repo, infra = _repo(tmp_path)
    other = repo / "legacy"
    other.mkdir()
    (other / "silver_consolidation.py").write_text("raise SystemExit('old copy')\n")
    data = _without(plan_data("pipeline"), "aws_s3_object.silver_script")
    # without its SQL header the job's I/O can come only from the script
    args = dict(planned(data, JOB)["values"]["default_arguments"])
    args.pop("--sql_path")
    set_value(data, JOB, "default_arguments", args)
    io = _io(data, infra)
    assert io.script_path is None
    result = run_rules(load_data(data, "t.json"), infra)
    f = [x for x in result.findings if x.rule_id == "LG-CONS-008"]
    assert [x.address for x in f] == [JOB] and "2 files named silver_consolidation.py" in f[0].message
    assert "--scripts" in f[0].fix and "[gate.jobs." in f[0].fix
    io = _io(data, infra, scripts=repo / "src")
    assert io.unknown is None and io.script_path == repo / "src" / "glue" / "silver_consolidation.py"


def test_cli_scripts_flag_must_be_a_directory(tmp_path: Path, capsys):
    from lakegate.cli import main
    code = main(["check", str(FIXTURES / "pipeline.plan.json"), "--scripts", str(tmp_path / "nope")])
    assert code == 2
    assert "--scripts" in capsys.readouterr().err


def test_script_found_nowhere_but_sql_header_known_is_a_medium_argument_finding(tmp_path: Path):
    repo, infra = _repo(tmp_path)
    (repo / "src" / "glue" / "silver_consolidation.py").unlink()
    data = _without(plan_data("pipeline"), "aws_s3_object.silver_script")
    result = run_rules(load_data(data, "t.json"), infra)
    assert not [f for f in result.findings if f.rule_id == "LG-CONS-008"]   # I/O from the header
    f = [x for x in result.findings if x.rule_id == "LG-CONS-004"]
    assert len(f) == 1 and f[0].severity == "medium" and "was not found" in f[0].message

"""Job scripts that read their arguments through a module shipped with ``--extra-py-files``
(``from lakegate_glue_job import run; run(JOB_ARGUMENTS)``): the gate follows the call into the
module (LG-CONS-004/006), requires the module's upload (LG-CONS-005) and the role's
``s3:GetObject`` on it (LG-IAM-001), and says so when it cannot tell what a script reads."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.gate.conftest import plan_data
from tests.gate.helpers import change, check, planned, set_value
from tf_checks.rules import extra_py_files, parse_script

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "terraform" / "glue_jobs" / "lakegate_glue_job.py"
SCRIPTS = "datalake-pipeline-glue-scripts-dev"
MODULE_URL = f"s3://{SCRIPTS}/jobs/lakegate_glue_job.py"
JOB = "aws_glue_job.silver"
SHIM = ('from lakegate_glue_job import run\n\n'
        'JOB_ARGUMENTS = ["database_name", "sql_path", "bronze_table", "silver_path"]\n\n'
        'if __name__ == "__main__":\n    run(JOB_ARGUMENTS)\n')


# ------------------------------------------------------------------ parse_script on its own

def _write(tmp_path: Path, script: str, module: str | None = None) -> tuple[Path, dict[str, Path]]:
    s = tmp_path / "job.py"
    s.write_text(script)
    libs: dict[str, Path] = {}
    if module is not None:
        m = tmp_path / "lib.py"
        m.write_text(module)
        libs["lib"] = m
    return s, libs


READER = ("import sys\nfrom awsglue.utils import getResolvedOptions\n"
          "def run(arg_names, extra=()):\n"
          "    args = getResolvedOptions(sys.argv, ['JOB_NAME'] + list(arg_names) + list(extra))\n")


@pytest.mark.parametrize("script", [
    "from lib import run\nA = ['a', 'b']\nrun(A)\n",
    "from lib import run as go\ngo(['a', 'b'])\n",
    "import lib\nlib.run(arg_names=['a'] + ['b'])\n",
])
def test_reads_through_the_shipped_module_are_the_scripts(tmp_path: Path, script: str):
    s, libs = _write(tmp_path, script, READER)
    info = parse_script(s, libs)
    assert info.args == ["JOB_NAME", "a", "b"] and info.unreadable_imports == []


def test_default_and_keyword_parameters_are_followed(tmp_path: Path):
    s, libs = _write(tmp_path, "from lib import run\nrun(['a'], extra=['z'])\n", READER)
    assert parse_script(s, libs).args == ["JOB_NAME", "a", "z"]


def test_the_real_module_and_scripts(tmp_path: Path):
    libs = {"lakegate_glue_job": MODULE}
    for short, extra in [("silver_consolidation", ["bronze_table", "silver_path"]),
                         ("gold_performance_alerts", ["silver_table", "alerts_path",
                                                      "engine_temp_limit", "oil_temp_limit",
                                                      "speed_limit"])]:
        info = parse_script(REPO / "terraform" / "glue_jobs" / f"{short}.py", libs)
        assert info.args == ["JOB_NAME", "database_name", "sql_path", *extra]
        assert info.catalog_reads_without_ctx == [] and info.error is None


def test_module_not_shipped_is_unreadable_not_a_pass(tmp_path: Path):
    s, _ = _write(tmp_path, "from lib import run\nrun(['a'])\n", READER)
    info = parse_script(s, {})
    assert info.args == []  # nothing the gate could see ...
    assert [m for m, _ in info.unreadable_imports] == ["lib"]  # ... and it says why


@pytest.mark.parametrize("script, why", [
    ("from lib import run\nrun(compute())\n", "not a literal list"),
    ("from lib import run\nrun(*names)\n", "not statically known"),
    ("from lib import *\nrun(['a'])\n", "star-imports"),
    ("from lib import outer\nouter(['a'])\n", "through run()"),
])
def test_reads_the_gate_cannot_follow_are_unknown_and_high(tmp_path: Path, script: str, why: str):
    s, libs = _write(tmp_path, script, READER + "def outer(names):\n    run(names)\n")
    info = parse_script(s, libs)
    assert info.args is None and why in info.args_unknown
    assert info.args_unknown_severity == "high"


def test_modules_imported_by_the_shipped_module_are_unreadable(tmp_path: Path):
    s, libs = _write(tmp_path, "from lib import run\nrun(['a'])\n", "import helperlib\n" + READER)
    info = parse_script(s, libs)
    assert [m for m, _ in info.unreadable_imports] == ["helperlib"]


def test_runtime_imports_are_not_unreadable(tmp_path: Path):
    s, _ = _write(tmp_path, "import re, sys, json\nimport boto3\nfrom pyspark.sql import functions\n"
                            "from awsglue.utils import getResolvedOptions\n"
                            "getResolvedOptions(sys.argv, ['JOB_NAME'])\n")
    info = parse_script(s, {})
    assert info.unreadable_imports == [] and info.args == ["JOB_NAME"]


def test_shipped_module_catalog_read_without_ctx_and_syntax_error(tmp_path: Path):
    module = READER + "    glue.create_dynamic_frame.from_catalog(database='d', table_name='t')\n"
    s, libs = _write(tmp_path, "from lib import run\nrun(['a'])\n", module)
    assert parse_script(s, libs).catalog_reads_without_ctx == ["lib.py:5"]
    libs["lib"].write_text("def broken(:\n")
    assert "module lib" in (parse_script(s, libs).error or "")


def test_extra_py_files_is_comma_separated():
    assert extra_py_files({"--extra-py-files": "s3://b/a.py, s3://b/c.py,"}) == ["s3://b/a.py", "s3://b/c.py"]
    assert extra_py_files({}) == [] and extra_py_files({"--extra-py-files": None}) == []


# ------------------------------------------------------------------ the rules, on the pipeline fixture

def _ship(data: dict, pipeline_dir: Path, *, script: str = SHIM, module: str | None = None,
          upload: bool = True, pass_argument: bool = True) -> None:
    """Make the fixture's silver job a shim over the shared module, uploaded and passed as
    ``--extra-py-files`` (each part optional, to break it)."""
    jobs = pipeline_dir / "glue_jobs"
    (jobs / "silver_consolidation.py").write_text(script)
    (jobs / "lakegate_glue_job.py").write_text(module if module is not None else MODULE.read_text())
    if upload:
        rc = copy.deepcopy(next(r for r in data["resource_changes"]
                                if r["address"] == "aws_s3_object.silver_script"))
        rc["address"] = rc["name"] = "aws_s3_object.silver_lib"
        rc["name"] = "silver_lib"
        rc["change"]["after"].update(key="jobs/lakegate_glue_job.py", bucket=SCRIPTS,
                                     source="./glue_jobs/lakegate_glue_job.py")
        rc["change"]["after_unknown"].pop("bucket", None)
        data["resource_changes"].append(rc)
        pv = copy.deepcopy(planned(data, "aws_s3_object.silver_script"))
        pv["address"], pv["name"] = "aws_s3_object.silver_lib", "silver_lib"
        pv["values"].update(rc["change"]["after"])
        data["planned_values"]["root_module"]["resources"].append(pv)
    if pass_argument:
        args = dict(change(data, JOB)["after"]["default_arguments"], **{"--extra-py-files": MODULE_URL})
        set_value(data, JOB, "default_arguments", args)


def _cons(result, rule: str) -> list:
    return [f for f in result.findings if f.rule_id == rule]


def test_shim_over_the_shipped_module_is_clean(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir)
    result = check(data, pipeline_dir)
    assert [f for f in result.findings if f.rule_id.startswith("LG-CONS")
            and f.severity in ("high", "critical")] == []
    assert result.exit_code("high") == 0


def test_argument_read_through_the_module_but_not_passed(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir, script=SHIM.replace('"silver_path"]', '"silver_path", "gold_path"]'))
    f = _cons(check(data, pipeline_dir), "LG-CONS-004")
    assert len(f) == 1 and "gold_path" in f[0].message and f[0].severity == "high"


def test_module_not_passed_with_extra_py_files_cannot_tell(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir, pass_argument=False)
    result = check(data, pipeline_dir)
    f = _cons(result, "LG-CONS-004")
    assert f and f[0].severity == "high" and "cannot tell" in f[0].message
    assert "lakegate_glue_job" in f[0].message
    assert result.exit_code("high") == 1


def test_module_not_uploaded_by_the_plan_is_found_by_name(pipeline_dir: Path):
    # uploaded outside Terraform (e.g. by CI): not a finding by itself; the file with that name
    # in the Terraform directory is read
    data = plan_data("pipeline")
    _ship(data, pipeline_dir, upload=False)
    result = check(data, pipeline_dir)
    assert _cons(result, "LG-CONS-005") == [] and _cons(result, "LG-CONS-004") == []


def test_module_found_nowhere_cannot_tell(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir, upload=False)
    (pipeline_dir / "glue_jobs" / "lakegate_glue_job.py").unlink()
    result = check(data, pipeline_dir)
    assert any("cannot tell" in f.message for f in _cons(result, "LG-CONS-004"))
    assert [f.address for f in _cons(result, "LG-CONS-008")] == [JOB]


def test_uploaded_module_file_missing(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir)
    (pipeline_dir / "glue_jobs" / "lakegate_glue_job.py").unlink()
    f = _cons(check(data, pipeline_dir), "LG-CONS-005")
    assert any("does not exist" in x.message and x.address == "aws_s3_object.silver_lib" for x in f)


def test_non_literal_run_call_fails_the_gate(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir, script="from lakegate_glue_job import run\nrun(compute())\n")
    result = check(data, pipeline_dir)
    f = _cons(result, "LG-CONS-004")
    assert f and f[0].severity == "high" and result.exit_code("high") == 1


def test_module_catalog_read_without_ctx(pipeline_dir: Path):
    data = plan_data("pipeline")
    text = MODULE.read_text()
    assert "transformation_ctx=item[\"name\"])" in text
    _ship(data, pipeline_dir, module=text.replace(",\n                transformation_ctx=item[\"name\"])", ")"))
    f = _cons(check(data, pipeline_dir), "LG-CONS-006")
    assert f and "lakegate_glue_job.py:" in f[0].message


def test_job_role_must_read_the_module(pipeline_dir: Path):
    main = pipeline_dir / "main.tf"
    old = 'resources = [aws_s3_bucket.scripts.arn, "${aws_s3_bucket.scripts.arn}/*"]'
    assert old in main.read_text()
    main.write_text(main.read_text().replace(
        old, 'resources = [aws_s3_bucket.scripts.arn, "${aws_s3_bucket.scripts.arn}/jobs/silver_consolidation.*"]'))
    data = plan_data("pipeline")
    _ship(data, pipeline_dir, pass_argument=False)
    assert not [f for f in check(data, pipeline_dir).findings if f.rule_id == "LG-IAM-001"]
    args = dict(change(data, JOB)["after"]["default_arguments"], **{"--extra-py-files": MODULE_URL})
    set_value(data, JOB, "default_arguments", args)
    iam = [f for f in check(data, pipeline_dir).findings if f.rule_id == "LG-IAM-001"]
    assert [f.address for f in iam] == [JOB]
    assert {(m.action, m.resource) for m in iam[0].missing} == {
        ("s3:GetObject", f"arn:aws:s3:::{SCRIPTS}/jobs/lakegate_glue_job.py")}


def test_module_content_change_resets_the_bookmark(pipeline_dir: Path):
    data = plan_data("pipeline")
    _ship(data, pipeline_dir)
    for rc in data["resource_changes"]:
        ch = rc["change"]
        if ch["actions"] == ["create"]:
            ch["actions"], ch["before"], ch["after_unknown"] = ["no-op"], copy.deepcopy(ch["after"]), {}
    assert check(data, pipeline_dir).recovery_plan["bookmarks_to_reset"] == []
    ch = change(data, "aws_s3_object.silver_lib")
    ch["actions"] = ["update"]
    ch["before"]["etag"] = "0" * 32
    rp = check(data, pipeline_dir).recovery_plan
    assert rp["bookmarks_to_reset"] == ["datalake-pipeline-silver-consolidation-dev"]

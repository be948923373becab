"""The Glue PySpark scripts and their shared driver (lakegate_glue_job.py, shipped with
--extra-py-files): compile, read only DESIGN.md's job arguments, a header parser that agrees with
lakegate.sqlrun, and drive Glue correctly (checked with fakes: there is no Spark or awsglue here)."""

from __future__ import annotations

import importlib.util
import py_compile
import re
import runpy
import sys
import types
from pathlib import Path

import pytest

from lakegate import sqlrun

from .jobkit import JOB_ARGS, JOB_NAMES, JOBS_DIR

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "DESIGN.md"
SHARED = "lakegate_glue_job"


def design_arguments(short: str) -> set[str]:
    """Arguments DESIGN.md's job-argument section passes to job ``short`` (without '--')."""
    text = DESIGN.read_text(encoding="utf-8")
    section = text[text.index("### Job arguments"):text.index("Scripts: `terraform/glue_jobs")]
    common = section[:section.index("| job (short name)")]
    row = next(line for line in section.splitlines() if line.startswith(f"| {short} |"))
    extras = row.rsplit("|", 2)[-2]  # the last column: "extra arguments"
    names = set(re.findall(r"--([A-Za-z_][A-Za-z0-9_-]*)", common + extras))
    names |= set(re.findall(r"`--([a-z_]+)=", row))  # arguments given in the writes column
    return names


def test_design_lists_extra_py_files() -> None:
    """The scripts import the shared driver, so every job must receive --extra-py-files."""
    assert {"extra-py-files", "sql_path"} <= design_arguments("silver_consolidation")


class Recorder:
    """Collects what the script asked Glue/Spark to do."""

    def __init__(self, args: dict[str, str], batch_rows: int, existing: bool) -> None:
        self.args, self.batch_rows, self.existing = args, batch_rows, existing
        self.calls: list[tuple] = []


def fake_glue_modules(rec: Recorder, sql_text: str) -> dict[str, types.ModuleType]:
    """Minimal awsglue/pyspark stand-ins that record calls."""
    class AnalysisException(Exception):
        pass

    class Writer:
        def __init__(self, df):
            self.df = df

        def format(self, fmt):
            rec.calls.append(("format", fmt))
            return self

        def partitionBy(self, *cols):
            rec.calls.append(("partitionBy", cols))
            return self

        def mode(self, mode):
            rec.calls.append(("mode", mode))
            return self

        def save(self, path):
            rec.calls.append(("save", path, self.df.sql))

    class DF:
        def __init__(self, sql=None, rows=1):
            self.sql, self.rows = sql, rows

        def head(self, n):
            return [object()] * min(n, self.rows)

        def createOrReplaceTempView(self, name):
            rec.calls.append(("view", name, self.sql))

        def limit(self, n):
            return DF(f"LIMIT {n}: {self.sql}", 0)

        def localCheckpoint(self, eager=True):
            rec.calls.append(("checkpoint",))
            return self

        @property
        def write(self):
            return Writer(self)

    class Frame:
        def __init__(self, rows):
            self.rows = rows

        def toDF(self):
            return DF("<catalog>", self.rows)

    class CreateDynamicFrame:
        def from_catalog(self, database, table_name, transformation_ctx):
            rec.calls.append(("from_catalog", database, table_name, transformation_ctx))
            return Frame(rec.batch_rows)

    class Conf:
        def set(self, key, value):
            rec.calls.append(("conf", key, value))

    class Read:
        def parquet(self, path):
            rec.calls.append(("read_parquet", path))
            if not rec.existing:
                raise AnalysisException(f"[PATH_NOT_FOUND] Path does not exist: {path}")
            return DF("<existing>")

    class Spark:
        conf, read = Conf(), Read()

        def sql(self, text):
            return DF(text)

    class Logger:
        def info(self, msg):
            rec.calls.append(("log", msg))

    class GlueContext:
        def __init__(self, sc):
            self.spark_session = Spark()
            self.create_dynamic_frame = CreateDynamicFrame()

        def get_logger(self):
            return Logger()

    class Job:
        def __init__(self, ctx):
            pass

        def init(self, name, args):
            rec.calls.append(("init", name))

        def commit(self):
            rec.calls.append(("commit",))

    class SparkContext:
        @staticmethod
        def getOrCreate():
            return object()

    def getResolvedOptions(argv, names):
        rec.calls.append(("getResolvedOptions", tuple(names)))
        return {n: rec.args[n] for n in names}

    class S3:
        def get_object(self, Bucket, Key):
            rec.calls.append(("get_object", Bucket, Key))
            body = types.SimpleNamespace(read=lambda: sql_text.encode())
            return {"Body": body}

    mods = {name: types.ModuleType(name) for name in (
        "awsglue", "awsglue.context", "awsglue.job", "awsglue.utils", "pyspark",
        "pyspark.context", "pyspark.sql", "pyspark.sql.utils", "boto3")}
    mods["awsglue.context"].GlueContext = GlueContext
    mods["awsglue.job"].Job = Job
    mods["awsglue.utils"].getResolvedOptions = getResolvedOptions
    mods["pyspark.context"].SparkContext = SparkContext
    mods["pyspark.sql.utils"].AnalysisException = AnalysisException
    mods["boto3"].client = lambda service: S3()
    return mods


def load_shared(monkeypatch, rec: Recorder | None = None, sql_text: str = ""):
    """The shared driver, imported over fake awsglue/pyspark/boto3 and registered as the module
    the scripts import (as --extra-py-files puts it on Glue's Python path)."""
    rec = rec or Recorder({}, 0, False)
    for name, mod in fake_glue_modules(rec, sql_text).items():
        monkeypatch.setitem(sys.modules, name, mod)
    spec = importlib.util.spec_from_file_location(SHARED, JOBS_DIR / f"{SHARED}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, SHARED, module)
    spec.loader.exec_module(module)
    return module


def script_arguments(short: str) -> list[str]:
    """JOB_ARGUMENTS of a job script (its only import is the shared driver: stand it in)."""
    stub = types.ModuleType(SHARED)
    stub.run = lambda names: pytest.fail("run() called on import")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, SHARED, stub)
        return runpy.run_path(str(JOBS_DIR / f"{short}.py"), run_name="not_main")["JOB_ARGUMENTS"]


@pytest.mark.parametrize("short", [*JOB_NAMES, SHARED])
def test_script_compiles(short: str, tmp_path) -> None:
    py_compile.compile(str(JOBS_DIR / f"{short}.py"), cfile=str(tmp_path / "x.pyc"), doraise=True)


@pytest.mark.parametrize("short", JOB_NAMES)
def test_script_is_a_call_of_the_shared_driver(short: str) -> None:
    """Each job script is only `from lakegate_glue_job import run` + its argument list: the
    driver exists once."""
    import ast

    tree = ast.parse((JOBS_DIR / f"{short}.py").read_text(encoding="utf-8"))
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [(n.module, [a.name for a in n.names]) for n in imports] == [(SHARED, ["run"])]
    assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls == ["run"]


@pytest.mark.parametrize("short", JOB_NAMES)
def test_script_reads_only_design_arguments(short: str) -> None:
    arguments = script_arguments(short)
    allowed = design_arguments(short)
    assert set(arguments) <= allowed, set(arguments) - allowed
    # ... and every {placeholder} / ${param} its SQL uses is one of them
    job = sqlrun.load_job_sql(JOBS_DIR / f"{short}.sql")
    used = set(re.findall(r"\{([A-Za-z_]+)\}", " ".join(
        str(v) for i in job.inputs for v in (i.database, i.table, i.path)) + job.output.path))
    used |= {p.name for p in job.params}
    assert used | {"sql_path"} == set(arguments)


def test_shared_driver_reads_exactly_the_scripts_list(monkeypatch) -> None:
    """The driver asks getResolvedOptions for JOB_NAME + the list the script passes, no more."""
    rec = Recorder({}, 0, False)
    module = load_shared(monkeypatch, rec)
    with pytest.raises(KeyError):  # the fake getResolvedOptions has no values: stops right there
        module.run(["database_name", "x_only"])
    assert rec.calls == [("getResolvedOptions", ("JOB_NAME", "database_name", "x_only"))]


def test_design_argument_parser_sees_the_table() -> None:
    assert design_arguments("gold_performance_alerts") >= {
        "database_name", "sql_path", "silver_table", "alerts_path", "engine_temp_limit",
        "oil_temp_limit", "speed_limit"}
    assert "speed_limit" not in design_arguments("silver_consolidation")


@pytest.mark.parametrize("short", JOB_NAMES)
def test_inline_parser_agrees_with_sqlrun(short: str, monkeypatch) -> None:
    module = load_shared(monkeypatch)
    text = (JOBS_DIR / f"{short}.sql").read_text(encoding="utf-8")
    inputs, output, params, body = module.parse_header(text, "x.sql")
    ref = sqlrun.parse_job_sql(text)
    assert [(i["name"], i["kind"], i["database"], i["table"], i["path"], i["incremental"],
             i["optional"], i["format"]) for i in inputs] == [
        (i.name, i.kind, i.database, i.table, i.path, i.incremental, i.optional, i.format)
        for i in ref.inputs]
    assert (output["path"], output["format"], output["partition_by"], output["mode"]) == (
        ref.output.path, ref.output.format, ref.output.partition_by, ref.output.mode)
    assert [(p["name"], p["type"], p["default"]) for p in params] == [
        (p.name, p.type, p.default) for p in ref.params]
    assert body == ref.body
    r_inputs, r_output, r_body = module.resolve_header(inputs, output, params, body, JOB_ARGS)
    resolved = sqlrun.resolve(ref, JOB_ARGS)
    assert r_body == resolved.body
    assert r_output["path"] == resolved.output.path
    assert [i["path"] or f'{i["database"]}.{i["table"]}' for i in r_inputs] == [
        i.path or f"{i.database}.{i.table}" for i in resolved.inputs]
    for item in ref.inputs:
        if item.optional:
            assert module.drop_optional_branch(r_body, item.name) == \
                sqlrun.drop_optional_branch(resolved.body, item.name)


@pytest.mark.parametrize("text", [
    "-- lakegate:output path=x format=parquet mode=overwrite\nSELECT 1",
    "-- lakegate:input a catalog=dbt\n-- lakegate:output path=x format=parquet mode=overwrite\nSELECT 1",
    "-- lakegate:input a path=x format=csv\n-- lakegate:output path=x format=parquet mode=overwrite\nSELECT 1",
    "-- lakegate:input a catalog=d.t\n-- lakegate:output path=x format=parquet mode=merge\nSELECT 1",
    "-- lakegate:input a catalog=d.t\n-- lakegate:output path=x format=parquet mode=overwrite_partitions\nSELECT 1",
    "-- lakegate:input a catalog=d.t\n-- lakegate:output path=x format=parquet mode=overwrite\n"
    "-- lakegate:param p integer\nSELECT 1",
    "-- lakegate:frobnicate\nSELECT 1",
])
def test_inline_parser_rejects_what_sqlrun_rejects(text: str, monkeypatch) -> None:
    module = load_shared(monkeypatch)
    with pytest.raises(module.HeaderError):
        module.parse_header(text, "bad.sql")
    with pytest.raises(sqlrun.LakegateError):
        sqlrun.parse_job_sql(text)


def test_inline_resolve_rejects_bad_number(monkeypatch) -> None:
    module = load_shared(monkeypatch)
    text = (JOBS_DIR / "gold_performance_alerts.sql").read_text(encoding="utf-8")
    parsed = module.parse_header(text, "a.sql")
    with pytest.raises(module.HeaderError, match="must be a number"):
        module.resolve_header(*parsed, {**JOB_ARGS, "speed_limit": "1; DROP"})


def _run(short: str, monkeypatch, *, batch_rows: int, existing: bool) -> Recorder:
    args = {**JOB_ARGS, "JOB_NAME": f"datalake-pipeline-{short}-dev",
            "sql_path": f"s3://datalake-pipeline-glue-scripts-dev/jobs/{short}.sql"}
    rec = Recorder(args, batch_rows, existing)
    sql_text = (JOBS_DIR / f"{short}.sql").read_text(encoding="utf-8")
    load_shared(monkeypatch, rec, sql_text)
    # as Glue runs it: the script as __main__, the driver importable (--extra-py-files)
    runpy.run_path(str(JOBS_DIR / f"{short}.py"), run_name="__main__")
    return rec


def test_empty_batch_commits_and_exits_without_writing(monkeypatch) -> None:
    rec = _run("gold_performance_alerts", monkeypatch, batch_rows=0, existing=True)
    kinds = [c[0] for c in rec.calls]
    assert ("from_catalog", "datalake-pipeline-catalog-dev", "silver_car_telemetry",
            "silver_batch") in rec.calls
    assert kinds[-1] == "commit" and "save" not in kinds
    assert any(c[0] == "log" and "nothing to do" in c[1] for c in rec.calls)


def test_silver_first_run_without_existing_silver(monkeypatch) -> None:
    rec = _run("silver_consolidation", monkeypatch, batch_rows=5, existing=False)
    resolved = sqlrun.resolve(sqlrun.load_job_sql(JOBS_DIR / "silver_consolidation.sql"), JOB_ARGS)
    assert rec.calls[0] == ("getResolvedOptions",
                            ("JOB_NAME", "database_name", "sql_path", "bronze_table", "silver_path"))
    assert ("init", "datalake-pipeline-silver_consolidation-dev") in rec.calls
    assert ("get_object", "datalake-pipeline-glue-scripts-dev", "jobs/silver_consolidation.sql") in rec.calls
    assert ("from_catalog", "datalake-pipeline-catalog-dev", "bronze_car_data", "bronze_batch") in rec.calls
    assert ("view", "bronze_batch", "<catalog>") in rec.calls
    pruned = sqlrun.drop_optional_branch(resolved.body, "silver_existing")
    assert ("view", "silver_existing", f"LIMIT 0: {pruned}") in rec.calls
    assert ("conf", "spark.sql.sources.partitionOverwriteMode", "dynamic") in rec.calls
    assert ("partitionBy", ("event_year", "event_month", "event_day")) in rec.calls
    assert ("mode", "overwrite") in rec.calls
    assert ("save", JOB_ARGS["silver_path"], resolved.body) in rec.calls
    assert ("checkpoint",) not in rec.calls
    assert [c[0] for c in rec.calls][-1] == "commit"


def test_gold_state_materialises_before_overwriting_the_path_it_reads(monkeypatch) -> None:
    rec = _run("gold_car_current_state", monkeypatch, batch_rows=3, existing=True)
    assert ("read_parquet", JOB_ARGS["gold_path"]) in rec.calls
    assert ("view", "gold_existing", "<existing>") in rec.calls
    assert ("checkpoint",) in rec.calls
    assert ("conf", "spark.sql.sources.partitionOverwriteMode", "static") in rec.calls
    assert not any(c[0] == "partitionBy" for c in rec.calls)
    saves = [c for c in rec.calls if c[0] == "save"]
    assert len(saves) == 1 and saves[0][1] == JOB_ARGS["gold_path"]


def test_alerts_job_passes_limits_into_the_sql(monkeypatch) -> None:
    monkeypatch.setitem(JOB_ARGS, "speed_limit", "130")
    rec = _run("gold_performance_alerts", monkeypatch, batch_rows=3, existing=True)
    save = next(c for c in rec.calls if c[0] == "save")
    assert "tripMaxSpeedKm > 130" in save[2] and "${" not in save[2]

"""lakegate.sqlrun: the -- lakegate: header parser, resolve(), transpile and run errors."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from lakegate import sqlrun
from lakegate.errors import LakegateError

from .jobkit import JOB_NAMES, JOBS_DIR

VALID = """\
-- lakegate:input bronze_batch catalog={database_name}.{bronze_table} incremental
-- lakegate:input silver_existing path={silver_path} format=parquet optional
-- lakegate:output path={silver_path} format=parquet partition_by=event_year,event_month,event_day mode=overwrite_partitions
-- lakegate:param engine_temp_limit number default=100
-- lakegate:param label string
-- a documentation comment

SELECT x, '${label}' AS l FROM bronze_batch WHERE x > ${engine_temp_limit}
UNION ALL SELECT * FROM silver_existing
"""


def test_parse_valid_header() -> None:
    job = sqlrun.parse_job_sql(VALID, source="v.sql")
    assert job.inputs == [
        sqlrun.SqlInput(name="bronze_batch", kind="catalog", database="{database_name}",
                        table="{bronze_table}", incremental=True),
        sqlrun.SqlInput(name="silver_existing", kind="path", path="{silver_path}",
                        format="parquet", optional=True),
    ]
    assert job.output == sqlrun.SqlOutput(path="{silver_path}", format="parquet",
                                          partition_by=["event_year", "event_month", "event_day"],
                                          mode="overwrite_partitions")
    assert job.params == [sqlrun.SqlParam("engine_temp_limit", "number", "100"),
                          sqlrun.SqlParam("label", "string", None)]
    assert job.body.startswith("SELECT x, '${label}'")
    assert "lakegate" not in job.body and job.source == "v.sql"


@pytest.mark.parametrize("name", JOB_NAMES)
def test_the_three_job_files_parse(name: str) -> None:
    job = sqlrun.load_job_sql(JOBS_DIR / f"{name}.sql")
    assert job.output.format == "parquet"
    assert [i.name for i in job.inputs if i.kind == "catalog" and i.incremental]


HEAD_OK = "-- lakegate:output path=s3://b/p/ format=parquet mode=overwrite\n"
IN_OK = "-- lakegate:input a catalog=db.t\n"


@pytest.mark.parametrize("text, line, fragment", [
    (HEAD_OK + "SELECT 1", 1, "no '-- lakegate:input'"),
    (IN_OK + "SELECT 1", 1, "exactly one '-- lakegate:output'"),
    (IN_OK + HEAD_OK + HEAD_OK + "SELECT 1", 3, "exactly one"),
    (IN_OK + HEAD_OK, 2, "no SQL body"),
    ("-- lakegate:\n" + IN_OK + HEAD_OK + "SELECT 1", 1, "empty lakegate directive"),
    ("-- lakegate:inputs a catalog=db.t\n" + HEAD_OK + "SELECT 1", 1, "unknown lakegate directive"),
    ("--lakegate:input a catalog=db.t\n" + HEAD_OK + "SELECT 1", 1, "malformed lakegate header"),
    ("-- lakegate:input\n" + HEAD_OK + "SELECT 1", 1, "no name"),
    ("-- lakegate:input 1a catalog=db.t\n" + HEAD_OK + "SELECT 1", 1, "not a SQL identifier"),
    ("-- lakegate:input a catalog=dbt\n" + HEAD_OK + "SELECT 1", 1, "not DB.TABLE"),
    ("-- lakegate:input a catalog=db.t.x\n" + HEAD_OK + "SELECT 1", 1, "not DB.TABLE"),
    ("-- lakegate:input a\n" + HEAD_OK + "SELECT 1", 1, "exactly one of catalog= or path="),
    ("-- lakegate:input a catalog=d.t path=s3://x/ format=parquet\n" + HEAD_OK + "SELECT 1", 1,
     "exactly one of catalog= or path="),
    ("-- lakegate:input a catalog=d.t optional\n" + HEAD_OK + "SELECT 1", 1, "only the flag"),
    ("-- lakegate:input a path=s3://x/ format=parquet incremental\n" + HEAD_OK + "SELECT 1", 1,
     "cannot be incremental"),
    ("-- lakegate:input a path=s3://x/\n" + HEAD_OK + "SELECT 1", 1, "no format="),
    ("-- lakegate:input a path=s3://x/ format=csv\n" + HEAD_OK + "SELECT 1", 1, "unsupported format"),
    ("-- lakegate:input a catalog=d.t bogus\n" + HEAD_OK + "SELECT 1", 1, "unknown flag"),
    ("-- lakegate:input a catalog=d.t color=red\n" + HEAD_OK + "SELECT 1", 1, "unknown option"),
    ("-- lakegate:input a catalog=d.t incremental incremental\n" + HEAD_OK + "SELECT 1", 1, "twice"),
    ("-- lakegate:input a catalog=\n" + HEAD_OK + "SELECT 1", 1, "empty value"),
    (IN_OK + "-- lakegate:input a catalog=d.u\n" + HEAD_OK + "SELECT 1", 2, "declared twice"),
    (IN_OK + "-- lakegate:output format=parquet mode=overwrite\nSELECT 1", 2, "no path="),
    (IN_OK + "-- lakegate:output path=s3://x/ mode=overwrite\nSELECT 1", 2, "no format="),
    (IN_OK + "-- lakegate:output path=s3://x/ format=parquet\nSELECT 1", 2, "no mode="),
    (IN_OK + "-- lakegate:output path=s3://x/ format=parquet mode=merge\nSELECT 1", 2, "unknown mode"),
    (IN_OK + "-- lakegate:output path=s3://x/ format=parquet mode=overwrite_partitions\nSELECT 1", 2,
     "needs partition_by"),
    (IN_OK + "-- lakegate:output path=s3://x/ format=parquet partition_by=a,a mode=append\nSELECT 1",
     2, "repeats"),
    (IN_OK + "-- lakegate:output path=s3://x/ format=parquet partition_by=a,,b mode=append\nSELECT 1",
     2, "not a SQL identifier"),
    (IN_OK + HEAD_OK + "-- lakegate:param p\nSELECT 1", 3, "needs a name and a type"),
    (IN_OK + HEAD_OK + "-- lakegate:param p integer\nSELECT 1", 3, "unknown type"),
    (IN_OK + HEAD_OK + "-- lakegate:param p number default=ten\nSELECT 1", 3, "must be a number"),
    (IN_OK + HEAD_OK + "-- lakegate:param p number\n-- lakegate:param p number\nSELECT 1", 4,
     "declared twice"),
    (IN_OK + HEAD_OK + "SELECT ${q}", 3, "no such param declared"),
    (IN_OK + HEAD_OK + "SELECT 1\n-- lakegate:param p number\n", 4, "after the SQL body"),
])
def test_malformed_header_names_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(LakegateError) as info:
        sqlrun.parse_job_sql(text, source="jobs/bad.sql")
    assert fragment in info.value.what
    assert info.value.where == f"jobs/bad.sql:{line}"
    assert info.value.fix


def test_load_job_sql_missing_file(tmp_path) -> None:
    with pytest.raises(LakegateError, match="cannot read"):
        sqlrun.load_job_sql(tmp_path / "nope.sql")


def test_resolve_fills_args_with_or_without_dashes() -> None:
    job = sqlrun.parse_job_sql(VALID)
    resolved = sqlrun.resolve(job, {"--database_name": "db", "bronze_table": "bt",
                                    "--silver_path": "s3://s/car/", "label": "x y",
                                    "--engine_temp_limit": " 99.5 "})
    assert (resolved.inputs[0].database, resolved.inputs[0].table) == ("db", "bt")
    assert resolved.inputs[1].path == "s3://s/car/" and resolved.output.path == "s3://s/car/"
    assert "x > 99.5" in resolved.body and "'x y' AS l" in resolved.body
    assert resolved.params[0].default == "99.5"
    # the original is untouched
    assert job.inputs[0].database == "{database_name}"


def test_resolve_uses_param_default() -> None:
    resolved = sqlrun.resolve(sqlrun.parse_job_sql(VALID),
                              {"database_name": "d", "bronze_table": "b", "silver_path": "p",
                               "label": "l"})
    assert "x > 100" in resolved.body


@pytest.mark.parametrize("args, fragment", [
    ({"bronze_table": "b", "silver_path": "p", "label": "l"}, "--database_name is not set"),
    ({"database_name": "d", "bronze_table": "b", "silver_path": "p"}, "no job argument --label"),
    ({"database_name": "d", "bronze_table": "b", "silver_path": "p", "label": "l",
      "engine_temp_limit": "1e400"}, "must be a number"),
    ({"database_name": "d", "bronze_table": "b", "silver_path": "p", "label": "l",
      "engine_temp_limit": "100; DROP TABLE x"}, "must be a number"),
    ({"database_name": "d", "bronze_table": "b", "silver_path": "p", "label": "it's"},
     "quote or backslash"),
])
def test_resolve_errors(args: dict[str, str], fragment: str) -> None:
    with pytest.raises(LakegateError) as info:
        sqlrun.resolve(sqlrun.parse_job_sql(VALID, source="v.sql"), args)
    assert fragment in info.value.what
    assert info.value.where and info.value.where.startswith("v.sql")


def test_to_duckdb_transpiles_spark_functions() -> None:
    out = sqlrun.to_duckdb("SELECT to_timestamp(s, 'dd MMM yyyy HH:mm:ss') AS t, "
                           "date_format(t, 'yyyy') AS y FROM v")
    assert "STRPTIME(s, '%d %b %Y %H:%M:%S')" in out and "STRFTIME" in out


@pytest.mark.parametrize("sql, fragment", [
    ("SELECT FROM WHERE (", "cannot parse"),
    ("SELECT 1; SELECT 2", "exactly one statement"),
    ("", "exactly one statement"),
])
def test_to_duckdb_errors(sql: str, fragment: str) -> None:
    with pytest.raises(LakegateError) as info:
        sqlrun.to_duckdb(sql)
    assert fragment in info.value.what


def _simple_job(optional_branch: str = "UNION ALL SELECT * FROM old") -> sqlrun.JobSql:
    text = ("-- lakegate:input new catalog=d.t incremental\n"
            "-- lakegate:input old path=s3://b/x/ format=parquet optional\n"
            "-- lakegate:output path=s3://b/x/ format=parquet mode=overwrite\n"
            "-- lakegate:param lim number default=1\n"
            f"SELECT x, x * 2 AS y FROM new WHERE x > ${{lim}} {optional_branch}")
    return sqlrun.parse_job_sql(text, source="s.sql")


def test_run_job_sql_with_and_without_optional_input(con) -> None:
    job = sqlrun.resolve(_simple_job(), {})
    sqlrun.register_arrow(con, "new", pa.table({"x": [1, 2, 3]}))
    first = sqlrun.run_job_sql(con, job)
    assert sorted(first.to_pylist(), key=lambda r: r["x"]) == [{"x": 2, "y": 4}, {"x": 3, "y": 6}]
    # the missing optional input became an empty view with the output's schema
    assert con.sql("SELECT count(*) FROM old").fetchall() == [(0,)]
    sqlrun.register_arrow(con, "old", pa.table({"x": [9], "y": [18]}))
    second = sqlrun.run_job_sql(con, job)
    assert sorted(r["x"] for r in second.to_pylist()) == [2, 3, 9]


def test_run_job_sql_errors(con) -> None:
    with pytest.raises(LakegateError, match="placeholders"):
        sqlrun.run_job_sql(con, _simple_job())
    with pytest.raises(LakegateError, match="'new' is not registered"):
        sqlrun.run_job_sql(con, sqlrun.resolve(_simple_job(), {}))
    sqlrun.register_arrow(con, "new", pa.table({"x": [1]}))
    with pytest.raises(LakegateError, match="exactly once as 'UNION ALL SELECT"):
        sqlrun.run_job_sql(con, sqlrun.resolve(_simple_job("AND x IN (SELECT x FROM old)"), {}))
    sqlrun.register_arrow(con, "new", pa.table({"z": [1]}))
    with pytest.raises(LakegateError, match="failed on DuckDB"):
        sqlrun.register_arrow(con, "old", pa.table({"x": [1], "y": [2]}))
        sqlrun.run_job_sql(con, sqlrun.resolve(_simple_job(), {}))


def test_register_arrow_rejects_bad_names_and_replaces(con) -> None:
    with pytest.raises(LakegateError):
        sqlrun.register_arrow(con, "a-b", pa.table({"x": [1]}))
    sqlrun.register_arrow(con, "v", pa.table({"x": [1]}))
    sqlrun.register_arrow(con, "v", pa.table({"x": [2]}))
    assert con.sql("SELECT x FROM v").fetchall() == [(2,)]


def test_read_parquet_dir_keeps_partition_values_as_strings(tmp_path) -> None:
    table = pa.table({"v": [1, 2], "event_year": ["2025", "2025"], "event_month": ["01", "10"]})
    ds.write_dataset(table, tmp_path, format="parquet", partitioning=["event_year", "event_month"],
                     partitioning_flavor="hive")
    back = sqlrun.read_parquet_dir(tmp_path)
    assert back.schema.names == ["v", "event_year", "event_month"]
    assert sorted(back.column("event_month").to_pylist()) == ["01", "10"]
    with pytest.raises(LakegateError, match="no Parquet files"):
        (tmp_path / "empty").mkdir()
        sqlrun.read_parquet_dir(tmp_path / "empty")
    with pytest.raises(LakegateError, match="does not exist"):
        sqlrun.read_parquet_dir(tmp_path / "missing")

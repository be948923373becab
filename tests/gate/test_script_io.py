"""tf_checks.scripts.analyze: what a Glue script reads and writes, from its source."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tf_checks.scripts.analyze import Unknown, analyze, sql_tables


def ops(src: str, args: dict[str, str] | None = None, modules: dict[str, str] | None = None,
        tmp: Path | None = None) -> set[tuple[str, str]]:
    """{(kind, target)} of the script; unknown targets as ('kind', '?why')."""
    path = Path("job.py")
    mods = {name: (Path(f"{name}.py"), ast.parse(textwrap.dedent(text)))
            for name, text in (modules or {}).items()}
    an = analyze(path, ast.parse(textwrap.dedent(src)), mods, args or {})
    return {(o.kind, o.target if isinstance(o.target, str) else "?" + o.target.why) for o in an.ops}


GLUE_HEAD = """
import sys
from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session
"""


def test_dynamic_frame_catalog_read_and_s3_sink():
    got = ops(GLUE_HEAD + """
args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_db", "source_tbl", "target"])
dyf = glueContext.create_dynamic_frame.from_catalog(database=args["source_db"],
                                                    table_name=args["source_tbl"])
glueContext.write_dynamic_frame.from_options(frame=dyf, connection_type="s3",
                                             connection_options={"path": args["target"]},
                                             format="parquet")
""", {"--source_db": "raw", "--source_tbl": "orders", "--target": "s3://cur/orders/"})
    assert got == {("catalog_read", "raw.orders"), ("write", "s3://cur/orders/")}


def test_overwrite_deletes_append_only_writes_and_input_is_only_read():
    src = GLUE_HEAD + """
args = getResolvedOptions(sys.argv, ["input_path", "output_path"])
df = spark.read.parquet(args["input_path"])
df.write.mode("{mode}").parquet(args["output_path"])
"""
    a = {"--input_path": "s3://raw/in/", "--output_path": "s3://cur/out/"}
    over = ops(src.replace("{mode}", "overwrite"), a)
    assert over == {("read", "s3://raw/in/"), ("write", "s3://cur/out/"), ("delete", "s3://cur/out/"),
                    ("list", "s3://cur/out/")}
    assert ops(src.replace("{mode}", "append"), a) == {("read", "s3://raw/in/"), ("write", "s3://cur/out/")}


def test_values_through_fstrings_format_percent_join_and_loops():
    got = ops(GLUE_HEAD + """
import os
args = getResolvedOptions(sys.argv, ["bucket", "env"])
BASE = "s3://%s/lake" % args["bucket"]
for table in ["orders", "customers"]:
    spark.read.format("csv").option("header", "true").load(f"{BASE}/raw/{table}/")
out = os.path.join(BASE, "curated", "{}_{}".format("daily", args["env"]))
spark.range(1).write.save(out + "/", format="parquet")
""", {"--bucket": "b", "--env": "prod"})
    assert got == {("read", "s3://b/lake/raw/orders/"), ("read", "s3://b/lake/raw/customers/"),
                   ("write", "s3://b/lake/curated/daily_prod/")}


def test_argparse_and_sys_argv_index():
    got = ops("""
import argparse, sys
import boto3
p = argparse.ArgumentParser()
p.add_argument("--source-bucket")
p.add_argument("--dest", default="s3://fallback/x/")
a, _ = p.parse_known_args()
s3 = boto3.client("s3")
s3.get_object(Bucket=a.source_bucket, Key="conf/settings.json")
key = sys.argv[sys.argv.index("--out_key") + 1]
s3.put_object(Bucket="reports", Key=key, Body=b"")
""", {"--source-bucket": "cfg", "--out_key": "daily/r.csv"})
    assert got == {("read", "s3://cfg/conf/settings.json"), ("write", "s3://reports/daily/r.csv")}


def test_boto3_listing_copy_delete_and_resource_api():
    got = ops("""
import boto3
s3 = boto3.client("s3")
res = boto3.resource("s3")
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="land", Prefix="in/"):
    for obj in page.get("Contents", []):
        s3.copy_object(Bucket="arch", Key="old/" + obj["Key"], CopySource={"Bucket": "land", "Key": obj["Key"]})
        s3.delete_object(Bucket="land", Key=obj["Key"])
res.Bucket("land").objects.filter(Prefix="tmp/").delete()
res.Object("cfg", "a.json").get()
res.Bucket("out").upload_file("/tmp/x", "exports/x.csv")
""")
    assert got == {("list", "s3://land/in/"), ("write", "s3://arch/old/in/"), ("read", "s3://land/in/"),
                   ("delete", "s3://land/in/"), ("list", "s3://land/tmp/"), ("delete", "s3://land/tmp/"),
                   ("read", "s3://cfg/a.json"), ("write", "s3://out/exports/x.csv")}


def test_helper_function_each_call_its_own_path_and_shipped_module():
    lib = """
import os
def path(bucket, *parts):
    return "s3://" + os.path.join(bucket, *parts) + "/"
def load(spark, p):
    return spark.read.json(p)
def save(df, p):
    df.write.mode("append").parquet(p)
"""
    got = ops(GLUE_HEAD + """
from helpers import load, path, save
args = getResolvedOptions(sys.argv, ["B"])
save(load(spark, path(args["B"], "in")), path(args["B"], "out", "x"))
""", {"--B": "bk"}, modules={"helpers": lib})
    assert got == {("read", "s3://bk/in/"), ("write", "s3://bk/out/x/")}


def test_spark_sql_tables_temp_views_and_catalog_writes():
    got = ops(GLUE_HEAD + """
spark.read.parquet("s3://b/x/").createOrReplaceTempView("staged")
spark.sql("INSERT OVERWRITE TABLE mart.daily SELECT * FROM staged JOIN dims.calendar c ON 1=1")
spark.table("dims.stores")
spark.range(1).write.mode("append").saveAsTable("mart.events")
glueContext.purge_s3_path("s3://b/tmp/", {"retentionPeriod": 0})
""")
    assert got == {("read", "s3://b/x/"), ("catalog_read", "dims.calendar"), ("catalog_write", "mart.daily"),
                   ("catalog_delete", "mart.daily"), ("catalog_read", "dims.stores"),
                   ("catalog_write", "mart.events"), ("delete", "s3://b/tmp/"), ("list", "s3://b/tmp/")}


def test_sql_tables_ignores_ctes():
    reads, writes, overwrite, _ = sql_tables("WITH t AS (SELECT * FROM a.x) INSERT INTO b.y SELECT * FROM t")
    assert reads == ["a.x"] and writes == ["b.y"] and not overwrite


def test_dynamic_path_is_unknown_never_guessed():
    got = ops(GLUE_HEAD + """
import json
cfg = json.loads(open("config.json").read())
spark.read.parquet(cfg["input"])
""")
    (kind, target), = got
    assert kind == "read" and target.startswith("?")


def test_missing_argument_is_flagged_as_such():
    path = Path("job.py")
    an = analyze(path, ast.parse(GLUE_HEAD + "args = getResolvedOptions(sys.argv, ['out'])\n"
                                 "spark.range(1).write.parquet(args['out'])\n"), {}, {})
    (op,) = an.ops
    assert isinstance(op.target, Unknown) and op.target.missing_arg == "--out"


def test_declarations_are_validated(tmp_path: Path):
    from lakegate.errors import LakegateError
    from tf_checks.scripts import load_declarations
    cfg = tmp_path / "lakegate.toml"
    cfg.write_text('[gate.jobs."etl-*"]\nreads = ["s3://b/in/", "db.t"]\nwrites = ["s3://b/out/"]\n')
    (d,) = load_declarations(cfg)
    assert d.pattern == "etl-*" and d.reads == ("s3://b/in/", "db.t")
    cfg.write_text('[gate.jobs."etl-*"]\nreads = ["b/in"]\n')
    with pytest.raises(LakegateError):
        load_declarations(cfg)
    cfg.write_text('[gate.jobs."etl-*"]\nread = ["s3://b/in/"]\n')
    with pytest.raises(LakegateError):
        load_declarations(cfg)


def test_glue_libraries_per_version():
    from tf_checks.scripts.libraries import additional_modules, provided_modules
    assert "pandas" in provided_modules("4.0", "glueetl") and "awswrangler" in provided_modules("4.0", None)
    assert "awswrangler" not in provided_modules("2.0", "glueetl")
    assert "sklearn" in provided_modules("3.0", "glueetl")
    assert additional_modules({"--additional-python-modules": "openpyxl==3.1.2, scikit-learn>=1, "
                               "s3://b/wheels/great_expectations-0.18.0-py3-none-any.whl"}) == \
        ["openpyxl", "sklearn", "great_expectations"]


def test_io_inside_class_methods_of_the_script_and_of_a_shipped_module_is_seen():
    """A method reached only through an attribute call (``loader.load()``, ``Sink().save()``) is
    code that runs: its reads and writes count, whether the class is in the script or in a
    shipped module, and a method name shared by two classes brings in both bodies."""
    got = ops(GLUE_HEAD + """
from helpers import Sink

RAW = "s3://raw/orders/"


class Loader:
    def load(self):
        return spark.read.parquet(RAW)

    def save(self, df):
        df.write.mode("append").parquet("s3://cur/orders-copy/")


class Other:
    def save(self, df):
        df.write.mode("append").json("s3://cur/other/")


loader = Loader()
df = loader.load()
Sink().publish(df)
loader.save(df)
""", modules={"helpers": """
class Sink:
    def publish(self, df):
        df.write.mode("overwrite").parquet("s3://cur/orders/")
"""})
    assert ("read", "s3://raw/orders/") in got
    assert ("write", "s3://cur/orders/") in got and ("delete", "s3://cur/orders/") in got
    assert ("write", "s3://cur/orders-copy/") in got
    assert ("write", "s3://cur/other/") in got   # `.save` may be Other.save: both bodies count


@pytest.mark.parametrize("body, target", [
    # a module-level lambda has no name of its own: it was never followed (session 6)
    ('save = lambda df: df.write.mode("append").parquet("s3://cur/lam/")\nsave(df)\n', "s3://cur/lam/"),
    ('if True:\n    def save(df):\n        df.write.mode("append").parquet("s3://cur/ifdef/")\nsave(df)\n',
     "s3://cur/ifdef/"),
    ('import functools\ndef logged(fn):\n    @functools.wraps(fn)\n    def inner(*a, **k):\n'
     '        return fn(*a, **k)\n    return inner\n@logged\ndef save(df):\n'
     '    df.write.mode("append").parquet("s3://cur/deco/")\nsave(df)\n', "s3://cur/deco/"),
    ('def to_parquet(df):\n    df.write.mode("append").parquet("s3://cur/disp/")\n'
     'WRITERS = {"parquet": to_parquet}\nWRITERS["parquet"](df)\n', "s3://cur/disp/"),
    ('class Base:\n    def save(self, df):\n        df.write.mode("append").parquet("s3://cur/base/")\n'
     'class Child(Base):\n    def save(self, df):\n        super().save(df)\nChild().save(df)\n', "s3://cur/base/"),
    ('def main(df):\n    df.write.mode("append").parquet("s3://cur/main/")\n'
     'if __name__ == "__main__":\n    main(df)\n', "s3://cur/main/"),
], ids=["module-lambda", "def-in-if", "decorated", "dispatch-dict", "super", "main-guard"])
def test_code_reached_in_the_ways_glue_scripts_call_it(body, target):
    """Writes in code the script reaches through a lambda, a conditional def, a decorator, a
    dispatch table, ``super()`` or a ``__main__`` guard are the job's writes too."""
    got = ops(GLUE_HEAD + 'df = spark.read.parquet("s3://raw/in/")\n' + body)
    assert ("write", target) in got, got

"""The shared driver of the lakegate Glue jobs: parse the job's SQL header, read, run, write.

Every job script (silver_consolidation.py, gold_car_current_state.py, gold_performance_alerts.py)
is `from lakegate_glue_job import run; run(<the arguments it reads>)`. Why one module: the driver
is the same for every job -- only the SQL file (--sql_path) and the argument list differ -- and
three copies drift. Glue ships it the standard way: Terraform uploads this file next to the
scripts (s3://<glue-scripts>/jobs/lakegate_glue_job.py) and passes it to each job as
--extra-py-files, which puts it on the job's Python path (the job role needs s3:GetObject on it).

The transformation is the Spark SQL file passed as --sql_path; its "-- lakegate:" header says
what to read and write. The same SQL runs locally through lakegate.sqlrun (sqlglot -> DuckDB).
Arguments read here are all in the job's default_arguments (docs/DESIGN.md, "Job arguments");
JOB_NAME is passed by Glue itself. The gate (tf_checks, LG-CONS-004) reads the argument list
from the script's run(...) call through getResolvedOptions below, so keep that call literal:
getResolvedOptions(sys.argv, ["JOB_NAME"] + list(arg_names)).
"""

import re
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql.utils import AnalysisException

HEADER_PREFIX = "-- lakegate:"
_ARG_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PARAM_RE = re.compile(r"\$\{([^}]*)\}")
_NUMBER_RE = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")


class HeaderError(Exception):
    """The SQL header is malformed (same rules as lakegate.sqlrun.parse_job_sql)."""


def parse_header(text, source):
    """Parse the '-- lakegate:' header; return (inputs, output, params, body).

    A small self-contained copy of lakegate.sqlrun's parser: Glue cannot import lakegate
    (tests/jobs checks that the two agree).
    inputs: list of dicts (name, kind, database, table, path, incremental, optional, format)
    output: dict (path, format, partition_by, mode); params: list of dicts (name, type, default).
    """
    inputs, outputs, params = [], [], []
    lines = text.splitlines()
    body_start = len(lines)
    for idx, raw in enumerate(lines):
        line = raw.strip()
        where = "%s:%d" % (source, idx + 1)
        if line.startswith(HEADER_PREFIX):
            words = line[len(HEADER_PREFIX):].split()
            if not words:
                raise HeaderError("%s: empty lakegate directive" % where)
            kind, tokens = words[0], words[1:]
            opts = dict(t.split("=", 1) for t in tokens if "=" in t)
            flags = set(t for t in tokens if "=" not in t)
            if kind == "input":
                if not tokens:
                    raise HeaderError("%s: input without a name" % where)
                name = tokens[0]
                flags.discard(name)
                if ("catalog" in opts) == ("path" in opts):
                    raise HeaderError("%s: input %s needs one of catalog= or path=" % (where, name))
                if "catalog" in opts:
                    db, _, table = opts["catalog"].partition(".")
                    if not db or not table or "." in table:
                        raise HeaderError("%s: catalog value is not DB.TABLE" % where)
                    inputs.append({"name": name, "kind": "catalog", "database": db, "table": table,
                                   "path": None, "incremental": "incremental" in flags,
                                   "optional": False, "format": None})
                else:
                    if opts.get("format") != "parquet":
                        raise HeaderError("%s: path input %s needs format=parquet" % (where, name))
                    inputs.append({"name": name, "kind": "path", "database": None, "table": None,
                                   "path": opts["path"], "incremental": False,
                                   "optional": "optional" in flags, "format": "parquet"})
            elif kind == "output":
                mode = opts.get("mode")
                if "path" not in opts or opts.get("format") != "parquet" or mode not in (
                        "overwrite", "overwrite_partitions", "append"):
                    raise HeaderError("%s: output needs path=, format=parquet and a valid mode=" % where)
                parts = [p for p in opts.get("partition_by", "").split(",") if p]
                if mode == "overwrite_partitions" and not parts:
                    raise HeaderError("%s: mode=overwrite_partitions needs partition_by=" % where)
                outputs.append({"path": opts["path"], "format": "parquet", "partition_by": parts,
                                "mode": mode})
            elif kind == "param":
                if len(tokens) < 2 or tokens[1] not in ("number", "string"):
                    raise HeaderError("%s: param needs NAME number|string" % where)
                params.append({"name": tokens[0], "type": tokens[1], "default": opts.get("default")})
            else:
                raise HeaderError("%s: unknown lakegate directive %r" % (where, kind))
        elif line == "" or line.startswith("--"):
            continue
        else:
            body_start = idx
            break
    if not inputs or len(outputs) != 1:
        raise HeaderError("%s: needs at least one input and exactly one output" % source)
    body = "\n".join(lines[body_start:]).strip()
    return inputs, outputs[0], params, body


def resolve_header(inputs, output, params, body, args):
    """Fill {arg} in inputs/output and ${param} in the body from the job arguments."""
    def fill(value):
        if value is None:
            return None

        def sub(match):
            if match.group(1) not in args:
                raise HeaderError("job argument --%s is not set" % match.group(1))
            return args[match.group(1)]
        return _ARG_RE.sub(sub, value)

    inputs = [dict(i, database=fill(i["database"]), table=fill(i["table"]), path=fill(i["path"]))
              for i in inputs]
    output = dict(output, path=fill(output["path"]))
    values = {}
    for p in params:
        value = args.get(p["name"], p["default"])
        if value is None:
            raise HeaderError("param %s has no argument and no default" % p["name"])
        if p["type"] == "number" and not _NUMBER_RE.match(value.strip()):
            raise HeaderError("param %s must be a number, got %r" % (p["name"], value))
        if p["type"] == "string" and ("'" in value or "\\" in value):
            raise HeaderError("string param %s contains a quote or backslash" % p["name"])
        values[p["name"]] = value.strip()

    def param_sub(match):
        if match.group(1) not in values:
            raise HeaderError("${%s} used but not declared" % match.group(1))
        return values[match.group(1)]
    return inputs, output, _PARAM_RE.sub(param_sub, body)


def drop_optional_branch(body, name):
    """The body without 'UNION ALL SELECT * FROM <name>' (to learn the output schema)."""
    pattern = re.compile(r"\s+UNION\s+ALL\s+SELECT\s+\*\s+FROM\s+" + re.escape(name) + r"\b",
                         re.IGNORECASE)
    pruned, count = pattern.subn("", body)
    if count != 1:
        raise HeaderError("optional input %s must be read as 'UNION ALL SELECT * FROM %s'" % (name, name))
    return pruned


def read_s3_text(url):
    """The text of s3://bucket/key (the job's SQL file)."""
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise HeaderError("--sql_path must be s3://bucket/key, got %r" % url)
    bucket, key = url[5:].split("/", 1)
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def run(arg_names):
    """Run the job whose transformation is the SQL file at --sql_path.

    arg_names: the job arguments the calling script reads (besides JOB_NAME, which Glue passes);
    every one must be in the job's default_arguments, or getResolvedOptions fails the run.
    """
    args = getResolvedOptions(sys.argv, ["JOB_NAME"] + list(arg_names))
    sc = SparkContext.getOrCreate()
    glue_context = GlueContext(sc)
    spark = glue_context.spark_session
    logger = glue_context.get_logger()
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    # Partition folders like event_month=01 stay strings ("01"), as the SQL produces them.
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")

    inputs, output, params, body = parse_header(read_s3_text(args["sql_path"]), args["sql_path"])
    inputs, output, body = resolve_header(inputs, output, params, body, args)

    missing_optional = []
    reads_output_path = False
    for item in inputs:
        if item["kind"] == "catalog":
            frame = glue_context.create_dynamic_frame.from_catalog(
                database=item["database"], table_name=item["table"],
                transformation_ctx=item["name"])
            df = frame.toDF()
            if item["incremental"] and len(df.head(1)) == 0:
                logger.info("lakegate: no new data in %s.%s (input %s); nothing to do"
                            % (item["database"], item["table"], item["name"]))
                print("lakegate: empty input batch %s, committing and exiting" % item["name"])
                job.commit()
                return
            df.createOrReplaceTempView(item["name"])
        else:
            try:
                df = spark.read.parquet(item["path"])
            except AnalysisException as exc:
                absent = ("Path does not exist" in str(exc)
                          or "Unable to infer schema" in str(exc))
                if not (item["optional"] and absent):
                    raise
                missing_optional.append(item["name"])
                logger.info("lakegate: optional input %s has no files at %s"
                            % (item["name"], item["path"]))
                continue
            df.createOrReplaceTempView(item["name"])
            if item["path"].rstrip("/") == output["path"].rstrip("/"):
                reads_output_path = True

    pruned = body
    for name in missing_optional:
        pruned = drop_optional_branch(pruned, name)
    for name in missing_optional:
        spark.sql(pruned).limit(0).createOrReplaceTempView(name)

    result = spark.sql(body)
    if reads_output_path:
        # Spark refuses to overwrite a path the plan still reads: materialise first.
        result = result.localCheckpoint(eager=True)

    writer = result.write.format("parquet")
    if output["partition_by"]:
        writer = writer.partitionBy(*output["partition_by"])
    if output["mode"] == "overwrite_partitions":
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
        writer = writer.mode("overwrite")
    elif output["mode"] == "overwrite":
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "static")
        writer = writer.mode("overwrite")
    else:
        writer = writer.mode("append")
    writer.save(output["path"])
    logger.info("lakegate: wrote %s (mode %s)" % (output["path"], output["mode"]))
    job.commit()

import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, Filter
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_database", "source_table", "target_path"])

sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

readings = glueContext.create_dynamic_frame.from_catalog(
    database=args["source_database"],
    table_name=args["source_table"],
    transformation_ctx="readings_source",
)

mapped = ApplyMapping.apply(
    frame=readings,
    mappings=[
        ("sensor_id", "string", "sensor_id", "string"),
        ("reading", "string", "reading", "double"),
        ("unit", "string", "unit", "string"),
        ("dt", "string", "dt", "string"),
    ],
    transformation_ctx="mapped",
)
valid = Filter.apply(frame=mapped, f=lambda r: r["reading"] is not None and r["reading"] >= 0)

glueContext.write_dynamic_frame.from_options(
    frame=valid,
    connection_type="s3",
    connection_options={"path": args["target_path"], "partitionKeys": ["dt"]},
    format="glueparquet",
    format_options={"compression": "snappy"},
    transformation_ctx="sink",
)
job.commit()

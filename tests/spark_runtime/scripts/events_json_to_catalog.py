"""Click events (JSON lines, catalog table made by a crawler) -> the curated Parquet table declared
in Terraform, written with write_dynamic_frame.from_catalog (partitions added to the catalog).
Bookmarked: a run without new files writes nothing and succeeds (DropNullFields then leaves a
frame without columns)."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropNullFields
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "raw_db", "raw_table", "curated_db", "curated_table"])

glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

events = glueContext.create_dynamic_frame.from_catalog(
    database=args["raw_db"], table_name=args["raw_table"], transformation_ctx="events")

curated = ApplyMapping.apply(frame=events, mappings=[
    ("event_id", "string", "event_id", "string"),
    ("user.id", "string", "user_id", "string"),
    ("user.plan", "string", "plan", "string"),
    ("duration_ms", "long", "duration_ms", "long"),
    ("day", "string", "day", "string"),
])

glueContext.write_dynamic_frame.from_catalog(
    frame=DropNullFields.apply(frame=curated), database=args["curated_db"], table_name=args["curated_table"],
    additional_options={"enableUpdateCatalog": True, "partitionKeys": ["day"]},
    transformation_ctx="curated_sink")
job.commit()

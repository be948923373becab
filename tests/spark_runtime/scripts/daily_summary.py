"""Reads the curated table another job registered in the catalog; daily stats per sensor."""
import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "table", "output_path"])
sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

curated = glueContext.create_dynamic_frame.from_catalog(database=args["database"], table_name=args["table"])
df = curated.toDF()
summary = (df.groupBy("sensor_id", "dt")
           .agg(F.count("*").alias("readings"), F.round(F.avg("reading"), 3).alias("avg_reading"),
                F.max("reading").alias("max_reading")))

glueContext.write_dynamic_frame.from_options(
    frame=DynamicFrame.fromDF(summary, glueContext, "summary"),
    connection_type="s3",
    connection_options={"path": args["output_path"]},
    format="csv",
)
job.commit()

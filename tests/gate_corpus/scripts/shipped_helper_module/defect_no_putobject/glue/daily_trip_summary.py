import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

from etl_common import read_raw, s3_path, write_partitioned

args = getResolvedOptions(sys.argv, ["JOB_NAME", "DATA_BUCKET", "RUN_DATE"])
glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

trips = read_raw(spark, s3_path(args["DATA_BUCKET"], "trips"))
summary = (
    trips.groupBy("vehicle_id", F.to_date("started_at").alias("trip_date"))
    .agg(F.count("*").alias("trips"), F.sum("distance_km").alias("distance_km"))
)
write_partitioned(summary, s3_path(args["DATA_BUCKET"], "summaries", "daily"), "trip_date")
job.commit()

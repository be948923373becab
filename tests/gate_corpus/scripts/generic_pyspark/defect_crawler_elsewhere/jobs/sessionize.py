"""Sessionize raw click events: 30 minutes of inactivity closes a session."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F
from pyspark.sql.window import Window

SESSION_GAP_SECONDS = 30 * 60

args = getResolvedOptions(sys.argv, ["JOB_NAME", "input_path", "output_path"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

events = spark.read.parquet(args["input_path"])

w = Window.partitionBy("user_id").orderBy("event_ts")
sessions = (
    events.withColumn("prev_ts", F.lag("event_ts").over(w))
    .withColumn("new_session",
                (F.col("event_ts").cast("long") - F.col("prev_ts").cast("long") > SESSION_GAP_SECONDS)
                | F.col("prev_ts").isNull())
    .withColumn("session_seq", F.sum(F.col("new_session").cast("int")).over(w))
    .withColumn("event_date", F.to_date("event_ts"))
)

(
    sessions.write.mode("overwrite")
    .partitionBy("event_date")
    .parquet(args["output_path"])
)

job.commit()

import sys

from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "INPUT_URI", "OUTPUT_URI"])

spark = SparkSession.builder.appName(args["JOB_NAME"]).getOrCreate()

raw = spark.read.json(args["INPUT_URI"])

summary = (
    raw.groupBy("channel", F.to_date("ordered_at").alias("day"))
    .agg(F.count("*").alias("orders"), F.round(F.sum("amount"), 2).alias("amount"))
)

summary.write.mode("overwrite").partitionBy("channel").parquet(args["OUTPUT_URI"])

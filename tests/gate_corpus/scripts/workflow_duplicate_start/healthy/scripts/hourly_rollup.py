import sys

from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["src", "dst"])
spark = SparkSession.builder.getOrCreate()

staged = spark.read.parquet(args["src"])
hourly = staged.groupBy("device_id", F.date_trunc("hour", "ts").alias("hour")).agg(
    F.avg("value").alias("avg_value"), F.max("value").alias("max_value"))
hourly.write.mode("overwrite").parquet(args["dst"])

import sys

from awsglue.utils import getResolvedOptions
from pyspark.sql import SparkSession

args = getResolvedOptions(sys.argv, ["src", "dst"])
spark = SparkSession.builder.getOrCreate()

readings = spark.read.json(args["src"])
readings.dropna(subset=["device_id", "ts"]).write.mode("append").parquet(args["dst"])

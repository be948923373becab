import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "DATABASE", "TABLE", "MIN_ORDER_VALUE", "OUTPUT_URI"])
min_value = float(args["MIN_ORDER_VALUE"])

glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

orders = glueContext.create_dynamic_frame.from_catalog(database=args["DATABASE"], table_name=args["TABLE"]).toDF()

revenue = (
    orders.where(F.col("amount") >= min_value)
    .groupBy("order_date", "country")
    .agg(F.count("order_id").alias("orders"), F.round(F.sum("amount"), 2).alias("revenue"))
)

revenue.coalesce(1).write.mode("overwrite").parquet(args["OUTPUT_URI"])
job.commit()

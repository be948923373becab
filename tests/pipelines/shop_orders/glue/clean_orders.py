import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropNullFields
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "SOURCE_DATABASE", "SOURCE_TABLE", "TARGET_URI"])

sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

orders = glueContext.create_dynamic_frame.from_catalog(
    database=args["SOURCE_DATABASE"],
    table_name=args["SOURCE_TABLE"],
    transformation_ctx="raw_orders_source",
)

mapped = ApplyMapping.apply(
    frame=orders,
    mappings=[
        ("order_id", "string", "order_id", "string"),
        ("customer.id", "string", "customer_id", "string"),
        ("customer.country", "string", "country", "string"),
        ("channel", "string", "channel", "string"),
        ("amount", "double", "amount", "double"),
        ("ordered_at", "string", "ordered_at", "string"),
    ],
    transformation_ctx="map_orders",
)

df = mapped.toDF()
df = (
    df.filter(F.col("order_id").isNotNull())
    .withColumn("order_date", F.to_date(F.col("ordered_at")).cast("string"))
    .dropDuplicates(["order_id"])
)

glueContext.write_dynamic_frame.from_options(
    frame=DropNullFields.apply(frame=DynamicFrame.fromDF(df, glueContext, "clean_orders")),
    connection_type="s3",
    connection_options={"path": args["TARGET_URI"], "partitionKeys": ["order_date"]},
    format="parquet",
    transformation_ctx="curated_orders_sink",
)

job.commit()

"""Generic Glue ETL job: read Parquet from --input_path, append it to --output_path."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "input_path", "output_path"])

sc = SparkContext()
glue_context = GlueContext(sc)
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

df = spark.read.parquet(args["input_path"])
df.write.mode("append").parquet(args["output_path"])

job.commit()

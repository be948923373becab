import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql.functions import current_date, input_file_name

args = getResolvedOptions(sys.argv, ["JOB_NAME", "landing_bucket", "dataset", "bronze_prefix"])

glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

source = f"s3://{args['landing_bucket']}/landing/{args['dataset']}/"
target = "s3://" + args["landing_bucket"] + "/" + args["bronze_prefix"]

df = (
    spark.read.option("header", "true")
    .option("inferSchema", "true")
    .csv(source)
    .withColumn("source_file", input_file_name())
    .withColumn("load_date", current_date())
)
df.write.mode("append").partitionBy("load_date").parquet(target)

job.commit()

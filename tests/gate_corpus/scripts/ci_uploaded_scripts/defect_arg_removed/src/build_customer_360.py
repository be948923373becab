import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "catalog_db", "output_path"])
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

db = args["catalog_db"]
QUERY = """
SELECT c.customer_id,
       c.segment,
       COUNT(t.amount)            AS transactions,
       COALESCE(SUM(t.amount), 0) AS lifetime_value
FROM {db}.customers c
LEFT JOIN {db}.transactions t ON t.customer_id = c.customer_id
GROUP BY c.customer_id, c.segment
"""

customer_360 = spark.sql(QUERY.format(db=db))
customer_360.write.mode("overwrite").parquet(args["output_path"])

job.commit()

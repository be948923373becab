import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, DropNullFields
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

## @params: [JOB_NAME, source_db, source_tbl, target]
args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_db", "source_tbl", "target"])

sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

datasource0 = glueContext.create_dynamic_frame.from_catalog(
    database=args["source_db"],
    table_name=args["source_tbl"],
    transformation_ctx="datasource0",
)

applymapping1 = ApplyMapping.apply(
    frame=datasource0,
    mappings=[
        ("order_id", "string", "order_id", "string"),
        ("customer_id", "string", "customer_id", "string"),
        ("amount", "double", "amount", "double"),
        ("order_date", "string", "order_date", "date"),
    ],
    transformation_ctx="applymapping1",
)
dropnullfields2 = DropNullFields.apply(frame=applymapping1, transformation_ctx="dropnullfields2")

datasink3 = glueContext.write_dynamic_frame.from_options(
    frame=dropnullfields2,
    connection_type="s3",
    connection_options={"path": args["target"]},
    format="parquet",
    transformation_ctx="datasink3",
)
job.commit()

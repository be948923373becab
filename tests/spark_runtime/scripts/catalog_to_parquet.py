"""Raw sensor readings (CSV, catalog table) -> curated Parquet partitioned by day, registered in
the catalog. Bookmarked: a rerun only processes new files. Glue Studio style."""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import ApplyMapping, Filter
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_database", "source_table",
                                     "target_database", "target_table", "target_path"])

sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

# Script generated for node Raw readings
RawReadings_node1 = glueContext.create_dynamic_frame.from_catalog(
    database=args["source_database"],
    table_name=args["source_table"],
    transformation_ctx="RawReadings_node1",
)

# Script generated for node Change Schema
ChangeSchema_node2 = ApplyMapping.apply(
    frame=RawReadings_node1,
    mappings=[
        ("sensor_id", "string", "sensor_id", "string"),
        ("reading", "string", "reading", "double"),
        ("unit", "string", "unit", "string"),
        ("dt", "string", "dt", "string"),
    ],
    transformation_ctx="ChangeSchema_node2",
)

# Script generated for node Valid readings
ValidReadings_node3 = Filter.apply(
    frame=ChangeSchema_node2,
    f=lambda row: row["reading"] is not None and row["reading"] >= 0,
    transformation_ctx="ValidReadings_node3",
)

# Script generated for node Curated
Curated_node4 = glueContext.getSink(
    path=args["target_path"],
    connection_type="s3",
    updateBehavior="UPDATE_IN_DATABASE",
    partitionKeys=["dt"],
    enableUpdateCatalog=True,
    transformation_ctx="Curated_node4",
)
Curated_node4.setCatalogInfo(catalogDatabase=args["target_database"], catalogTableName=args["target_table"])
Curated_node4.setFormat("glueparquet", compression="snappy")
Curated_node4.writeFrame(ValidReadings_node3)
job.commit()

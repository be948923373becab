"""Selects a column the catalog table does not have: fails with Spark's AnalysisException."""
import sys

from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "table", "output_path"])
glueContext = GlueContext(SparkContext.getOrCreate())

readings = glueContext.create_dynamic_frame.from_catalog(database=args["database"], table_name=args["table"])
hot = readings.toDF().select("sensor_id", "temperature_celsius").where("temperature_celsius > 90")
hot.write.mode("append").parquet(args["output_path"])

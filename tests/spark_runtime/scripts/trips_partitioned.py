"""Plain Spark in a Glue job: trips (CSV with header) joined with zones (JSON lines), written
as Parquet partitioned by pickup date."""
import sys

from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "trips_path", "zones_path", "output_path"])
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session

trips = (spark.read.option("header", "true").option("inferSchema", "true")
         .csv(args["trips_path"]))
zones = spark.read.json(args["zones_path"])

enriched = (trips.join(zones, trips.pickup_zone == zones.zone_id, "left")
            .withColumn("pickup_date", F.to_date("pickup_ts"))
            .withColumn("fare_per_km", F.round(F.col("fare") / F.col("distance_km"), 2))
            .select("trip_id", "pickup_ts", "borough", "distance_km", "fare", "fare_per_km", "pickup_date"))

(enriched.write.mode("overwrite")
 .partitionBy("pickup_date")
 .parquet(args["output_path"]))

"""Helpers shared by the fleet telemetry Glue jobs (shipped with --extra-py-files)."""
import os

from pyspark.sql import DataFrame, SparkSession

RAW_FORMAT = "json"


def s3_path(bucket, *parts):
    return "s3://" + os.path.join(bucket, *parts) + "/"


def read_raw(spark: SparkSession, path: str) -> DataFrame:
    return spark.read.format(RAW_FORMAT).option("multiLine", "false").load(path)


def write_partitioned(df: DataFrame, path: str, *partition_cols: str) -> None:
    (df.write
       .mode("overwrite")
       .option("partitionOverwriteMode", "dynamic")
       .partitionBy(*partition_cols)
       .parquet(path))

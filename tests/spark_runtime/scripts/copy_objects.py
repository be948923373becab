"""A Spark-less Glue job that moves the day's landing files to the archive with boto3."""
import sys

import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_bucket", "source_prefix", "target_bucket", "target_prefix"])
s3 = boto3.client("s3")
copied = 0
paginator = s3.get_paginator("list_objects_v2")
for page in paginator.paginate(Bucket=args["source_bucket"], Prefix=args["source_prefix"]):
    for obj in page.get("Contents", []):
        key = obj["Key"]
        target = args["target_prefix"] + key[len(args["source_prefix"]):]
        s3.copy_object(Bucket=args["target_bucket"], Key=target,
                       CopySource={"Bucket": args["source_bucket"], "Key": key})
        copied += 1
print(f"copied {copied} objects")

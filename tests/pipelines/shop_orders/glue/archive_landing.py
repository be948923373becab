"""Python shell job: copy the landed order files to the lake's archive prefix."""
import sys

import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["SOURCE_BUCKET", "SOURCE_PREFIX", "TARGET_BUCKET", "TARGET_PREFIX"])

s3 = boto3.client("s3")
copied = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args["SOURCE_BUCKET"], Prefix=args["SOURCE_PREFIX"]):
    for obj in page.get("Contents", []):
        key = obj["Key"]
        s3.copy_object(
            Bucket=args["TARGET_BUCKET"],
            Key=args["TARGET_PREFIX"] + key[len(args["SOURCE_PREFIX"]):],
            CopySource={"Bucket": args["SOURCE_BUCKET"], "Key": key},
        )
        copied += 1

print(f"archived {copied} objects")

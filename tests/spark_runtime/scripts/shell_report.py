"""Python shell job: counts the catalog partitions of a table and writes a small JSON report;
formats it with a helper from --additional-python-modules."""
import json
import sys

import boto3
from awsglue.utils import getResolvedOptions

import reportfmt  # installed from --additional-python-modules

args = getResolvedOptions(sys.argv, ["database", "table", "report_bucket", "report_key"])
glue = boto3.client("glue")
partitions = []
for page in glue.get_paginator("get_partitions").paginate(DatabaseName=args["database"], TableName=args["table"]):
    partitions.extend(p["Values"] for p in page["Partitions"])
report = {"table": f"{args['database']}.{args['table']}", "partitions": sorted(partitions),
          "title": reportfmt.title(args["table"])}
boto3.client("s3").put_object(Bucket=args["report_bucket"], Key=args["report_key"], Body=json.dumps(report).encode())
print(json.dumps(report))

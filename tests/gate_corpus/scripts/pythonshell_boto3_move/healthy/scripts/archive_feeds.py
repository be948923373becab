"""Move processed partner feed files from the landing bucket into the archive bucket.

Glue Python shell job. Arguments: --source-bucket, --archive-bucket, --prefix.
"""
import argparse
import datetime
import logging

import boto3

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("archive_feeds")


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-bucket", required=True)
    parser.add_argument("--archive-bucket", required=True)
    parser.add_argument("--prefix", default="incoming/")
    known, _unknown = parser.parse_known_args()  # Glue adds --job-bookmark-option etc.
    return known


def main():
    args = parse_args()
    s3 = boto3.client("s3")
    today = datetime.date.today().isoformat()
    moved = 0
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=args.source_bucket, Prefix=args.prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/"):
                continue
            s3.copy_object(
                Bucket=args.archive_bucket,
                Key=f"{today}/{key}",
                CopySource={"Bucket": args.source_bucket, "Key": key},
            )
            s3.delete_object(Bucket=args.source_bucket, Key=key)
            moved += 1
    log.info("moved %d objects", moved)


if __name__ == "__main__":
    main()

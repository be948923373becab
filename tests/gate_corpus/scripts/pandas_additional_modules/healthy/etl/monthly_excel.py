"""Turn the month's CSV export into an Excel workbook for the finance team (pandas + openpyxl)."""
import io
import sys

import boto3
import openpyxl  # noqa: F401  (pandas' Excel engine; installed with --additional-python-modules)
import pandas as pd
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["reports_bucket"])
bucket = args["reports_bucket"]
s3 = boto3.client("s3")

obj = s3.get_object(Bucket=bucket, Key="exports/ledger_latest.csv")
ledger = pd.read_csv(io.BytesIO(obj["Body"].read()))
summary = ledger.groupby("account", as_index=False)["amount"].sum()

out = io.BytesIO()
with pd.ExcelWriter(out, engine="openpyxl") as writer:
    summary.to_excel(writer, sheet_name="summary", index=False)
    ledger.to_excel(writer, sheet_name="ledger", index=False)
s3.put_object(Bucket=bucket, Key="monthly/ledger_summary.xlsx", Body=out.getvalue())

#!/usr/bin/env python3
"""Generate tf_checks/data/aws_managed_policies.json.gz from moto's shipped AWS managed policies.

Why a snapshot: the gate must evaluate roles that attach AWS managed policies (e.g.
``service-role/AWSGlueServiceRole``) without network access and without importing moto at run
time. moto ships the documents (moto/iam/aws_managed_policies.py, imported from AWS by moto's
``make aws_managed_policies``); this script keeps the data-lake relevant ones (Glue, S3,
CloudWatch/Logs, Athena, Lake Formation, KMS) plus the broad job-function policies, and writes a
small, deterministic gzip (mtime 0, sorted keys) so re-running it gives a byte-identical file.

Usage: .venv/bin/python tools/gen_managed_policies.py [--all] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from pathlib import Path

KEEP = re.compile(r"glue|s3|athena|cloudwatch|logs|lakeformation|kms|quicksight", re.I)
KEEP_EXACT = {"AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "ViewOnlyAccess",
              "IAMFullAccess", "IAMReadOnlyAccess", "DataScientist", "DatabaseAdministrator"}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tf_checks" / "data" / \
    "aws_managed_policies.json.gz"


def build(keep_all: bool = False) -> dict:
    from moto import __version__ as moto_version
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    policies = {}
    for name, entry in sorted(data.items()):
        if not (keep_all or name in KEEP_EXACT or KEEP.search(name)):
            continue
        policies[name] = {
            "path": entry.get("Path", "/"),
            "version": entry.get("DefaultVersionId"),
            "document": entry["Document"],
        }
    return {"source": f"moto {moto_version} moto/iam/aws_managed_policies.py",
            "count": len(policies), "policies": policies}


def write(payload: dict, out: Path) -> int:
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="keep every managed policy (large)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    payload = build(args.all)
    size = write(payload, args.out)
    print(f"wrote {payload['count']} policies, {size} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

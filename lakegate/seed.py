"""Seed an environment's bronze path with generated test data, through boto3 (live or local).

Each upload appends an entry to a manifest object next to the data
(``s3://<bronze bucket>/_lakegate/seed-manifest.json``, outside the crawler's target) so the
scenarios know which alert types the data implies (runbook PASSO 8 / final validation) without
re-reading the data.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from lakegate import datagen
from lakegate.names import PipelineNames

MANIFEST_KEY = "_lakegate/seed-manifest.json"


@dataclass
class SeedResult:
    rows: int
    seed: int
    start_date: str
    days: int
    objects: list[str]
    expected_alerts: dict[str, int]
    uploaded_at: float


def _split(url: str) -> tuple[str, str]:
    rest = url[5:] if url.startswith("s3://") else url
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix


def read_manifest(clients: Any, names: PipelineNames) -> list[dict[str, Any]]:
    try:
        body = clients.s3.get_object(Bucket=names.bronze_bucket, Key=MANIFEST_KEY)["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            return []
        raise
    data = json.loads(body)
    return list(data.get("seeds", []))


def implied_alert_types(clients: Any, names: PipelineNames) -> set[str] | None:
    """Alert types the seeded data implies (None when nothing was seeded by lakegate)."""
    seeds = read_manifest(clients, names)
    if not seeds:
        return None
    return {t for s in seeds for t, n in s["expected_alerts"].items() if n > 0}


def upload_bronze(clients: Any, names: PipelineNames, *, rows: int = 2000, seed: int = 7,
                  start_date: str = "2025-10-29", days: int = 3) -> SeedResult:
    """Generate ``rows`` bronze records and upload them below the bronze data path."""
    bucket, prefix = _split(names.bronze_data_path)
    prefix = prefix.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="lakegate-seed-") as tmp:
        res = datagen.generate(tmp, rows, seed, start_date=start_date, days=days, overwrite=True)
        root = Path(tmp) / datagen.BRONZE_PREFIX
        keys = []
        for path in sorted(res.files):
            rel = path.relative_to(root).as_posix()
            # distinct object names per seed so a second upload adds files instead of replacing them
            rel = rel.replace("part-", f"part-s{seed}-")
            key = f"{prefix}/{rel}"
            clients.s3.upload_file(str(path), bucket, key)
            keys.append(key)
    result = SeedResult(rows=res.rows, seed=seed, start_date=str(start_date), days=days, objects=keys,
                        expected_alerts=dict(res.expected_alerts), uploaded_at=time.time())
    seeds = read_manifest(clients, names) + [asdict(result)]
    clients.s3.put_object(Bucket=names.bronze_bucket, Key=MANIFEST_KEY,
                          Body=json.dumps({"seeds": seeds}, indent=2).encode())
    return result


def upload_dir(clients: Any, names: PipelineNames, seed_dir: Path, suffix: str = "") -> list[str]:
    """Upload a user's hand-written seed files (``[environments.NAME] seed = "dir/"``) below the
    ingestion crawler's S3 target, keeping their layout (``dir/ingest_date=X/a.json`` ->
    ``<target>/ingest_date=X/a.json``; ``suffix`` goes before the extension: ``a-new1.json``, new
    data arriving). Returns the keys written."""
    from lakegate.errors import LakegateError

    root = Path(seed_dir)
    if not root.is_dir():
        raise LakegateError(f"the seed folder {root} does not exist", where="lakegate.toml seed",
                            fix="point seed at a folder of data files, relative to lakegate.toml")
    if not names.bronze_data_path:
        raise LakegateError("cannot tell where to seed: "
                            + (names.unknown("bronze_data_path") or "no ingestion crawler S3 target"),
                            where=f"workflow {names.workflow}",
                            fix="give the workflow's start trigger the ingestion crawler, or set the "
                                "bronze_data_path output")
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise LakegateError(f"the seed folder {root} holds no files", where="lakegate.toml seed",
                            fix="add the data files the ingestion crawler should find")
    bucket, prefix = _split(names.bronze_data_path)
    prefix = prefix.rstrip("/")
    keys = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        if suffix:
            stem, dot, ext = rel.rpartition(".")
            rel = f"{stem}{suffix}.{ext}" if dot and "/" not in ext else rel + suffix
        key = f"{prefix}/{rel}" if prefix else rel
        clients.s3.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys

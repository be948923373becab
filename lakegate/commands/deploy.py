"""``lakegate deploy --target local``: ``terraform apply`` of terraform/ into the running local AWS,
then generated bronze data uploaded to the bronze bucket Terraform created.

Everything goes through the public interfaces: the Terraform driver (provider endpoints pointed
at the local endpoint) and boto3 (``lakegate.localenv.client``); ``localaws`` is not imported.
The bucket and prefix come from the Terraform outputs ``bronze_bucket`` and ``bronze_data_path``
— never from hard-coded names. A summary is written next to the local state file
(``deploy.json``: outputs, uploaded keys, expected alerts) so later steps can read it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakegate import localenv
from lakegate.errors import LakegateError


@dataclass
class DeployResult:
    endpoint: str
    outputs: dict[str, Any]
    bronze_bucket: str | None = None
    bronze_prefix: str | None = None
    uploaded: list[str] = field(default_factory=list)
    rows: int = 0
    expected_alerts: dict[str, int] = field(default_factory=dict)
    apply_seconds: float = 0.0
    upload_seconds: float = 0.0


def _s3_url(url: Any, name: str) -> tuple[str, str]:
    if not isinstance(url, str) or not url.startswith("s3://"):
        raise LakegateError(f"Terraform output {name!r} is not an s3:// URL: {url!r}",
                            where="terraform/outputs.tf",
                            fix=f"make output {name!r} an s3://bucket/prefix/ URL")
    bucket, _, prefix = url[5:].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def upload_bronze(state: localenv.LocalState, outputs: dict[str, Any], rows: int, seed: int,
                  s3: Any = None) -> tuple[str, str, list[str], Any]:
    """Generate ``rows`` bronze records and upload them under ``bronze_data_path``."""
    from lakegate import datagen

    if "bronze_data_path" not in outputs:
        raise LakegateError("Terraform output 'bronze_data_path' is missing", where="terraform/outputs.tf",
                            fix="add output bronze_data_path = s3://<bronze>/bronze/car_data/")
    bucket, prefix = _s3_url(outputs["bronze_data_path"], "bronze_data_path")
    if outputs.get("bronze_bucket") not in (None, bucket):
        raise LakegateError(f"outputs disagree: bronze_bucket={outputs['bronze_bucket']!r} but "
                            f"bronze_data_path is in {bucket!r}", where="terraform/outputs.tf")
    client = s3 or localenv.client("s3", state)
    keys: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lakegate-bronze-") as tmp:
        result = datagen.generate(tmp, rows, seed)
        root = Path(tmp) / datagen.BRONZE_PREFIX
        for path in sorted(result.files):
            key = prefix + Path(path).relative_to(root).as_posix()
            client.upload_file(str(path), bucket, key)
            keys.append(key)
    return bucket, prefix, keys, result


def deploy_local(tf_dir: Path, rows: int, seed: int, upload: bool = True,
                 state_path: Path | None = None, work_dir: Path | None = None,
                 variables: dict | None = None) -> DeployResult:
    """Apply ``tf_dir`` into the running local AWS and upload bronze data; see the module doc."""
    from lakegate.terraform import TerraformDriver

    st = localenv.load_state(state_path)
    driver = TerraformDriver(tf_dir, target="local", endpoint=st.endpoint, work_dir=work_dir,
                             variables=variables)
    t0 = time.perf_counter()
    driver.apply()
    outputs = driver.outputs()
    res = DeployResult(endpoint=st.endpoint, outputs=outputs,
                       apply_seconds=round(time.perf_counter() - t0, 2))
    if upload and rows > 0:
        t1 = time.perf_counter()
        bucket, prefix, keys, gen = upload_bronze(st, outputs, rows, seed)
        res.bronze_bucket, res.bronze_prefix, res.uploaded = bucket, prefix, keys
        res.rows = gen.rows
        res.expected_alerts = dict(gen.expected_alerts)
        res.upload_seconds = round(time.perf_counter() - t1, 2)
    summary = localenv.state_path(state_path).parent / "deploy.json"
    summary.write_text(json.dumps(asdict(res), indent=2, default=str) + "\n")
    return res


def _run(args: argparse.Namespace) -> int:
    if args.rows < 0:
        raise LakegateError(f"--rows must be >= 0 (got {args.rows})", where="--rows",
                            fix="pass 0 to skip the data upload")
    res = deploy_local(Path(args.tf_dir), args.rows, args.seed, upload=args.rows > 0)
    out = res.outputs
    print(f"deployed {args.tf_dir} into the local AWS at {res.endpoint} ({res.apply_seconds:.1f} s)")
    for key in ("database_name", "workflow_name", "athena_workgroup_name", "bronze_crawler_name"):
        if key in out:
            print(f"  {key}: {out[key]}")
    if res.uploaded:
        print(f"  bronze data: {res.rows} rows in {len(res.uploaded)} objects under "
              f"s3://{res.bronze_bucket}/{res.bronze_prefix} ({res.upload_seconds:.1f} s)")
        print("  expected alerts: " + ", ".join(f"{k}={v}" for k, v in res.expected_alerts.items()))
    else:
        print("  bronze data: not uploaded (--rows 0)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("deploy", help="terraform apply into the local AWS and upload bronze data")
    p.add_argument("--target", choices=("local",), required=True,
                   help="where to deploy (only 'local': the running `lakegate local up` endpoint)")
    p.add_argument("--tf-dir", default="terraform", help="Terraform root module (default: terraform)")
    p.add_argument("--rows", type=int, default=2000, help="bronze rows to generate (0: none)")
    p.add_argument("--seed", type=int, default=0, help="data generator seed")
    p.set_defaults(func=_run)

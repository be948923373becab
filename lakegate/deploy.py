"""Deploy into the local AWS: ``terraform apply`` of terraform/ into the running local AWS, then
generated bronze data uploaded to the bronze bucket Terraform created (``lakegate deploy``, and the
scenarios' session world, both use :func:`deploy_local`).

Everything goes through the public interfaces: the Terraform driver (provider endpoints pointed
at the local endpoint) and boto3 (``lakegate.localenv.client``); ``localaws`` is not imported.
The bucket and prefix come from the Terraform outputs ``bronze_bucket`` and ``bronze_data_path``
— never from hard-coded names. A summary is written next to the local state file
(``deploy.json``: outputs, uploaded keys, expected alerts) and the outputs alone as
``outputs.json``, where ``lakegate recover/diagnose --env local`` read the pipeline names.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field, fields
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
    driver: Any = field(default=None, repr=False, compare=False)  # the TerraformDriver (not saved)

    def summary(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "driver"}


def _s3_url(url: Any, name: str) -> tuple[str, str]:
    from lakegate.s3url import split_s3_url   # the one S3 URL parser

    parts = split_s3_url(url) if isinstance(url, str) and url.startswith("s3://") else None
    if parts is None:
        raise LakegateError(f"Terraform output {name!r} is not an s3:// URL: {url!r}",
                            where="terraform/outputs.tf",
                            fix=f"make output {name!r} an s3://bucket/prefix/ URL")
    bucket, prefix = parts
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


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
    res.driver = driver
    folder = localenv.state_path(state_path).parent
    _write_json(folder / "outputs.json", outputs)
    if upload and rows > 0:
        from lakegate import seed as seeding
        from lakegate.envconfig import Clients, Environment
        from lakegate.names import PipelineNames

        names = PipelineNames.from_outputs(outputs, source=f"terraform output ({tf_dir})")
        bucket, prefix = _s3_url(outputs.get("bronze_data_path"), "bronze_data_path")
        clients = Clients(Environment(name="local", kind="local"), endpoint=st.endpoint)
        t1 = time.perf_counter()
        gen = seeding.upload_bronze(clients, names, rows=rows, seed=seed)
        res.bronze_bucket, res.bronze_prefix = bucket, prefix   # the key prefix, without s3://bucket/
        res.uploaded = gen.objects
        res.rows = gen.rows
        res.expected_alerts = dict(gen.expected_alerts)
        res.upload_seconds = round(time.perf_counter() - t1, 2)
    _write_json(folder / "deploy.json", res.summary())
    return res


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)



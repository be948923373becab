"""Helpers for the tests that drive a *running* local AWS server (not the in-process moto of
this folder's conftest): start it through the CLI's code path, build the pipeline with the
conftest's boto3 helpers, and put the bronze data where DESIGN.md says it lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakegate import localenv

from .conftest import BRONZE, make_pipeline



@dataclass
class ServedPipeline:
    state: localenv.LocalState
    state_file: Path
    clients: dict[str, Any]
    rows: int
    expected_alerts: dict[str, int]


def assert_bronze_layout(s3: Any) -> None:
    """The generated bronze files sit at ``bronze/car_data/ingest_year=...`` (DESIGN.md's layout)."""
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BRONZE, Prefix="bronze/car_data/").get("Contents", [])]
    assert keys and all(k.startswith("bronze/car_data/ingest_year=") for k in keys), keys


def start_served_pipeline(tmp: Path, time_scale: float, rows: int = 200) -> ServedPipeline:
    """A local AWS subprocess (stops with this process) with the reference pipeline in it."""
    state_file = tmp / "state.json"
    st = localenv.start(path=state_file, time_scale=time_scale, timeout=60, exit_with_pid=os.getpid())
    try:
        clients = {s: localenv.client(s, st) for s in ("s3", "glue", "iam", "logs", "athena")}
        res = make_pipeline(clients, tmp, rows=rows)
        assert_bronze_layout(clients["s3"])
    except BaseException:
        localenv.stop(path=state_file)
        raise
    return ServedPipeline(state=st, state_file=state_file, clients=clients, rows=res.rows,
                          expected_alerts=dict(res.expected_alerts))

"""Helpers for the job SQL tests: hand-built bronze records and running a job on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from lakegate import sqlrun


def bronze_row(chassis: str, mileage: int, ts: str, *, engine: float = 90.0, oil: float = 100.0,
               speed: float = 80.0, ingestion: str = "2025-10-29T12:00:00Z",
               source_file: str = "landing/a.json", model: str = "HB20 Sedan") -> dict[str, Any]:
    """One nested bronze record; ``ts`` is the metric timestamp ('Wed, 29 Oct 2025 11:00:00')."""
    return {
        "carChassis": chassis, "Model": model, "Manufacturer": "hyundai", "year": 2024,
        "ModelYear": 2025, "gasType": "Flex", "color": "Blue", "horsePower": 120,
        "fuelCapacityLiters": 50, "currentMileage": mileage,
        "metrics": {
            "engineTempCelsius": engine, "oilTempCelsius": oil, "batteryChargePerc": 80.0,
            "fuelAvailableLiters": 30.0, "coolantCelsius": 88.0, "metricTimestamp": ts,
            "trip": {"tripMileage": 12.0, "tripTimeMinutes": 20.0, "tripFuelLiters": 1.5,
                     "tripMaxSpeedKm": speed, "tripAverageSpeedKm": 45.0,
                     "tripStartTimestamp": ts},
        },
        "carInsurance": {"number": "INS-1", "provider": "Porto", "validUntil": "2026-10-29"},
        "market": {"currentPrice": 95000.0, "currency": "BRL", "location": "Sao Paulo",
                   "dealer": "D1", "evaluator": "FIPE", "warrantyYears": 3.0},
        "ingestion_timestamp": ingestion, "source_file": source_file,
        "source_bucket": "datalake-pipeline-landing-dev",
    }


JOBS_DIR = Path(__file__).resolve().parents[2] / "terraform" / "glue_jobs"
JOB_NAMES = ("silver_consolidation", "gold_car_current_state", "gold_performance_alerts")

# The job arguments Terraform passes (docs/DESIGN.md, "Job arguments"), as getResolvedOptions
# returns them (no leading "--").
JOB_ARGS = {
    "database_name": "datalake-pipeline-catalog-dev",
    "sql_path": "s3://datalake-pipeline-glue-scripts-dev/jobs/x.sql",
    "bronze_table": "bronze_car_data",
    "silver_table": "silver_car_telemetry",
    "silver_path": "s3://datalake-pipeline-silver-dev/car_telemetry/",
    "gold_path": "s3://datalake-pipeline-gold-dev/car_current_state/",
    "alerts_path": "s3://datalake-pipeline-gold-dev/performance_alerts_log/",
    "engine_temp_limit": "100",
    "oil_temp_limit": "110",
    "speed_limit": "120",
}


def job(name: str, **overrides: str) -> sqlrun.JobSql:
    """The job's SQL file, parsed and resolved with JOB_ARGS (plus overrides)."""
    return sqlrun.resolve(sqlrun.load_job_sql(JOBS_DIR / f"{name}.sql"), {**JOB_ARGS, **overrides})


def run(name: str, views: dict[str, pa.Table], **overrides: str) -> pa.Table:
    """Run job ``name`` on a fresh DuckDB connection with the given input views."""
    con = duckdb.connect()
    try:
        for view, table in views.items():
            sqlrun.register_arrow(con, view, table)
        return sqlrun.run_job_sql(con, job(name, **overrides))
    finally:
        con.close()


def bronze_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Bronze records with the exact Parquet schema the ingestion Lambda (and datagen) writes."""
    from lakegate.datagen import BRONZE_SCHEMA

    return pa.Table.from_pylist(rows, schema=BRONZE_SCHEMA)

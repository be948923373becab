"""The three job SQL files on DuckDB (via sqlglot) over a hand-checked data set: exact rows."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from lakegate import sqlrun
from lakegate.errors import LakegateError

from .jobkit import bronze_row, bronze_table, job, run

D29 = "Wed, 29 Oct 2025"
D30 = "Thu, 30 Oct 2025"


def ts(day: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2025, 10, day, hh, mm)


def pick(table: pa.Table, *cols: str) -> list[tuple]:
    return sorted(tuple(r[c] for c in cols) for r in table.to_pylist())


def silver_of(rows: list[dict]) -> pa.Table:
    """Silver rows made by the silver SQL itself (first run: no existing silver)."""
    return run("silver_consolidation", {"bronze_batch": bronze_table(rows)})


# ----------------------------------------------------------------------------- silver

BATCH = [
    bronze_row("C1", 100, f"{D29} 11:00:00", engine=101.0, source_file="f1"),
    bronze_row("C1", 150, f"{D29} 12:00:00", source_file="f2"),
    bronze_row("C1", 150, f"{D29} 13:00:00", engine=100.0, oil=111.0, source_file="f3"),
    bronze_row("C1", 200, f"{D30} 08:00:00", source_file="f4"),
    bronze_row("C2", 10, f"{D29} 09:05:00", speed=120.5, source_file="f5"),
    {**bronze_row("CX", 1, f"{D29} 09:05:00"), "carChassis": None},
]
EXISTING_SOURCE = [
    bronze_row("C2", 12, f"{D29} 18:00:00", source_file="old1"),  # beats the batch's C2
    bronze_row("C4", 5, f"{D29} 07:00:00", source_file="old2"),   # same day: kept
    bronze_row("C5", 7, "Tue, 28 Oct 2025 10:00:00", source_file="old3"),  # other day: not rewritten
]


def test_silver_first_run_flattens_and_keeps_highest_mileage_per_car_day() -> None:
    out = silver_of(BATCH)
    assert pick(out, "carChassis", "event_year", "event_month", "event_day", "currentMileage",
                "metric_timestamp", "source_file") == [
        ("C1", "2025", "10", "29", 150, ts(29, 13), "f3"),  # tie on mileage: latest timestamp
        ("C1", "2025", "10", "30", 200, ts(30, 8), "f4"),
        ("C2", "2025", "10", "29", 10, ts(29, 9, 5), "f5"),
    ]
    row = next(r for r in out.to_pylist() if r["source_file"] == "f3")
    assert row == {
        "carChassis": "C1", "Model": "HB20 Sedan", "Manufacturer": "hyundai", "year": 2024,
        "ModelYear": 2025, "gasType": "Flex", "color": "Blue", "horsePower": 120,
        "fuelCapacityLiters": 50, "currentMileage": 150, "engineTempCelsius": 100.0,
        "oilTempCelsius": 111.0, "batteryChargePerc": 80.0, "fuelAvailableLiters": 30.0,
        "coolantCelsius": 88.0, "tripMileage": 12.0, "tripTimeMinutes": 20.0,
        "tripFuelLiters": 1.5, "tripMaxSpeedKm": 80.0, "tripAverageSpeedKm": 45.0,
        "insuranceNumber": "INS-1", "insuranceProvider": "Porto",
        "insuranceValidUntil": "2026-10-29", "marketCurrentPrice": 95000.0,
        "marketCurrency": "BRL", "marketLocation": "Sao Paulo", "marketDealer": "D1",
        "marketEvaluator": "FIPE", "marketWarrantyYears": 3.0,
        "metric_timestamp": ts(29, 13), "trip_start_timestamp": ts(29, 13),
        "ingestion_timestamp": row["ingestion_timestamp"], "source_file": "f3",
        "source_bucket": "datalake-pipeline-landing-dev",
        "event_year": "2025", "event_month": "10", "event_day": "29",
    }
    ing = row["ingestion_timestamp"]
    assert (ing.year, ing.month, ing.day, ing.hour, ing.minute) == (2025, 10, 29, 12, 0)
    # partition columns are zero-padded strings and come last (the layout Spark reads back)
    assert out.schema.names[-3:] == ["event_year", "event_month", "event_day"]
    assert out.schema.field("event_month").type == pa.string()


def test_silver_merges_existing_rows_of_affected_days_only() -> None:
    existing = silver_of(EXISTING_SOURCE)
    out = run("silver_consolidation", {"bronze_batch": bronze_table(BATCH),
                                       "silver_existing": existing})
    assert pick(out, "carChassis", "event_day", "currentMileage", "source_file") == [
        ("C1", "29", 150, "f3"),
        ("C1", "30", 200, "f4"),
        ("C2", "29", 12, "old1"),
        ("C4", "29", 5, "old2"),
    ]


def test_silver_existing_read_back_from_partitioned_parquet(tmp_path) -> None:
    """The layout the local runtime reads: Hive folders, partition values as strings."""
    ds.write_dataset(silver_of(EXISTING_SOURCE), tmp_path, format="parquet",
                     partitioning=["event_year", "event_month", "event_day"],
                     partitioning_flavor="hive")
    existing = sqlrun.read_parquet_dir(tmp_path)
    out = run("silver_consolidation", {"bronze_batch": bronze_table(BATCH),
                                       "silver_existing": existing})
    assert pick(out, "carChassis", "event_day", "currentMileage") == [
        ("C1", "29", 150), ("C1", "30", 200), ("C2", "29", 12), ("C4", "29", 5)]


def test_silver_rerun_is_idempotent() -> None:
    first = silver_of(BATCH)
    again = run("silver_consolidation", {"bronze_batch": bronze_table(BATCH),
                                         "silver_existing": first})
    assert pick(again, "carChassis", "event_day", "currentMileage", "source_file") == \
        pick(first, "carChassis", "event_day", "currentMileage", "source_file")
    assert again.num_rows == first.num_rows == 3


# Ties and NULLs in the ranking key. The expected winners were checked against PySpark running
# the window form (ROW_NUMBER() OVER (... ORDER BY ... DESC NULLS LAST)) on the same rows.
TIES = [
    bronze_row("N1", None, f"{D29} 10:00:00", source_file="a"),  # NULL mileage loses to any value
    bronze_row("N1", 5, f"{D29} 09:00:00", source_file="b"),
    bronze_row("N2", None, f"{D29} 10:00:00", source_file="a"),  # all NULL: latest timestamp wins
    bronze_row("N2", None, f"{D29} 11:00:00", source_file="b"),
    bronze_row("T1", 7, f"{D29} 10:00:00", ingestion="2025-10-29T12:00:00Z", source_file="z"),
    bronze_row("T1", 7, f"{D29} 10:00:00", ingestion="2025-10-29T13:00:00Z", source_file="b"),
    bronze_row("T2", 7, f"{D29} 10:00:00", ingestion=None, source_file="z"),  # NULL ingestion loses
    bronze_row("T2", 7, f"{D29} 10:00:00", ingestion="2025-10-29T13:00:00Z", source_file="a"),
    bronze_row("T3", 7, f"{D29} 10:00:00", source_file="a"),  # all equal up to source_file
    bronze_row("T3", 7, f"{D29} 10:00:00", source_file="c"),
    bronze_row("T3", 7, f"{D29} 10:00:00", source_file="b"),
    bronze_row("T4", 7, f"{D29} 10:00:00", source_file=None),  # NULL source_file loses
    bronze_row("T4", 7, f"{D29} 10:00:00", source_file="a"),
    bronze_row("T5", 7, f"{D29} 10:00:00", source_file="a"),  # exact duplicates: one row
    bronze_row("T5", 7, f"{D29} 10:00:00", source_file="a"),
    bronze_row("T6", -3, f"{D29} 10:00:00", source_file="a"),  # negative beats NULL
    bronze_row("T6", None, f"{D29} 23:59:59", source_file="b"),
    # same instant written with another weekday: the text differs, the parsed time does not
    bronze_row("T7", 8, f"{D29} 10:00:00", source_file="a"),
    bronze_row("T7", 9, "Thu, 29 Oct 2025 10:00:00", source_file="b"),
]
TIES_WINNERS = [
    ("N1", 5, ts(29, 9), 12, "b"),
    ("N2", None, ts(29, 11), 12, "b"),
    ("T1", 7, ts(29, 10), 13, "b"),
    ("T2", 7, ts(29, 10), 13, "a"),
    ("T3", 7, ts(29, 10), 12, "c"),
    ("T4", 7, ts(29, 10), 12, "a"),
    ("T5", 7, ts(29, 10), 12, "a"),
    ("T6", -3, ts(29, 10), 12, "a"),
    ("T7", 9, ts(29, 10), 12, "b"),
]


def winners(table: pa.Table) -> list[tuple]:
    return sorted((r["carChassis"], r["currentMileage"], r["metric_timestamp"],
                   r["ingestion_timestamp"].hour if r["ingestion_timestamp"] else None,
                   r["source_file"]) for r in table.to_pylist())


def test_silver_ties_and_nulls_follow_the_ranking_order() -> None:
    out = silver_of(TIES)
    assert winners(out) == TIES_WINNERS
    assert out.num_rows == len(TIES_WINNERS)


def test_silver_ties_and_nulls_against_existing_rows() -> None:
    existing = silver_of([
        bronze_row("N1", None, f"{D29} 23:00:00", source_file="old"),  # NULL mileage: batch's 5 wins
        bronze_row("T1", 7, f"{D29} 10:00:00", ingestion="2025-10-29T14:00:00Z",
                   source_file="old"),  # later ingestion: the existing row wins
        bronze_row("T3", 7, f"{D29} 10:00:00", source_file="d"),  # higher source_file wins
        bronze_row("E1", 3, f"{D29} 10:00:00", source_file="old"),  # same day, not in batch: kept
    ])
    out = run("silver_consolidation", {"bronze_batch": bronze_table(TIES), "silver_existing": existing})
    expected = [w for w in TIES_WINNERS if w[0] not in ("T1", "T3")] + [
        ("E1", 3, ts(29, 10), 12, "old"), ("T1", 7, ts(29, 10), 14, "old"),
        ("T3", 7, ts(29, 10), 12, "d")]
    assert winners(out) == sorted(expected, key=lambda w: w[0])


# ----------------------------------------------------------------------------- gold state

def test_gold_current_state_one_row_per_car_latest_state() -> None:
    silver = silver_of(BATCH)
    out = run("gold_car_current_state", {"silver_batch": silver})
    assert pick(out, "carChassis", "currentMileage", "last_metric_timestamp", "last_event_date",
                "last_engine_temp_celsius", "last_oil_temp_celsius") == [
        ("C1", 200, ts(30, 8), "2025-10-30", 90.0, 100.0),
        ("C2", 10, ts(29, 9, 5), "2025-10-29", 90.0, 100.0),
    ]
    assert out.schema.names[:2] == ["carChassis", "Model"]
    assert "currentMileage" in out.schema.names and "updated_at" in out.schema.names
    assert all(r["updated_at"] is not None for r in out.to_pylist())


def test_gold_current_state_merges_existing_state() -> None:
    old_silver = silver_of([
        bronze_row("C1", 300, f"{D29} 23:00:00"),  # existing state ahead of the batch: kept
        bronze_row("C2", 5, "Tue, 28 Oct 2025 10:00:00"),  # behind the batch: replaced
        bronze_row("C9", 42, "Tue, 28 Oct 2025 10:00:00", model="Kwid"),  # not in batch: kept
    ])
    existing = run("gold_car_current_state", {"silver_batch": old_silver})
    out = run("gold_car_current_state", {"silver_batch": silver_of(BATCH),
                                         "gold_existing": existing})
    assert pick(out, "carChassis", "currentMileage", "Model", "last_event_date") == [
        ("C1", 300, "HB20 Sedan", "2025-10-29"),
        ("C2", 10, "HB20 Sedan", "2025-10-29"),
        ("C9", 42, "Kwid", "2025-10-28"),
    ]


def test_gold_current_state_same_mileage_prefers_latest_timestamp() -> None:
    silver = silver_of([bronze_row("C1", 50, f"{D29} 10:00:00", engine=91.0),
                        bronze_row("C1", 50, f"{D30} 10:00:00", engine=92.0)])
    out = run("gold_car_current_state", {"silver_batch": silver})
    assert pick(out, "carChassis", "currentMileage", "last_engine_temp_celsius") == [("C1", 50, 92.0)]


# ----------------------------------------------------------------------------- alerts

ALERT_SOURCE = [
    bronze_row("A1", 1, f"{D29} 10:00:00", engine=100.5, oil=115.0, speed=130.0),  # engine wins
    bronze_row("A2", 1, f"{D29} 10:00:00", engine=100.0, oil=110.0, speed=120.0),  # all at limit
    bronze_row("A3", 1, f"{D29} 10:00:00", engine=99.0, oil=110.1, speed=121.0),   # oil wins
    bronze_row("A4", 1, f"{D30} 10:00:00", engine=90.0, oil=100.0, speed=120.01),  # speeding
    bronze_row("A5", 1, f"{D30} 10:00:00", engine=100.0, oil=90.0, speed=50.0),    # engine at limit
    bronze_row("A6", 1, f"{D30} 10:00:00", engine=80.0, oil=110.0, speed=50.0),    # oil at limit
]


def test_alerts_exact_rows_strict_limits_and_priority() -> None:
    out = run("gold_performance_alerts", {"silver_batch": silver_of(ALERT_SOURCE)})
    assert sorted(out.to_pylist(), key=lambda r: r["carChassis"]) == [
        {"alert_type": "OVERHEAT_ENGINE", "carChassis": "A1", "metric_timestamp": ts(29, 10),
         "measured_field": "engineTempCelsius", "measured_value": 100.5, "limit_value": 100.0,
         "alert_message": "OVERHEAT_ENGINE: engineTempCelsius 100.5 > limit 100.0",
         "event_year": "2025", "event_month": "10", "event_day": "29"},
        {"alert_type": "OVERHEAT_OIL", "carChassis": "A3", "metric_timestamp": ts(29, 10),
         "measured_field": "oilTempCelsius", "measured_value": 110.1, "limit_value": 110.0,
         "alert_message": "OVERHEAT_OIL: oilTempCelsius 110.1 > limit 110.0",
         "event_year": "2025", "event_month": "10", "event_day": "29"},
        {"alert_type": "SPEEDING_ALERT", "carChassis": "A4", "metric_timestamp": ts(30, 10),
         "measured_field": "tripMaxSpeedKm", "measured_value": 120.01, "limit_value": 120.0,
         "alert_message": "SPEEDING_ALERT: tripMaxSpeedKm 120.01 > limit 120.0",
         "event_year": "2025", "event_month": "10", "event_day": "30"},
    ]


def test_alert_limits_come_from_job_arguments() -> None:
    silver = silver_of(ALERT_SOURCE)
    out = run("gold_performance_alerts", {"silver_batch": silver}, engine_temp_limit="99.5",
              oil_temp_limit="200", speed_limit="125")
    assert pick(out, "carChassis", "alert_type", "limit_value") == [
        ("A1", "OVERHEAT_ENGINE", 99.5),
        ("A2", "OVERHEAT_ENGINE", 99.5),
        ("A5", "OVERHEAT_ENGINE", 99.5),
    ]


def test_alert_limit_must_be_a_number() -> None:
    with pytest.raises(LakegateError, match="must be a number"):
        job("gold_performance_alerts", speed_limit="fast")


def test_alert_job_output_contract() -> None:
    alerts = job("gold_performance_alerts")
    assert alerts.output.partition_by == ["alert_type", "event_year", "event_month", "event_day"]
    assert alerts.output.mode == "overwrite_partitions"
    assert alerts.output.path == "s3://datalake-pipeline-gold-dev/performance_alerts_log/"
    assert {p.name: p.default for p in sqlrun.load_job_sql(
        job("gold_performance_alerts").source).params} == {
        "engine_temp_limit": "100", "oil_temp_limit": "110", "speed_limit": "120"}
    silver = job("silver_consolidation")
    assert silver.input("bronze_batch").database == "datalake-pipeline-catalog-dev"
    assert silver.input("bronze_batch").table == "bronze_car_data"
    assert silver.output.mode == "overwrite_partitions"
    state = job("gold_car_current_state")
    assert state.output.mode == "overwrite" and state.output.partition_by == []
    assert state.input("gold_existing").optional

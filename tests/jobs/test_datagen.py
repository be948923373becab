"""lakegate.datagen and `lakegate data generate`, plus generated bronze -> silver -> gold on DuckDB."""

from __future__ import annotations

import hashlib
import os

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakegate import datagen, sqlrun
from lakegate.cli import main
from lakegate.errors import LakegateError

from .jobkit import run


def _digest(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_different_seed_differs(tmp_path) -> None:
    a = datagen.generate(tmp_path / "a", 300, 5)
    b = datagen.generate(tmp_path / "b", 300, 5)
    c = datagen.generate(tmp_path / "c", 300, 6)
    rel = lambda r, root: [p.relative_to(root) for p in r.files]  # noqa: E731
    assert rel(a, tmp_path / "a") == rel(b, tmp_path / "b")
    assert _digest(a.files) == _digest(b.files)
    assert a.expected_alerts == b.expected_alerts
    assert _digest(a.files) != _digest(c.files)
    assert datagen.generate_table(300, 5).equals(datagen.generate_table(300, 5))
    assert not datagen.generate_table(300, 5).equals(datagen.generate_table(300, 6))


def test_files_match_generate_table_and_layout(tmp_path) -> None:
    res = datagen.generate(tmp_path, 100, 1, start_date="2025-12-31", days=2)
    assert res.rows == 100 and res.days == ["2025-12-31", "2026-01-01"]
    names = sorted(str(p.relative_to(tmp_path)) for p in res.files)
    assert names == [
        "bronze/car_data/ingest_year=2025/ingest_month=12/ingest_day=31/part-00000.parquet",
        "bronze/car_data/ingest_year=2026/ingest_month=01/ingest_day=01/part-00000.parquet"]
    meta = pq.ParquetFile(res.files[0]).metadata
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    written = pa.concat_tables([pq.read_table(p) for p in res.files])
    assert written.schema.equals(datagen.BRONZE_SCHEMA)
    assert written.equals(datagen.generate_table(100, 1, start_date="2025-12-31", days=2))


def test_record_shape_matches_the_reference() -> None:
    t = datagen.generate_table(16, 0)
    metrics = t.schema.field("metrics").type
    assert [f.name for f in metrics] == ["engineTempCelsius", "oilTempCelsius", "batteryChargePerc",
                                         "fuelAvailableLiters", "coolantCelsius", "metricTimestamp", "trip"]
    assert all(f.type == pa.float64() for f in metrics if f.name not in ("metricTimestamp", "trip"))
    assert [f.name for f in t.schema.field("market").type] == [
        "currentPrice", "currency", "location", "dealer", "evaluator", "warrantyYears"]
    row = t.to_pylist()[0]
    import re
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}",
                        row["metrics"]["metricTimestamp"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", row["ingestion_timestamp"])
    assert row["metrics"]["fuelAvailableLiters"] <= row["fuelCapacityLiters"]
    assert 17 <= len(row["carChassis"]) <= 40


@pytest.mark.parametrize("rows, cars, days", [(16, None, 3), (17, 8, 1), (40, 2, 5), (1000, None, 3)])
def test_edge_case_records_present_even_for_tiny_data(rows, cars, days) -> None:
    t = datagen.generate_table(rows, 3, cars=cars, days=days)
    trio = {(m["engineTempCelsius"], m["oilTempCelsius"], m["trip"]["tripMaxSpeedKm"])
            for m in t.column("metrics").to_pylist()}
    for engine, oil, speed, _ in datagen.SCENARIOS:
        assert (engine, oil, speed) in trio
    counts = datagen.expected_alert_counts(rows, 3, cars=cars, days=days)
    assert all(counts[a] >= 2 if a != "SPEEDING_ALERT" else counts[a] >= 1 for a in counts)
    # several readings per car per day with growing mileage
    con = duckdb.connect()
    con.register("b", t)
    per_day = con.sql("SELECT carChassis, substr(metrics.metricTimestamp, 6, 11) AS d, count(*) AS n "
                      "FROM b GROUP BY ALL ORDER BY n DESC LIMIT 1").fetchall()
    assert per_day[0][2] >= 2
    bad = con.sql("SELECT count(*) FROM (SELECT currentMileage - lag(currentMileage) OVER "
                  "(PARTITION BY carChassis ORDER BY strptime(substr(metrics.metricTimestamp, 6), "
                  "'%d %b %Y %H:%M:%S')) AS delta FROM b) WHERE delta <= 0").fetchall()
    assert bad == [(0,)]


@pytest.mark.parametrize("kwargs, fragment", [
    ({"rows": 0}, "--rows must be between"),
    ({"rows": 15}, "--rows must be between"),
    ({"rows": 100, "seed": -1}, "--seed"),
    ({"rows": 100, "days": 0}, "--days"),
    ({"rows": 100, "cars": 0}, "--cars"),
    ({"rows": 100, "cars": 51}, "too many"),
    ({"rows": 16, "cars": 1, "days": 1}, "car-days"),
    ({"rows": 100, "start_date": "29/10/2025"}, "not a date"),
    ({"rows": "100"}, "must be an integer"),
])
def test_bad_arguments(kwargs, fragment) -> None:
    with pytest.raises(LakegateError) as info:
        datagen.generate_table(**{"seed": 0, **kwargs})
    assert fragment in info.value.what


def test_refuses_to_mix_with_existing_files_unless_overwrite(tmp_path) -> None:
    datagen.generate(tmp_path, 50, 1)
    with pytest.raises(LakegateError, match="already under"):
        datagen.generate(tmp_path, 50, 2)
    res = datagen.generate(tmp_path, 50, 2, overwrite=True)
    assert sorted((tmp_path / datagen.BRONZE_PREFIX).rglob("*.parquet")) == sorted(res.files)


def test_cli_generate_prints_summary(tmp_path, capsys) -> None:
    rc = main(["data", "generate", "--out", str(tmp_path), "--rows", "64", "--seed", "9"])
    out = capsys.readouterr().out
    assert rc == 0
    expected = datagen.expected_alert_counts(64, 9)
    assert f"wrote 64 bronze rows" in out
    assert "expected alerts (default limits): " + ", ".join(
        f"{k}={v}" for k, v in expected.items()) in out


@pytest.mark.parametrize("argv, fragment", [
    (["--rows", "0"], "--rows must be between"),
    (["--rows", "100", "--start-date", "2025-13-01"], "not a date"),
    (["--rows", "100", "--cars", "80"], "too many"),
])
def test_cli_errors_exit_2_without_traceback(tmp_path, capsys, argv, fragment) -> None:
    rc = main(["data", "generate", "--out", str(tmp_path / "o"), *argv])
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and "Traceback" not in err and "fix:" in err


def test_cli_out_dir_not_writable(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["data", "generate", "--out", str(blocker), "--rows", "20"]) == 2
    assert "not a directory" in capsys.readouterr().err
    if os.geteuid() != 0:  # root ignores directory permissions
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert main(["data", "generate", "--out", str(ro), "--rows", "20"]) == 2
        assert "directory" in capsys.readouterr().err
    assert main(["data", "generate", "--out", "/proc/lakegate-no", "--rows", "20"]) == 2
    assert "cannot create" in capsys.readouterr().err


def test_cli_bad_integer_is_a_usage_error(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["data", "generate", "--out", str(tmp_path), "--rows", "many"])
    assert info.value.code == 2


def test_generated_bronze_through_silver_and_gold(tmp_path) -> None:
    """End to end on DuckDB: generated files -> silver -> gold current state and alerts."""
    res = datagen.generate(tmp_path, 3000, 21, days=4, cars=40)
    bronze = sqlrun.read_parquet_dir(tmp_path / datagen.BRONZE_PREFIX)
    assert bronze.num_rows == 3000
    assert set(bronze.schema.names) >= {"ingest_year", "ingest_month", "ingest_day"}
    assert bronze.schema.field("ingest_month").type == pa.string()

    silver = run("silver_consolidation", {"bronze_batch": bronze})
    assert silver.num_rows == res.silver_rows
    con = duckdb.connect()
    con.register("bronze", bronze)
    con.register("silver", silver)
    assert con.sql("SELECT count(*) FROM (SELECT DISTINCT carChassis, event_year, event_month, "
                   "event_day FROM silver)").fetchall() == [(silver.num_rows,)]
    # each silver row is the highest-mileage reading of its car-day in bronze
    mismatch = con.sql("""
        WITH b AS (SELECT carChassis, strftime(strptime(substr(metrics.metricTimestamp, 6),
                          '%d %b %Y %H:%M:%S'), '%Y-%m-%d') AS d, max(currentMileage) AS m
                   FROM bronze GROUP BY ALL)
        SELECT count(*) FROM silver s JOIN b ON s.carChassis = b.carChassis
          AND s.event_year || '-' || s.event_month || '-' || s.event_day = b.d
        WHERE s.currentMileage <> b.m""").fetchall()
    assert mismatch == [(0,)]

    state = run("gold_car_current_state", {"silver_batch": silver})
    assert state.num_rows == res.cars == 40
    con.register("state", state)
    assert con.sql("SELECT count(*) FROM state s JOIN (SELECT carChassis, max(currentMileage) m "
                   "FROM silver GROUP BY ALL) x USING (carChassis) WHERE s.currentMileage <> x.m"
                   ).fetchall() == [(0,)]

    alerts = run("gold_performance_alerts", {"silver_batch": silver})
    counts = {a: 0 for a in datagen.ALERT_TYPES}
    for row in alerts.to_pylist():
        counts[row["alert_type"]] += 1
        assert row["measured_value"] > row["limit_value"]
    assert counts == res.expected_alerts
    assert all(v > 0 for v in counts.values())

    # second, incremental run: the last day again plus existing silver gives the same silver
    again = run("silver_consolidation", {"bronze_batch": bronze, "silver_existing": silver})
    key = lambda r: (r["carChassis"], r["event_day"], r["currentMileage"])  # noqa: E731
    assert sorted(map(key, again.to_pylist())) == sorted(map(key, silver.to_pylist()))


@pytest.mark.slow
def test_a_million_rows_in_bounded_chunks(tmp_path) -> None:
    res = datagen.generate(tmp_path, 1_000_000, 1)
    assert res.rows == 1_000_000
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in res.files) == 1_000_000
    assert max(pq.ParquetFile(f).metadata.num_rows for f in res.files) <= datagen.CHUNK_ROWS
    assert all(v > 0 for v in res.expected_alerts.values())

"""Deterministic bronze car-telemetry test data, as the ingestion Lambda writes it.

Records have the nested shape of ``reference/bronze-record.md`` (structs ``metrics``,
``metrics.trip``, ``carInsurance``, ``market``; integers inside ``metrics`` as doubles) plus the
three string columns the Lambda adds, written as snappy Parquet under
``bronze/car_data/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/part-NNNNN.parquet``.

Why it is built this way:

* **Deterministic**: every random draw comes from ``pyarrow.compute.random`` seeded from
  ``(seed, chunk, field)`` or from ``random.Random(seed)``; the same arguments give the same
  rows and the same bytes.
* **Fast and bounded**: rows are made in fixed-size chunks with vectorised Arrow compute (no
  per-row Python), so a million rows take seconds and memory does not grow with ``rows``.
* **Knows its answer**: the pipeline keeps one reading per car per event day (the highest
  mileage) and alerts on those. Readings are laid out so the *last* reading of a car on a day is
  known by index; :func:`generate` counts the alerts the gold job must produce
  (``expected_alerts``) with an independent, vectorised implementation of the rules.
* **Always covers the edge cases**: eight scenario records, each the surviving reading of its
  own car-day, give every alert type, each limit value exactly (no alert), an oil overheat with
  the engine at or below its limit, and the priority rule (engine > oil > speed).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakegate.errors import LakegateError

ALERT_TYPES = ("OVERHEAT_ENGINE", "OVERHEAT_OIL", "SPEEDING_ALERT")
DEFAULT_LIMITS = {"engine_temp_limit": 100.0, "oil_temp_limit": 110.0, "speed_limit": 120.0}
CHUNK_ROWS = 200_000
MIN_ROWS = 16
MAX_ROWS = 100_000_000
BRONZE_PREFIX = "bronze/car_data"
_DAY_WINDOW_S = 16 * 3600          # readings between 06:00 and 22:00 UTC
_DAY_START_S = 6 * 3600

# (engine, oil, speed, expected alert) -- each is the last reading of its own car-day.
SCENARIOS: tuple[tuple[float, float, float, str | None], ...] = (
    (105.5, 95.0, 80.0, "OVERHEAT_ENGINE"),
    (100.0, 95.0, 80.0, None),                 # engine exactly at the limit
    (95.0, 112.5, 80.0, "OVERHEAT_OIL"),       # oil overheat with engine <= limit
    (92.0, 110.0, 80.0, None),                 # oil exactly at the limit
    (90.0, 100.0, 135.0, "SPEEDING_ALERT"),
    (90.0, 100.0, 120.0, None),                # speed exactly at the limit
    (101.0, 115.0, 130.0, "OVERHEAT_ENGINE"),  # priority: engine wins
    (100.0, 111.0, 125.0, "OVERHEAT_OIL"),     # priority: oil wins, engine at the limit
)

_MODELS = (("HB20 Sedan", "hyundai", 120, 50), ("Creta", "hyundai", 150, 50),
           ("Onix", "chevrolet", 116, 44), ("Tracker", "chevrolet", 133, 44),
           ("Polo", "volkswagen", 128, 52), ("T-Cross", "volkswagen", 150, 52),
           ("Corolla", "toyota", 177, 50), ("Kwid", "renault", 71, 38))
_COLORS = ("Blue", "Black", "White", "Silver", "Red", "Gray")
_GAS = ("Flex", "Gasoline", "Diesel")
_PROVIDERS = ("Porto Seguro", "Allianz", "Tokio Marine", "Bradesco Seguros")
_LOCATIONS = ("Sao Paulo", "Rio de Janeiro", "Curitiba", "Belo Horizonte")
_DEALERS = ("AutoCenter", "CarHouse", "Vila Motors", "Prime Veiculos")

TRIP_TYPE = pa.struct([
    ("tripMileage", pa.float64()), ("tripTimeMinutes", pa.float64()),
    ("tripFuelLiters", pa.float64()), ("tripMaxSpeedKm", pa.float64()),
    ("tripAverageSpeedKm", pa.float64()), ("tripStartTimestamp", pa.string()),
])
METRICS_TYPE = pa.struct([
    ("engineTempCelsius", pa.float64()), ("oilTempCelsius", pa.float64()),
    ("batteryChargePerc", pa.float64()), ("fuelAvailableLiters", pa.float64()),
    ("coolantCelsius", pa.float64()), ("metricTimestamp", pa.string()), ("trip", TRIP_TYPE),
])
INSURANCE_TYPE = pa.struct([("number", pa.string()), ("provider", pa.string()),
                            ("validUntil", pa.string())])
MARKET_TYPE = pa.struct([
    ("currentPrice", pa.float64()), ("currency", pa.string()), ("location", pa.string()),
    ("dealer", pa.string()), ("evaluator", pa.string()), ("warrantyYears", pa.float64()),
])
BRONZE_SCHEMA = pa.schema([
    ("carChassis", pa.string()), ("Model", pa.string()), ("Manufacturer", pa.string()),
    ("year", pa.int64()), ("ModelYear", pa.int64()), ("gasType", pa.string()),
    ("color", pa.string()), ("horsePower", pa.int64()), ("fuelCapacityLiters", pa.int64()),
    ("currentMileage", pa.int64()), ("metrics", METRICS_TYPE), ("carInsurance", INSURANCE_TYPE),
    ("market", MARKET_TYPE), ("ingestion_timestamp", pa.string()), ("source_file", pa.string()),
    ("source_bucket", pa.string()),
])


@dataclass(frozen=True)
class GenerateResult:
    """What :func:`generate` wrote and what the pipeline must make of it."""

    files: list[Path]
    rows: int
    expected_alerts: dict[str, int]
    cars: int = 0
    days: list[str] = field(default_factory=list)
    silver_rows: int = 0


@dataclass(frozen=True)
class _Plan:
    """The layout: row i is reading k = i // cars of car c = i % cars, on day k // per_day."""

    rows: int
    seed: int
    start: dt.date
    days: int
    cars: int
    per_day: int
    scenario_rows: tuple[int, ...]


def _plan(rows: int, seed: int, start_date: str | dt.date, days: int, cars: int | None) -> _Plan:
    """Validate the arguments and fix the layout (fail with a clear error, never clamp)."""
    for name, value in (("rows", rows), ("seed", seed), ("days", days)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise LakegateError(f"--{name} must be an integer, got {value!r}", fix=f"pass --{name} N")
    if not MIN_ROWS <= rows <= MAX_ROWS:
        raise LakegateError(f"--rows must be between {MIN_ROWS} and {MAX_ROWS}, got {rows}",
                            fix=f"at least {MIN_ROWS} rows are needed to hold the {len(SCENARIOS)} "
                                "edge-case records with several readings per car per day")
    if seed < 0:
        raise LakegateError(f"--seed must be >= 0, got {seed}", fix="pass a non-negative integer")
    if not 1 <= days <= 3660:
        raise LakegateError(f"--days must be between 1 and 3660, got {days}", fix="pass --days 3")
    if isinstance(start_date, str):
        try:
            start = dt.date.fromisoformat(start_date)
        except ValueError as exc:
            raise LakegateError(f"--start-date {start_date!r} is not a date",
                                fix="write it as YYYY-MM-DD, e.g. 2025-10-29") from exc
    elif isinstance(start_date, dt.date):
        start = start_date
    else:
        raise LakegateError(f"--start-date must be YYYY-MM-DD, got {start_date!r}")
    if start.year < 1971 or start.year + days // 365 > 9000:
        raise LakegateError(f"--start-date {start} is out of range", fix="use a date after 1970")
    if cars is None:
        cars = max(len(SCENARIOS), min(rows // 8, 5000))
    if isinstance(cars, bool) or not isinstance(cars, int) or cars < 1:
        raise LakegateError(f"--cars must be a positive integer, got {cars!r}", fix="pass --cars 8")
    if cars > rows // 2:
        raise LakegateError(f"--cars {cars} is too many for {rows} rows",
                            fix=f"every car needs several readings: use --cars <= {rows // 2}")
    readings = math.ceil(rows / cars)
    per_day = max(2, math.ceil(readings / days))
    if per_day > _DAY_WINDOW_S:
        raise LakegateError(f"{per_day} readings per car per day do not fit in one day",
                            fix="raise --cars or --days")
    # Scenario rows: the last reading of distinct car-days, walking day by day, car by car.
    scenario_rows: list[int] = []
    day_count = math.ceil(readings / per_day)
    for d in range(day_count):
        for c in range(cars):
            car_readings = math.ceil((rows - c) / cars)
            if d * per_day >= car_readings:
                continue
            last_k = min(car_readings, (d + 1) * per_day) - 1
            scenario_rows.append(last_k * cars + c)
            if len(scenario_rows) == len(SCENARIOS):
                break
        if len(scenario_rows) == len(SCENARIOS):
            break
    if len(scenario_rows) < len(SCENARIOS):
        raise LakegateError(f"only {len(scenario_rows)} car-days for {len(SCENARIOS)} edge-case records",
                            fix="raise --cars or --rows")
    return _Plan(rows=rows, seed=seed, start=start, days=days, cars=cars, per_day=per_day,
                 scenario_rows=tuple(sorted(scenario_rows)))


def _car_table(plan: _Plan) -> dict[str, pa.Array]:
    """Static attributes per car (index = car number), from random.Random(seed)."""
    rng = random.Random(plan.seed)
    cols: dict[str, list] = {k: [] for k in (
        "carChassis", "Model", "Manufacturer", "year", "ModelYear", "gasType", "color",
        "horsePower", "fuelCapacityLiters", "base_mileage", "ins_number", "ins_provider",
        "ins_valid", "price", "location", "dealer", "warranty")}
    for c in range(plan.cars):
        model, maker, hp, tank = _MODELS[rng.randrange(len(_MODELS))]
        year = rng.randint(2015, 2025)
        cols["carChassis"].append(f"9BW{maker[:2].upper()}{rng.getrandbits(40):012X}{c:07d}")
        cols["Model"].append(model)
        cols["Manufacturer"].append(maker)
        cols["year"].append(year)
        cols["ModelYear"].append(year + rng.randint(0, 1))
        cols["gasType"].append(_GAS[rng.randrange(len(_GAS))])
        cols["color"].append(_COLORS[rng.randrange(len(_COLORS))])
        cols["horsePower"].append(hp)
        cols["fuelCapacityLiters"].append(tank)
        cols["base_mileage"].append(rng.randint(0, 150_000))
        cols["ins_number"].append(f"APL-{rng.randint(0, 99_999_999):08d}")
        cols["ins_provider"].append(_PROVIDERS[rng.randrange(len(_PROVIDERS))])
        cols["ins_valid"].append(f"{plan.start.year + 1}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        cols["price"].append(round(rng.uniform(45_000, 180_000), 2))
        cols["location"].append(_LOCATIONS[rng.randrange(len(_LOCATIONS))])
        cols["dealer"].append(_DEALERS[rng.randrange(len(_DEALERS))])
        cols["warranty"].append(float(rng.randint(1, 5)))
    return {k: pa.array(v) for k, v in cols.items()}


def _rand(plan: _Plan, chunk: int, field_no: int, n: int) -> pa.Array:
    """n uniform doubles in [0, 1), reproducible for (seed, chunk, field)."""
    return pc.random(n, initializer=(plan.seed * 1_000_003 + chunk * 131 + field_no) % (2**63))


def _scaled(r: pa.Array, lo: float, hi: float, digits: int = 1) -> pa.Array:
    return pc.round(pc.add(pc.multiply(r, hi - lo), lo), digits)


_HMS = None


def _hms_table() -> pa.Array:
    """'HH:MM:SS' for every second of a day (built once; formatting by lookup is ~50x faster
    than pyarrow's strftime)."""
    global _HMS
    if _HMS is None:
        _HMS = pa.array([f"{h:02d}:{m:02d}:{sec:02d}" for h in range(24) for m in range(60)
                         for sec in range(60)])
    return _HMS


def _format_seconds(secs: pa.Array, first_day: int, prefixes: pa.Array, suffix: str) -> pa.Array:
    """Format epoch seconds as prefixes[day - first_day] + 'HH:MM:SS' + suffix."""
    tod = pc.remainder(secs, 86_400)  # type: ignore[attr-defined]
    day = pc.subtract(pc.divide(pc.subtract(secs, tod), 86_400), first_day)
    return pc.binary_join_element_wise(pc.take(prefixes, day), pc.take(_hms_table(), tod),
                                       suffix, "")


def _day_prefixes(first_day: int, count: int, fmt: str) -> pa.Array:
    days = [dt.date(1970, 1, 1) + dt.timedelta(days=first_day + i) for i in range(count)]
    if fmt == "rfc":  # 'Wed, 29 Oct 2025 ' in English whatever the process locale
        return pa.array([f"{_WEEKDAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1]} {d.year:04d} "
                         for d in days])
    return pa.array([d.strftime(fmt) for d in days])


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _to_int(values: pa.Array) -> pa.Array:
    """Round doubles to the nearest integer and make them int64."""
    return pc.cast(pc.round(values, 0), pa.int64(), safe=False)


def _chunk(plan: _Plan, cars_tab: dict[str, pa.Array], chunk: int, lo: int, hi: int) -> tuple[pa.Table, pa.Array, pa.Array]:
    """Rows [lo, hi): the bronze table, each row's day index, and each row's 'survives' flag."""
    n = hi - lo
    idx = pa.array(range(lo, hi), pa.int64())
    car = pc.cast(pc.remainder(idx, plan.cars), pa.int64())  # type: ignore[attr-defined]
    k = pc.divide(pc.subtract(idx, car), plan.cars)
    day = pc.divide(pc.subtract(k, pc.remainder(k, plan.per_day)), plan.per_day)  # type: ignore[attr-defined]
    slot = pc.remainder(k, plan.per_day)  # type: ignore[attr-defined]
    step = _DAY_WINDOW_S // plan.per_day
    jitter = pc.remainder(car, step) if step > 1 else pa.array([0] * n, pa.int64())  # type: ignore[attr-defined]
    start_s = int(dt.datetime(plan.start.year, plan.start.month, plan.start.day,
                              tzinfo=dt.timezone.utc).timestamp())
    secs = pc.add(pc.add(pc.add(pc.multiply(day, 86_400), _DAY_START_S + start_s),
                         pc.multiply(slot, step)), jitter)
    # Day prefixes from the day before the start (trips may start before midnight) to the end.
    first_day = start_s // 86_400 - 1
    n_days = math.ceil(math.ceil(plan.rows / plan.cars) / plan.per_day) + 2
    rfc_prefix = _day_prefixes(first_day, n_days, "rfc")
    trip_minutes = _scaled(_rand(plan, chunk, 1, n), 5, 90)
    trip_start_s = pc.subtract(secs, _to_int(pc.multiply(trip_minutes, 60)))
    ingest_s = pc.add(secs, _to_int(_scaled(_rand(plan, chunk, 2, n), 30, 600, 0)))
    metric_text = _format_seconds(secs, first_day, rfc_prefix, "")

    mileage = pc.add(pc.add(pc.take(cars_tab["base_mileage"], car), pc.multiply(k, 40)),
                     _to_int(_scaled(_rand(plan, chunk, 3, n), 0, 29, 0)))
    engine = _scaled(_rand(plan, chunk, 4, n), 85, 98)
    oil = _scaled(_rand(plan, chunk, 5, n), 90, 105)
    speed = _scaled(_rand(plan, chunk, 6, n), 40, 118)
    # Occasional real incidents, so large data sets alert beyond the scenario records.
    spikes = _rand(plan, chunk, 7, n)
    engine = pc.if_else(pc.less(spikes, 0.004), _scaled(_rand(plan, chunk, 8, n), 100.1, 118), engine)
    oil = pc.if_else(pc.and_(pc.greater_equal(spikes, 0.004), pc.less(spikes, 0.008)),
                     _scaled(_rand(plan, chunk, 9, n), 110.1, 125), oil)
    speed = pc.if_else(pc.and_(pc.greater_equal(spikes, 0.008), pc.less(spikes, 0.03)),
                       _scaled(_rand(plan, chunk, 10, n), 120.1, 175), speed)
    # Scenario overrides (at most eight rows in the whole data set).
    scen_pos = pc.index_in(idx, value_set=pa.array(plan.scenario_rows, pa.int64()))
    is_scen = pc.is_valid(scen_pos)
    if pc.any(is_scen).as_py():
        for col_no, name in enumerate(("engine", "oil", "speed")):
            values = pa.array([s[col_no] for s in SCENARIOS], pa.float64())
            forced = pc.take(values, scen_pos)
            if name == "engine":
                engine = pc.if_else(is_scen, forced, engine)
            elif name == "oil":
                oil = pc.if_else(is_scen, forced, oil)
            else:
                speed = pc.if_else(is_scen, forced, speed)
    tank = pc.cast(pc.take(cars_tab["fuelCapacityLiters"], car), pa.float64())
    trip_len = _scaled(_rand(plan, chunk, 11, n), 1, 80)
    trip = pa.StructArray.from_arrays([
        trip_len, trip_minutes, _scaled(_rand(plan, chunk, 12, n), 0, 6, 2), speed,
        pc.round(pc.multiply(speed, 0.55), 1), _format_seconds(trip_start_s, first_day, rfc_prefix, ""),
    ], fields=list(TRIP_TYPE))
    metrics = pa.StructArray.from_arrays([
        engine, oil, _scaled(_rand(plan, chunk, 13, n), 20, 100),
        pc.round(pc.multiply(_rand(plan, chunk, 14, n), tank), 1),
        _scaled(_rand(plan, chunk, 15, n), 80, 95), metric_text,
        trip,
    ], fields=list(METRICS_TYPE))
    insurance = pa.StructArray.from_arrays([
        pc.take(cars_tab["ins_number"], car), pc.take(cars_tab["ins_provider"], car),
        pc.take(cars_tab["ins_valid"], car)], fields=list(INSURANCE_TYPE))
    market = pa.StructArray.from_arrays([
        pc.take(cars_tab["price"], car), pa.array(["BRL"] * n), pc.take(cars_tab["location"], car),
        pc.take(cars_tab["dealer"], car), pa.array(["FIPE"] * n), pc.take(cars_tab["warranty"], car),
    ], fields=list(MARKET_TYPE))
    source_file = pc.binary_join_element_wise(
        "landing/car_data/", pc.take(_day_prefixes(first_day, n_days, "%Y%m%d"), pc.subtract(
            pc.divide(pc.subtract(secs, pc.remainder(secs, 86_400)), 86_400), first_day)),  # type: ignore[attr-defined]
        "/reading-",
        pc.cast(idx, pa.string()), ".json", "")
    table = pa.Table.from_arrays([
        pc.take(cars_tab["carChassis"], car), pc.take(cars_tab["Model"], car),
        pc.take(cars_tab["Manufacturer"], car), pc.take(cars_tab["year"], car),
        pc.take(cars_tab["ModelYear"], car), pc.take(cars_tab["gasType"], car),
        pc.take(cars_tab["color"], car), pc.take(cars_tab["horsePower"], car),
        pc.take(cars_tab["fuelCapacityLiters"], car), mileage, metrics, insurance, market,
        _format_seconds(ingest_s, first_day, _day_prefixes(first_day, n_days, "%Y-%m-%dT"), "Z"), source_file,
        pa.array(["datalake-pipeline-landing-dev"] * n),
    ], schema=BRONZE_SCHEMA)
    has_next = pc.less(pc.add(idx, plan.cars), plan.rows)
    survives = pc.or_(pc.equal(slot, plan.per_day - 1), pc.invert(has_next))
    return table, day, survives


def _alert_types(table: pa.Table, limits: dict[str, float]) -> pa.Array:
    """Alert type per row by the pipeline's rule (strict >, engine > oil > speed), else null."""
    metrics = table.column("metrics").combine_chunks()
    engine = pc.struct_field(metrics, "engineTempCelsius")
    oil = pc.struct_field(metrics, "oilTempCelsius")
    speed = pc.struct_field(pc.struct_field(metrics, "trip"), "tripMaxSpeedKm")
    conds = pa.StructArray.from_arrays(
        [pc.greater(engine, limits["engine_temp_limit"]), pc.greater(oil, limits["oil_temp_limit"]),
         pc.greater(speed, limits["speed_limit"])], names=["e", "o", "s"])
    return pc.case_when(conds, *[pa.scalar(a) for a in ALERT_TYPES])


def _chunks(plan: _Plan) -> Iterator[tuple[pa.Table, pa.Array, pa.Array]]:
    cars_tab = _car_table(plan)
    for chunk, lo in enumerate(range(0, plan.rows, CHUNK_ROWS)):
        yield _chunk(plan, cars_tab, chunk, lo, min(plan.rows, lo + CHUNK_ROWS))


def generate_table(rows: int, seed: int = 0, *, start_date: str | dt.date = "2025-10-29",
                   days: int = 3, cars: int | None = None) -> pa.Table:
    """The bronze records in memory (same rows, same order as :func:`generate` writes)."""
    plan = _plan(rows, seed, start_date, days, cars)
    return pa.concat_tables([t for t, _, _ in _chunks(plan)])


def expected_alert_counts(rows: int, seed: int = 0, *, start_date: str | dt.date = "2025-10-29",
                          days: int = 3, cars: int | None = None,
                          limits: dict[str, float] | None = None) -> dict[str, int]:
    """Alerts the gold job must produce for this data (one per surviving car-day reading)."""
    plan = _plan(rows, seed, start_date, days, cars)
    counts = {a: 0 for a in ALERT_TYPES}
    lim = {**DEFAULT_LIMITS, **(limits or {})}
    for table, _, survives in _chunks(plan):
        _count_alerts(table, survives, lim, counts)
    return counts


def _count_alerts(table: pa.Table, survives: pa.Array, limits: dict[str, float],
                  counts: dict[str, int]) -> None:
    kept = table.filter(survives)
    if kept.num_rows == 0:
        return
    for item in pc.value_counts(_alert_types(kept, limits)).to_pylist():
        if item["values"] is not None:
            counts[item["values"]] += item["counts"]


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise LakegateError("output path exists and is not a directory", where=str(out_dir),
                            fix="pass a directory for --out")
    root = out_dir / BRONZE_PREFIX
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LakegateError(f"cannot create the output directory: {exc.strerror or exc}",
                            where=str(root), fix="pass a writable --out directory") from exc
    if not os.access(root, os.W_OK | os.X_OK):
        raise LakegateError("output directory is not writable", where=str(root),
                            fix="pass a writable --out directory")
    existing = sorted(root.rglob("*.parquet"))
    if existing and not overwrite:
        raise LakegateError(f"{len(existing)} Parquet file(s) already under the output directory",
                            where=str(root),
                            fix="use an empty --out directory, or --overwrite to replace them")
    for path in existing:
        path.unlink()
    return root


def generate(out_dir: str | os.PathLike[str], rows: int, seed: int = 0, *,
             start_date: str | dt.date = "2025-10-29", days: int = 3, cars: int | None = None,
             overwrite: bool = False, limits: dict[str, float] | None = None) -> GenerateResult:
    """Write the bronze layout under ``out_dir`` and return what was written and expected."""
    plan = _plan(rows, seed, start_date, days, cars)
    root = _prepare_out_dir(Path(out_dir), overwrite)
    lim = {**DEFAULT_LIMITS, **(limits or {})}
    counts = {a: 0 for a in ALERT_TYPES}
    files: list[Path] = []
    part_no: dict[int, int] = {}
    day_names: dict[int, str] = {}
    silver_rows = 0
    for table, day, survives in _chunks(plan):
        _count_alerts(table, survives, lim, counts)
        silver_rows += pc.sum(pc.cast(survives, pa.int64())).as_py() or 0
        # Rows are ordered by day: write each day's contiguous slice to that day's folder. The
        # ingest date equals the event date (ingestion lags the reading by at most ten minutes
        # and readings end at 22:00 UTC).
        start = 0
        for item in pc.value_counts(day).to_pylist():  # days ascend, first-seen order
            d, count = item["values"], item["counts"]
            date = plan.start + dt.timedelta(days=d)
            folder = (root / f"ingest_year={date.year:04d}" / f"ingest_month={date.month:02d}"
                      / f"ingest_day={date.day:02d}")
            folder.mkdir(parents=True, exist_ok=True)
            n = part_no.get(d, 0)
            part_no[d] = n + 1
            day_names[d] = date.isoformat()
            path = folder / f"part-{n:05d}.parquet"
            try:
                pq.write_table(table.slice(start, count), path, compression="snappy",
                               row_group_size=100_000)
            except OSError as exc:
                raise LakegateError(f"cannot write Parquet file: {exc}", where=str(path),
                                    fix="check free space and permissions of --out") from exc
            files.append(path)
            start += count
    return GenerateResult(files=files, rows=plan.rows, expected_alerts=counts, cars=plan.cars,
                          days=[day_names[d] for d in sorted(day_names)], silver_rows=silver_rows)

-- lakegate:input silver_batch catalog={database_name}.{silver_table} incremental
-- lakegate:input gold_existing path={gold_path} format=parquet optional
-- lakegate:output path={gold_path} format=parquet mode=overwrite
--
-- Gold current state: ONE row per carChassis with the car's latest known state, from the new
-- silver rows (incremental, job bookmark) merged with the existing gold state (full overwrite).
-- Latest = highest currentMileage (the odometer only grows), then latest metric timestamp, then
-- the most recently computed row (updated_at), then a fixed order on the temperatures so ties
-- are deterministic. The runbook checks it with
--   SELECT carChassis, currentMileage FROM gold_car_current_state
-- gold_existing is read only as 'UNION ALL SELECT * FROM gold_existing' (see lakegate.sqlrun);
-- its columns are this query's output columns in output order.
WITH batch AS (
  SELECT
    s.carChassis AS carChassis,
    s.Model AS Model,
    s.Manufacturer AS Manufacturer,
    s.year AS year,
    s.ModelYear AS ModelYear,
    s.gasType AS gasType,
    s.color AS color,
    s.horsePower AS horsePower,
    s.fuelCapacityLiters AS fuelCapacityLiters,
    s.currentMileage AS currentMileage,
    s.engineTempCelsius AS last_engine_temp_celsius,
    s.oilTempCelsius AS last_oil_temp_celsius,
    s.coolantCelsius AS last_coolant_celsius,
    s.batteryChargePerc AS last_battery_charge_perc,
    s.fuelAvailableLiters AS last_fuel_available_liters,
    s.tripMaxSpeedKm AS last_trip_max_speed_km,
    s.metric_timestamp AS last_metric_timestamp,
    concat(s.event_year, '-', s.event_month, '-', s.event_day) AS last_event_date,
    current_timestamp() AS updated_at
  FROM silver_batch AS s
  WHERE s.carChassis IS NOT NULL
),
combined AS (
  SELECT * FROM batch
  UNION ALL SELECT * FROM gold_existing
),
ranked AS (
  SELECT
    c.*,
    row_number() OVER (
      PARTITION BY c.carChassis
      ORDER BY c.currentMileage DESC NULLS LAST,
               c.last_metric_timestamp DESC NULLS LAST,
               c.updated_at DESC NULLS LAST,
               c.last_engine_temp_celsius DESC NULLS LAST,
               c.last_oil_temp_celsius DESC NULLS LAST
    ) AS row_rank
  FROM combined AS c
)
SELECT
  carChassis, Model, Manufacturer, year, ModelYear, gasType, color, horsePower,
  fuelCapacityLiters, currentMileage,
  last_engine_temp_celsius, last_oil_temp_celsius, last_coolant_celsius,
  last_battery_charge_perc, last_fuel_available_liters, last_trip_max_speed_km,
  last_metric_timestamp, last_event_date, updated_at
FROM ranked
WHERE row_rank = 1

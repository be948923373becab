-- lakegate:input silver_batch catalog={database_name}.{silver_table} incremental
-- lakegate:output path={alerts_path} format=parquet partition_by=alert_type,event_year,event_month,event_day mode=overwrite_partitions
-- lakegate:param engine_temp_limit number default=100
-- lakegate:param oil_temp_limit number default=110
-- lakegate:param speed_limit number default=120
--
-- Gold performance alerts, from the new silver rows (incremental, job bookmark).
-- Limits are job arguments (defaults: --engine_temp_limit=100 degC, --oil_temp_limit=110 degC,
-- --speed_limit=120 km/h). Comparisons are STRICT: a reading exactly at a limit does not alert.
-- At most ONE alert per silver row, by priority:
--   1. OVERHEAT_ENGINE  engineTempCelsius > engine_temp_limit
--   2. OVERHEAT_OIL     oilTempCelsius    > oil_temp_limit
--   3. SPEEDING_ALERT   tripMaxSpeedKm    > speed_limit
-- Output partitioned by alert_type and event date (dynamic partition overwrite).
WITH classified AS (
  SELECT
    s.carChassis AS carChassis,
    s.metric_timestamp AS metric_timestamp,
    s.engineTempCelsius AS engineTempCelsius,
    s.oilTempCelsius AS oilTempCelsius,
    s.tripMaxSpeedKm AS tripMaxSpeedKm,
    s.event_year AS event_year,
    s.event_month AS event_month,
    s.event_day AS event_day,
    CASE
      WHEN s.engineTempCelsius > ${engine_temp_limit} THEN 'OVERHEAT_ENGINE'
      WHEN s.oilTempCelsius > ${oil_temp_limit} THEN 'OVERHEAT_OIL'
      WHEN s.tripMaxSpeedKm > ${speed_limit} THEN 'SPEEDING_ALERT'
    END AS alert_type
  FROM silver_batch AS s
  WHERE s.carChassis IS NOT NULL
),
measured AS (
  SELECT
    k.*,
    CASE k.alert_type
      WHEN 'OVERHEAT_ENGINE' THEN k.engineTempCelsius
      WHEN 'OVERHEAT_OIL' THEN k.oilTempCelsius
      ELSE k.tripMaxSpeedKm
    END AS measured_value,
    CAST(CASE k.alert_type
      WHEN 'OVERHEAT_ENGINE' THEN ${engine_temp_limit}
      WHEN 'OVERHEAT_OIL' THEN ${oil_temp_limit}
      ELSE ${speed_limit}
    END AS DOUBLE) AS limit_value,
    CASE k.alert_type
      WHEN 'OVERHEAT_ENGINE' THEN 'engineTempCelsius'
      WHEN 'OVERHEAT_OIL' THEN 'oilTempCelsius'
      ELSE 'tripMaxSpeedKm'
    END AS measured_field
  FROM classified AS k
  WHERE k.alert_type IS NOT NULL
)
SELECT
  alert_type,
  carChassis,
  metric_timestamp,
  measured_field,
  measured_value,
  limit_value,
  concat(alert_type, ': ', measured_field, ' ', CAST(measured_value AS STRING),
         ' > limit ', CAST(limit_value AS STRING)) AS alert_message,
  event_year,
  event_month,
  event_day
FROM measured

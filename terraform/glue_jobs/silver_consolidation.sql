-- lakegate:input bronze_batch catalog={database_name}.{bronze_table} incremental
-- lakegate:input silver_existing path={silver_path} format=parquet optional
-- lakegate:output path={silver_path} format=parquet partition_by=event_year,event_month,event_day mode=overwrite_partitions
--
-- Silver consolidation: flatten the nested bronze record (docs: reference/bronze-record.md),
-- type the timestamps, and keep ONE row per carChassis per event day: the reading with the
-- highest currentMileage (ties: latest metric_timestamp, then latest ingestion_timestamp, then
-- source_file). The event date comes from metrics.metricTimestamp, not from the ingestion date.
-- Existing silver rows of the event days this batch touches are merged in, because the output
-- overwrites those day partitions (dynamic partition overwrite).
--
-- Portability rules (this text runs as Spark SQL in Glue 4.0 and via sqlglot on DuckDB):
--   * metricTimestamp looks like 'Wed, 29 Oct 2025 11:00:00'. Spark 3 cannot PARSE the
--     day-of-week letter 'E', so the 5-character 'Wed, ' prefix is cut off with substring(.., 6)
--     and the rest is parsed with 'dd MMM yyyy HH:mm:ss'.
--   * The optional input silver_existing is read only as 'UNION ALL SELECT * FROM silver_existing'
--     (lakegate.sqlrun and the Glue script drop that branch to learn the output schema when
--     there are no silver files yet). Its columns are the output columns in output order, with
--     the partition columns last, as Spark reads a partitioned Parquet folder back.
WITH flattened AS (
  SELECT
    CAST(b.carChassis AS STRING) AS carChassis,
    CAST(b.Model AS STRING) AS Model,
    CAST(b.Manufacturer AS STRING) AS Manufacturer,
    CAST(b.year AS BIGINT) AS year,
    CAST(b.ModelYear AS BIGINT) AS ModelYear,
    CAST(b.gasType AS STRING) AS gasType,
    CAST(b.color AS STRING) AS color,
    CAST(b.horsePower AS BIGINT) AS horsePower,
    CAST(b.fuelCapacityLiters AS BIGINT) AS fuelCapacityLiters,
    CAST(b.currentMileage AS BIGINT) AS currentMileage,
    CAST(b.metrics.engineTempCelsius AS DOUBLE) AS engineTempCelsius,
    CAST(b.metrics.oilTempCelsius AS DOUBLE) AS oilTempCelsius,
    CAST(b.metrics.batteryChargePerc AS DOUBLE) AS batteryChargePerc,
    CAST(b.metrics.fuelAvailableLiters AS DOUBLE) AS fuelAvailableLiters,
    CAST(b.metrics.coolantCelsius AS DOUBLE) AS coolantCelsius,
    CAST(b.metrics.trip.tripMileage AS DOUBLE) AS tripMileage,
    CAST(b.metrics.trip.tripTimeMinutes AS DOUBLE) AS tripTimeMinutes,
    CAST(b.metrics.trip.tripFuelLiters AS DOUBLE) AS tripFuelLiters,
    CAST(b.metrics.trip.tripMaxSpeedKm AS DOUBLE) AS tripMaxSpeedKm,
    CAST(b.metrics.trip.tripAverageSpeedKm AS DOUBLE) AS tripAverageSpeedKm,
    CAST(b.carInsurance.number AS STRING) AS insuranceNumber,
    CAST(b.carInsurance.provider AS STRING) AS insuranceProvider,
    CAST(b.carInsurance.validUntil AS STRING) AS insuranceValidUntil,
    CAST(b.market.currentPrice AS DOUBLE) AS marketCurrentPrice,
    CAST(b.market.currency AS STRING) AS marketCurrency,
    CAST(b.market.location AS STRING) AS marketLocation,
    CAST(b.market.dealer AS STRING) AS marketDealer,
    CAST(b.market.evaluator AS STRING) AS marketEvaluator,
    CAST(b.market.warrantyYears AS DOUBLE) AS marketWarrantyYears,
    to_timestamp(substring(b.metrics.metricTimestamp, 6), 'dd MMM yyyy HH:mm:ss') AS metric_timestamp,
    to_timestamp(substring(b.metrics.trip.tripStartTimestamp, 6), 'dd MMM yyyy HH:mm:ss') AS trip_start_timestamp,
    CAST(b.ingestion_timestamp AS TIMESTAMP) AS ingestion_timestamp,
    CAST(b.source_file AS STRING) AS source_file,
    CAST(b.source_bucket AS STRING) AS source_bucket
  FROM bronze_batch AS b
),
batch AS (
  SELECT
    f.*,
    date_format(f.metric_timestamp, 'yyyy') AS event_year,
    date_format(f.metric_timestamp, 'MM') AS event_month,
    date_format(f.metric_timestamp, 'dd') AS event_day
  FROM flattened AS f
  WHERE f.carChassis IS NOT NULL AND f.metric_timestamp IS NOT NULL
),
affected_days AS (
  SELECT DISTINCT event_year, event_month, event_day FROM batch
),
combined AS (
  SELECT * FROM batch
  UNION ALL SELECT * FROM silver_existing
),
ranked AS (
  SELECT
    c.*,
    row_number() OVER (
      PARTITION BY c.carChassis, c.event_year, c.event_month, c.event_day
      ORDER BY c.currentMileage DESC NULLS LAST,
               c.metric_timestamp DESC NULLS LAST,
               c.ingestion_timestamp DESC NULLS LAST,
               c.source_file DESC NULLS LAST
    ) AS row_rank
  FROM combined AS c
  INNER JOIN affected_days AS d
    ON c.event_year = d.event_year AND c.event_month = d.event_month AND c.event_day = d.event_day
)
SELECT
  carChassis, Model, Manufacturer, year, ModelYear, gasType, color, horsePower,
  fuelCapacityLiters, currentMileage,
  engineTempCelsius, oilTempCelsius, batteryChargePerc, fuelAvailableLiters, coolantCelsius,
  tripMileage, tripTimeMinutes, tripFuelLiters, tripMaxSpeedKm, tripAverageSpeedKm,
  insuranceNumber, insuranceProvider, insuranceValidUntil,
  marketCurrentPrice, marketCurrency, marketLocation, marketDealer, marketEvaluator,
  marketWarrantyYears,
  metric_timestamp, trip_start_timestamp, ingestion_timestamp, source_file, source_bucket,
  event_year, event_month, event_day
FROM ranked
WHERE row_rank = 1

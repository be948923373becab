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
--
-- How the winner is picked (speed: this runs over every bronze row of the batch):
--   * The order "currentMileage DESC, metric_timestamp DESC, ingestion_timestamp DESC,
--     source_file DESC, NULLs last" is written as an ordering struct for max_by: a boolean
--     '<x>_set' (x IS NOT NULL) before each nullable field makes a NULL lose to any value in
--     Spark AND in DuckDB (their struct comparisons disagree on where a NULL field sorts; with the
--     flag a NULL field is only ever compared with another NULL). Equal keys tie as in the
--     window form (ROW_NUMBER() ... = 1), which also picks any one of fully equal rows.
--   * Two levels give the same winner as one (the max of per-group maxima is the maximum):
--     batch_best reduces the bronze batch to one raw row per car and event day carrying only
--     the key columns computed; the rest is flattened and parsed for those winners only. The
--     second level merges them with the existing silver rows of the affected days.
--   * max_by (not max over a struct holding the row) because max_by only needs the ordering
--     struct to be orderable, whatever the bronze payload holds (maps are not orderable in Spark).
WITH keyed AS (
  SELECT
    CAST(b.carChassis AS STRING) AS carChassis,
    CAST(b.currentMileage AS BIGINT) AS currentMileage,
    to_timestamp(substring(b.metrics.metricTimestamp, 6), 'dd MMM yyyy HH:mm:ss') AS metric_timestamp,
    CAST(b.ingestion_timestamp AS TIMESTAMP) AS ingestion_timestamp,
    CAST(b.source_file AS STRING) AS source_file,
    b.Model, b.Manufacturer, b.year, b.ModelYear, b.gasType, b.color, b.horsePower,
    b.fuelCapacityLiters, b.metrics, b.carInsurance, b.market, b.source_bucket
  FROM bronze_batch AS b
),
batch_best AS (
  SELECT
    max_by(struct(k.carChassis, k.currentMileage, k.metric_timestamp, k.ingestion_timestamp, k.source_file,
                  k.Model, k.Manufacturer, k.year, k.ModelYear, k.gasType, k.color, k.horsePower,
                  k.fuelCapacityLiters, k.metrics, k.carInsurance, k.market, k.source_bucket),
           named_struct('cm_set', k.currentMileage IS NOT NULL, 'cm', k.currentMileage,
                        'mt', k.metric_timestamp,
                        'it_set', k.ingestion_timestamp IS NOT NULL, 'it', k.ingestion_timestamp,
                        'sf_set', k.source_file IS NOT NULL, 'sf', k.source_file)) AS b
  FROM keyed AS k
  WHERE k.carChassis IS NOT NULL AND k.metric_timestamp IS NOT NULL
  GROUP BY k.carChassis, date_format(k.metric_timestamp, 'yyyy-MM-dd')
),
batch AS (
  SELECT
    w.b.carChassis AS carChassis,
    CAST(w.b.Model AS STRING) AS Model,
    CAST(w.b.Manufacturer AS STRING) AS Manufacturer,
    CAST(w.b.year AS BIGINT) AS year,
    CAST(w.b.ModelYear AS BIGINT) AS ModelYear,
    CAST(w.b.gasType AS STRING) AS gasType,
    CAST(w.b.color AS STRING) AS color,
    CAST(w.b.horsePower AS BIGINT) AS horsePower,
    CAST(w.b.fuelCapacityLiters AS BIGINT) AS fuelCapacityLiters,
    w.b.currentMileage AS currentMileage,
    CAST(w.b.metrics.engineTempCelsius AS DOUBLE) AS engineTempCelsius,
    CAST(w.b.metrics.oilTempCelsius AS DOUBLE) AS oilTempCelsius,
    CAST(w.b.metrics.batteryChargePerc AS DOUBLE) AS batteryChargePerc,
    CAST(w.b.metrics.fuelAvailableLiters AS DOUBLE) AS fuelAvailableLiters,
    CAST(w.b.metrics.coolantCelsius AS DOUBLE) AS coolantCelsius,
    CAST(w.b.metrics.trip.tripMileage AS DOUBLE) AS tripMileage,
    CAST(w.b.metrics.trip.tripTimeMinutes AS DOUBLE) AS tripTimeMinutes,
    CAST(w.b.metrics.trip.tripFuelLiters AS DOUBLE) AS tripFuelLiters,
    CAST(w.b.metrics.trip.tripMaxSpeedKm AS DOUBLE) AS tripMaxSpeedKm,
    CAST(w.b.metrics.trip.tripAverageSpeedKm AS DOUBLE) AS tripAverageSpeedKm,
    CAST(w.b.carInsurance.number AS STRING) AS insuranceNumber,
    CAST(w.b.carInsurance.provider AS STRING) AS insuranceProvider,
    CAST(w.b.carInsurance.validUntil AS STRING) AS insuranceValidUntil,
    CAST(w.b.market.currentPrice AS DOUBLE) AS marketCurrentPrice,
    CAST(w.b.market.currency AS STRING) AS marketCurrency,
    CAST(w.b.market.location AS STRING) AS marketLocation,
    CAST(w.b.market.dealer AS STRING) AS marketDealer,
    CAST(w.b.market.evaluator AS STRING) AS marketEvaluator,
    CAST(w.b.market.warrantyYears AS DOUBLE) AS marketWarrantyYears,
    w.b.metric_timestamp AS metric_timestamp,
    to_timestamp(substring(w.b.metrics.trip.tripStartTimestamp, 6), 'dd MMM yyyy HH:mm:ss') AS trip_start_timestamp,
    w.b.ingestion_timestamp AS ingestion_timestamp,
    w.b.source_file AS source_file,
    CAST(w.b.source_bucket AS STRING) AS source_bucket,
    date_format(w.b.metric_timestamp, 'yyyy') AS event_year,
    date_format(w.b.metric_timestamp, 'MM') AS event_month,
    date_format(w.b.metric_timestamp, 'dd') AS event_day
  FROM batch_best AS w
),
affected_days AS (
  SELECT DISTINCT event_year, event_month, event_day FROM batch
),
combined AS (
  SELECT * FROM batch
  UNION ALL SELECT * FROM silver_existing
),
winners AS (
  SELECT
    max_by(struct(
      c.carChassis, c.Model, c.Manufacturer, c.year, c.ModelYear, c.gasType, c.color, c.horsePower,
      c.fuelCapacityLiters, c.currentMileage,
      c.engineTempCelsius, c.oilTempCelsius, c.batteryChargePerc, c.fuelAvailableLiters, c.coolantCelsius,
      c.tripMileage, c.tripTimeMinutes, c.tripFuelLiters, c.tripMaxSpeedKm, c.tripAverageSpeedKm,
      c.insuranceNumber, c.insuranceProvider, c.insuranceValidUntil,
      c.marketCurrentPrice, c.marketCurrency, c.marketLocation, c.marketDealer, c.marketEvaluator,
      c.marketWarrantyYears,
      c.metric_timestamp, c.trip_start_timestamp, c.ingestion_timestamp, c.source_file, c.source_bucket,
      c.event_year, c.event_month, c.event_day),
      named_struct('cm_set', c.currentMileage IS NOT NULL, 'cm', c.currentMileage,
                   'mt_set', c.metric_timestamp IS NOT NULL, 'mt', c.metric_timestamp,
                   'it_set', c.ingestion_timestamp IS NOT NULL, 'it', c.ingestion_timestamp,
                   'sf_set', c.source_file IS NOT NULL, 'sf', c.source_file)) AS r
  FROM combined AS c
  INNER JOIN affected_days AS d
    ON c.event_year = d.event_year AND c.event_month = d.event_month AND c.event_day = d.event_day
  GROUP BY c.carChassis, c.event_year, c.event_month, c.event_day
),
winner_rows AS (
  SELECT w.r AS r FROM winners AS w
)
SELECT r.* FROM winner_rows

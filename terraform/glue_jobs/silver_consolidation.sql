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
-- How the winner is picked (speed: only the first step touches every bronze row of the batch):
--   * The order "currentMileage DESC, metric_timestamp DESC, ingestion_timestamp DESC,
--     source_file DESC, NULLs last" is an ordering struct compared with max/max_by: a boolean
--     '<x>_set' (x IS NOT NULL) before each nullable field makes a NULL lose to any value in
--     Spark AND in DuckDB (their struct comparisons disagree on where a NULL field sorts; with the
--     flag a NULL field is only ever compared with another NULL).
--   * batch_max (narrow: key columns only): the best key per car and event day of the batch,
--     plus the raw metricTimestamp text of that best row ('raw_mt', last, so it only decides
--     between rows equal in the whole key - any one of those is a valid winner).
--   * batch: the bronze rows of that car with that exact metricTimestamp text - the best row and
--     any rows of the same car at the same instant - flattened and parsed (only these rows).
--   * winners: the full order again over those rows and the existing silver rows of the affected
--     days. The best of a superset that contains each group's best row is that best row, so the
--     result is the row ROW_NUMBER() OVER (PARTITION BY car, day ORDER BY ...) = 1 would keep.
--     max_by, not max over a struct holding the row: max_by only needs the ordering struct to be
--     orderable, whatever else the row holds.
WITH batch_max AS (
  SELECT
    k.carChassis,
    max(named_struct('cm_set', k.currentMileage IS NOT NULL, 'cm', k.currentMileage,
                     'mt', k.metric_timestamp,
                     'it_set', k.ingestion_timestamp IS NOT NULL, 'it', k.ingestion_timestamp,
                     'sf_set', k.source_file IS NOT NULL, 'sf', k.source_file,
                     'raw_mt', k.raw_mt)) AS best
  FROM (
    SELECT
      CAST(b.carChassis AS STRING) AS carChassis,
      CAST(b.currentMileage AS BIGINT) AS currentMileage,
      to_timestamp(substring(b.metrics.metricTimestamp, 6), 'dd MMM yyyy HH:mm:ss') AS metric_timestamp,
      CAST(b.ingestion_timestamp AS TIMESTAMP) AS ingestion_timestamp,
      CAST(b.source_file AS STRING) AS source_file,
      b.metrics.metricTimestamp AS raw_mt
    FROM bronze_batch AS b
  ) AS k
  WHERE k.carChassis IS NOT NULL AND k.metric_timestamp IS NOT NULL
  GROUP BY k.carChassis, date_format(k.metric_timestamp, 'yyyy-MM-dd')
),
batch AS (
  SELECT
    m.carChassis AS carChassis,
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
    m.best.mt AS metric_timestamp,
    to_timestamp(substring(b.metrics.trip.tripStartTimestamp, 6), 'dd MMM yyyy HH:mm:ss') AS trip_start_timestamp,
    CAST(b.ingestion_timestamp AS TIMESTAMP) AS ingestion_timestamp,
    CAST(b.source_file AS STRING) AS source_file,
    CAST(b.source_bucket AS STRING) AS source_bucket,
    date_format(m.best.mt, 'yyyy') AS event_year,
    date_format(m.best.mt, 'MM') AS event_month,
    date_format(m.best.mt, 'dd') AS event_day
  FROM bronze_batch AS b
  INNER JOIN batch_max AS m
    ON CAST(b.carChassis AS STRING) = m.carChassis
   AND b.metrics.metricTimestamp = m.best.raw_mt
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

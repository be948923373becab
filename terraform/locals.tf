# Every name, path and ARN of the pipeline, in one place (docs/DESIGN.md, "The reference
# pipeline"). Resources and outputs read these locals, never re-derive names, so the plan, the
# outputs and the suite agree. ARNs are built from variables (no AWS lookups) so that a plan is
# fully known offline.

locals {
  # `${project}-<component>-${environment}`
  prefix = var.project
  suffix = var.environment

  common_tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  arn_prefix = "arn:${var.aws_partition}"

  # --- S3 -------------------------------------------------------------------------------------
  bucket_names = {
    bronze         = "${local.prefix}-bronze-${local.suffix}"
    silver         = "${local.prefix}-silver-${local.suffix}"
    gold           = "${local.prefix}-gold-${local.suffix}"
    glue_scripts   = "${local.prefix}-glue-scripts-${local.suffix}"
    glue_temp      = "${local.prefix}-glue-temp-${local.suffix}"
    athena_results = "${local.prefix}-athena-results-${local.suffix}"
  }
  bucket_arns = { for k, name in local.bucket_names : k => "${local.arn_prefix}:s3:::${name}" }

  # Folders (keys without the trailing slash) inside the buckets.
  bronze_data_prefix  = "bronze/car_data"
  silver_data_prefix  = "car_telemetry"
  gold_state_prefix   = "car_current_state"
  gold_alerts_prefix  = "performance_alerts_log"
  scripts_prefix      = "jobs"
  athena_query_prefix = "query-results"

  athena_result_location = "s3://${local.bucket_names.athena_results}/${local.athena_query_prefix}/"

  # --- Glue Data Catalog ----------------------------------------------------------------------
  database_name = "${local.prefix}-catalog-${local.suffix}"

  glue_arn_prefix           = "${local.arn_prefix}:glue:${var.region}:${var.account_id}"
  glue_catalog_arn          = "${local.glue_arn_prefix}:catalog"
  glue_database_arn         = "${local.glue_arn_prefix}:database/${local.database_name}"
  glue_default_database     = "default"
  glue_default_database_arn = "${local.glue_arn_prefix}:database/${local.glue_default_database}"

  logs_arn_prefix = "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:"

  # Exactly one table per crawler (docs/DESIGN.md): the include path is the table root and the
  # grouping policy combines compatible schemas, so Hive partition folders become partitions of
  # that one table instead of tables of their own (the runbook's old `bronze_ingest_year_2025`).
  crawler_configuration = "{\"Version\":1.0,\"Grouping\":{\"TableGroupingPolicy\":\"CombineCompatibleSchemas\"},\"CrawlerOutput\":{\"Partitions\":{\"AddOrUpdateBehavior\":\"InheritFromTable\"},\"Tables\":{\"AddOrUpdateBehavior\":\"MergeNewColumns\"}}}"

  crawler_log_group = "/aws-glue/crawlers"

  # --- Crawlers ---------------------------------------------------------------------------------
  # key => what the crawler reads (bucket key + folder) and the one table it must produce.
  crawlers = {
    bronze = {
      name         = "${local.prefix}-bronze-car-data-crawler-${local.suffix}"
      description  = "Catalogs the bronze car telemetry (Hive partitions ingest_year/ingest_month/ingest_day) as ONE table bronze_car_data. Outside the workflow: run by hand (runbook PASSO 2)."
      bucket       = "bronze"
      folder       = local.bronze_data_prefix
      table_prefix = "bronze_"
      table        = "bronze_car_data"
      role_name    = "${local.prefix}-bronze-crawler-role-${local.suffix}"
    }
    silver = {
      name         = "${local.prefix}-silver-crawler-${local.suffix}"
      description  = "Catalogs the silver car telemetry (partitions event_year/event_month/event_day) as silver_car_telemetry."
      bucket       = "silver"
      folder       = local.silver_data_prefix
      table_prefix = "silver_"
      table        = "silver_car_telemetry"
      role_name    = "${local.prefix}-silver-crawler-role-${local.suffix}"
    }
    gold_car_current_state = {
      name         = "${local.prefix}-gold-car-current-state-crawler-${local.suffix}"
      description  = "Catalogs the gold current state (one row per carChassis) as gold_car_current_state."
      bucket       = "gold"
      folder       = local.gold_state_prefix
      table_prefix = "gold_"
      table        = "gold_car_current_state"
      role_name    = "${local.prefix}-gold-state-crawler-role-${local.suffix}"
    }
    gold_performance_alerts = {
      name         = "${local.prefix}-gold-performance-alerts-crawler-${local.suffix}"
      description  = "Catalogs the gold alerts log (partitions alert_type/event_year/event_month/event_day) as performance_alerts_log."
      bucket       = "gold"
      folder       = local.gold_alerts_prefix
      table_prefix = ""
      table        = "performance_alerts_log"
      role_name    = "${local.prefix}-gold-alerts-crawler-role-${local.suffix}"
    }
  }
  crawler_targets = { for k, c in local.crawlers : k => "s3://${local.bucket_names[c.bucket]}/${c.folder}/" }
  expected_tables = [for k in ["bronze", "silver", "gold_car_current_state", "gold_performance_alerts"] : local.crawlers[k].table]

  # --- Jobs -------------------------------------------------------------------------------------
  # key = the job's short name (script terraform/glue_jobs/<key>.py, SQL <key>.sql).
  #   catalog_tables: catalog tables the job reads (from_catalog, incremental via bookmarks)
  #   reads:          S3 data it reads ({bucket, folder}): the files behind those tables and the
  #                   paths it reads directly
  #   output:         the S3 folder it writes (Spark also writes `<folder>_$folder$` markers next
  #                   to it, so write permissions use `<folder>*`)
  #   extra_arguments: the job-specific arguments of the DESIGN.md table
  jobs = {
    silver_consolidation = {
      name           = "${local.prefix}-silver-consolidation-${local.suffix}"
      description    = "Bronze -> silver: flattens the nested record, types timestamps, keeps one row per car per event day (highest mileage); dynamic partition overwrite of event_year/event_month/event_day."
      role_name      = "${local.prefix}-silver-job-role-${local.suffix}"
      catalog_tables = ["bronze_car_data"]
      reads = [
        { bucket = "bronze", folder = local.bronze_data_prefix },
        { bucket = "silver", folder = local.silver_data_prefix },
      ]
      output = { bucket = "silver", folder = local.silver_data_prefix }
      extra_arguments = {
        "--bronze_table" = "bronze_car_data"
        "--silver_path"  = "s3://${local.bucket_names.silver}/${local.silver_data_prefix}/"
      }
    }
    gold_car_current_state = {
      name           = "${local.prefix}-gold-car-current-state-${local.suffix}"
      description    = "Silver -> gold: the latest state of every car, one row per carChassis (full overwrite)."
      role_name      = "${local.prefix}-gold-state-job-role-${local.suffix}"
      catalog_tables = ["silver_car_telemetry"]
      reads = [
        { bucket = "silver", folder = local.silver_data_prefix },
        { bucket = "gold", folder = local.gold_state_prefix },
      ]
      output = { bucket = "gold", folder = local.gold_state_prefix }
      extra_arguments = {
        "--silver_table" = "silver_car_telemetry"
        "--gold_path"    = "s3://${local.bucket_names.gold}/${local.gold_state_prefix}/"
      }
    }
    gold_performance_alerts = {
      name           = "${local.prefix}-gold-performance-alerts-${local.suffix}"
      description    = "Silver -> gold: OVERHEAT_ENGINE / OVERHEAT_OIL / SPEEDING_ALERT (strict >, one alert per record by that priority); dynamic partition overwrite of alert_type/event_year/event_month/event_day."
      role_name      = "${local.prefix}-gold-alerts-job-role-${local.suffix}"
      catalog_tables = ["silver_car_telemetry"]
      reads = [
        { bucket = "silver", folder = local.silver_data_prefix },
      ]
      output = { bucket = "gold", folder = local.gold_alerts_prefix }
      extra_arguments = {
        "--silver_table"      = "silver_car_telemetry"
        "--alerts_path"       = "s3://${local.bucket_names.gold}/${local.gold_alerts_prefix}/"
        "--engine_temp_limit" = tostring(var.engine_temp_limit)
        "--oil_temp_limit"    = tostring(var.oil_temp_limit)
        "--speed_limit"       = tostring(var.speed_limit)
      }
    }
  }

  job_script_keys = { for k, _ in local.jobs : k => "${local.scripts_prefix}/${k}.py" }
  job_sql_keys    = { for k, _ in local.jobs : k => "${local.scripts_prefix}/${k}.sql" }
  # The driver every job script imports (`from lakegate_glue_job import run`), uploaded next to
  # the scripts and put on each job's Python path with --extra-py-files.
  job_library_key = "${local.scripts_prefix}/lakegate_glue_job.py"
  job_library_url = "s3://${local.bucket_names.glue_scripts}/${local.job_library_key}"
  job_log_groups  = { for k, j in local.jobs : k => "${local.glue_job_log_group_root}/${j.name}" }
  job_temp_dirs   = { for k, _ in local.jobs : k => "s3://${local.bucket_names.glue_temp}/${k}/" }
  job_output_paths = {
    for k, j in local.jobs : k => "s3://${local.bucket_names[j.output.bucket]}/${j.output.folder}/"
  }

  # Arguments every job gets (DESIGN.md "Job arguments"), then the job's own ones.
  job_arguments = {
    for k, j in local.jobs : k => merge({
      "--job-language"                     = "python"
      "--job-bookmark-option"              = "job-bookmark-enable"
      "--enable-glue-datacatalog"          = "true"
      "--TempDir"                          = local.job_temp_dirs[k]
      "--enable-continuous-cloudwatch-log" = "true"
      "--continuous-log-logGroup"          = local.job_log_groups[k]
      "--enable-metrics"                   = "true"
      "--database_name"                    = local.database_name
      "--sql_path"                         = "s3://${local.bucket_names.glue_scripts}/${local.job_sql_keys[k]}"
      "--extra-py-files"                   = local.job_library_url
    }, j.extra_arguments)
  }

  # Every log group a Glue job writes to lives under this path (output, error, logs-v2 and the
  # job's own continuous-logging group).
  glue_job_log_group_root = "/aws-glue/jobs"

  # --- IAM --------------------------------------------------------------------------------------
  crawler_role_arns = { for k, c in local.crawlers : k => "${local.arn_prefix}:iam::${var.account_id}:role/${c.role_name}" }
  job_role_arns     = { for k, j in local.jobs : k => "${local.arn_prefix}:iam::${var.account_id}:role/${j.role_name}" }

  # --- Workflow ---------------------------------------------------------------------------------
  workflow_name = "${local.prefix}-silver-etl-workflow-${local.suffix}"
  trigger_names = {
    start                    = "${local.prefix}-workflow-start-trigger-${local.suffix}"
    silver_crawler           = "${local.prefix}-silver-crawler-trigger-${local.suffix}"
    gold_jobs                = "${local.prefix}-gold-jobs-trigger-${local.suffix}"
    gold_current_state_crawl = "${local.prefix}-gold-car-current-state-crawler-trigger-${local.suffix}"
    gold_alerts_crawl        = "${local.prefix}-gold-performance-alerts-crawler-trigger-${local.suffix}"
  }

  # --- Athena -----------------------------------------------------------------------------------
  athena_workgroup_name = "${local.prefix}-workgroup-${local.suffix}"
}

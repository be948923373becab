# Every name the suite needs. Steps, recovery and reports read names from these outputs (or the
# state), never from hard-coded strings. Maps keyed by a resource NAME (job_output_paths,
# crawler_targets, ...) let a caller go from what it sees in AWS to what it should expect.

output "project" {
  description = "The project name."
  value       = var.project
}

output "environment" {
  description = "The environment name."
  value       = var.environment
}

output "region" {
  description = "The AWS region."
  value       = var.region
}

output "account_id" {
  description = "The AWS account ID the ARNs were built for."
  value       = var.account_id
}

# --- Workflow --------------------------------------------------------------------------------------

output "workflow_name" {
  description = "The Glue workflow (runbook PASSO 1, 5, 6)."
  value       = aws_glue_workflow.this.name
}

output "workflow_expected_actions" {
  description = "Number of actions one complete workflow run executes (SucceededActions of a healthy run)."
  value       = 6
}

output "trigger_names" {
  description = "The workflow's triggers by role: start, silver_crawler, gold_jobs, gold_current_state_crawl, gold_alerts_crawl."
  value = {
    start                    = aws_glue_trigger.start.name
    silver_crawler           = aws_glue_trigger.silver_crawler.name
    gold_jobs                = aws_glue_trigger.gold_jobs.name
    gold_current_state_crawl = aws_glue_trigger.gold_current_state_crawler.name
    gold_alerts_crawl        = aws_glue_trigger.gold_alerts_crawler.name
  }
}

output "start_trigger_name" {
  description = "The workflow's ON_DEMAND start trigger."
  value       = aws_glue_trigger.start.name
}

# --- Jobs ------------------------------------------------------------------------------------------

output "job_names" {
  description = "Glue job names by short name (silver_consolidation, gold_car_current_state, gold_performance_alerts)."
  value       = { for k, j in aws_glue_job.this : k => j.name }
}

output "silver_job_name" {
  description = "The silver consolidation job."
  value       = aws_glue_job.this["silver_consolidation"].name
}

output "gold_current_state_job_name" {
  description = "The gold current-state job."
  value       = aws_glue_job.this["gold_car_current_state"].name
}

output "gold_alerts_job_name" {
  description = "The gold performance-alerts job."
  value       = aws_glue_job.this["gold_performance_alerts"].name
}

output "job_output_paths" {
  description = "Job name -> the S3 folder it writes."
  value       = { for k, j in local.jobs : j.name => local.job_output_paths[k] }
}

output "job_arguments" {
  description = "Job name -> its default_arguments (what the script receives)."
  value       = { for k, j in local.jobs : j.name => local.job_arguments[k] }
}

output "job_script_locations" {
  description = "Job name -> S3 URL of its PySpark script."
  value       = { for k, j in local.jobs : j.name => "s3://${aws_s3_object.job_script[k].bucket}/${aws_s3_object.job_script[k].key}" }
}

output "job_sql_locations" {
  description = "Job name -> S3 URL of its Spark SQL (--sql_path)."
  value       = { for k, j in local.jobs : j.name => "s3://${aws_s3_object.job_sql[k].bucket}/${aws_s3_object.job_sql[k].key}" }
}

output "job_library_location" {
  description = "S3 URL of the shared job driver every job loads with --extra-py-files."
  value       = "s3://${aws_s3_object.job_library.bucket}/${aws_s3_object.job_library.key}"
}

output "job_temp_dirs" {
  description = "Job name -> its --TempDir."
  value       = { for k, j in local.jobs : j.name => local.job_temp_dirs[k] }
}

# --- Crawlers and catalog --------------------------------------------------------------------------

output "crawler_names" {
  description = "Crawler names by key (bronze, silver, gold_car_current_state, gold_performance_alerts)."
  value       = { for k, c in aws_glue_crawler.this : k => c.name }
}

output "bronze_crawler_name" {
  description = "The bronze crawler (outside the workflow; runbook PASSO 2)."
  value       = aws_glue_crawler.this["bronze"].name
}

output "silver_crawler_name" {
  description = "The silver crawler."
  value       = aws_glue_crawler.this["silver"].name
}

output "gold_current_state_crawler_name" {
  description = "The gold current-state crawler."
  value       = aws_glue_crawler.this["gold_car_current_state"].name
}

output "gold_alerts_crawler_name" {
  description = "The gold performance-alerts crawler."
  value       = aws_glue_crawler.this["gold_performance_alerts"].name
}

output "crawler_targets" {
  description = "Crawler name -> its S3 target path (the table root)."
  value       = { for k, c in local.crawlers : c.name => local.crawler_targets[k] }
}

output "crawler_tables" {
  description = "Crawler name -> the one catalog table it must produce."
  value       = { for k, c in local.crawlers : c.name => c.table }
}

output "database_name" {
  description = "The Glue catalog database."
  value       = aws_glue_catalog_database.this.name
}

output "expected_tables" {
  description = "The tables a healthy pipeline has in the catalog (runbook PASSO 7)."
  value       = local.expected_tables
}

output "bronze_data_path" {
  description = "Where bronze Parquet lands (ingest_year=YYYY/ingest_month=MM/ingest_day=DD/ below it)."
  value       = local.crawler_targets["bronze"]
}

# --- Storage and query -----------------------------------------------------------------------------

output "bucket_names" {
  description = "Bucket names by role: bronze, silver, gold, glue_scripts, glue_temp, athena_results."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "bronze_bucket" {
  description = "The bronze bucket."
  value       = aws_s3_bucket.this["bronze"].bucket
}

output "silver_bucket" {
  description = "The silver bucket."
  value       = aws_s3_bucket.this["silver"].bucket
}

output "gold_bucket" {
  description = "The gold bucket."
  value       = aws_s3_bucket.this["gold"].bucket
}

output "glue_scripts_bucket" {
  description = "The bucket holding the job scripts and SQL."
  value       = aws_s3_bucket.this["glue_scripts"].bucket
}

output "glue_temp_bucket" {
  description = "The Glue temporary-files bucket."
  value       = aws_s3_bucket.this["glue_temp"].bucket
}

output "athena_results_bucket" {
  description = "The Athena results bucket."
  value       = aws_s3_bucket.this["athena_results"].bucket
}

output "athena_workgroup_name" {
  description = "The Athena workgroup (runbook PASSO 8)."
  value       = aws_athena_workgroup.this.name
}

output "athena_result_location" {
  description = "The workgroup's enforced query result location."
  value       = local.athena_result_location
}

# --- IAM and logs ----------------------------------------------------------------------------------

output "role_names" {
  description = "Crawler or job name -> the name of its IAM role."
  value = merge(
    { for k, c in local.crawlers : c.name => aws_iam_role.crawler[k].name },
    { for k, j in local.jobs : j.name => aws_iam_role.job[k].name },
  )
}

output "role_arns" {
  description = "Crawler or job name -> the ARN of its IAM role (built from var.account_id)."
  value = merge(
    { for k, c in local.crawlers : c.name => local.crawler_role_arns[k] },
    { for k, j in local.jobs : j.name => local.job_role_arns[k] },
  )
}

output "log_group_names" {
  description = "Job name -> its continuous-logging log group; crawlers share crawler_log_group."
  value       = { for k, j in local.jobs : j.name => aws_cloudwatch_log_group.jobs[k].name }
}

output "crawler_log_group" {
  description = "The crawlers' log group (log stream = crawler name)."
  value       = aws_cloudwatch_log_group.crawlers.name
}

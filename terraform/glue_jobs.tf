# The three Glue 4.0 Spark jobs. Each reads its transformation (Spark SQL kept as data) from
# --sql_path, reads its inputs incrementally through job bookmarks, and receives every argument
# its script reads in default_arguments (see locals.tf and docs/DESIGN.md "Job arguments").

resource "aws_glue_job" "this" {
  for_each = local.jobs

  name              = each.value.name
  description       = each.value.description
  role_arn          = local.job_role_arns[each.key]
  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = var.job_number_of_workers
  timeout           = var.job_timeout_minutes
  max_retries       = 0

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${local.bucket_names.glue_scripts}/${local.job_script_keys[each.key]}"
  }

  default_arguments = local.job_arguments[each.key]

  execution_property {
    max_concurrent_runs = 1
  }

  # The role ARN and the script location are built from variables; the role, its policy, the
  # script, its SQL, the shared driver (--extra-py-files) and the log group must exist before the
  # job can run.
  depends_on = [
    aws_iam_role.job,
    aws_iam_role_policy.job,
    aws_s3_object.job_script,
    aws_s3_object.job_sql,
    aws_s3_object.job_library,
    aws_cloudwatch_log_group.jobs,
  ]
}

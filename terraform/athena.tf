# The Athena workgroup the runbook queries (PASSO 8). The workgroup enforces its own result
# location and encryption, so a client's --result-configuration cannot send results elsewhere.

resource "aws_athena_workgroup" "this" {
  name          = local.athena_workgroup_name
  description   = "Queries over ${local.database_name}."
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true

    result_configuration {
      output_location = local.athena_result_location

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }

  depends_on = [aws_s3_bucket.this]
}

# CloudWatch log groups: one per job (its continuous log, --continuous-log-logGroup) and the
# crawlers' shared group. Created here so they have a retention period and are removed with the
# stack. `/aws-glue/crawlers` is account-wide: if it already exists, import it first
# (`terraform import aws_cloudwatch_log_group.crawlers /aws-glue/crawlers`).

resource "aws_cloudwatch_log_group" "jobs" {
  for_each = local.jobs

  name              = local.job_log_groups[each.key]
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "crawlers" {
  name              = local.crawler_log_group
  retention_in_days = var.log_retention_days
}

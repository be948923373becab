# The four crawlers. Each one targets the table root of its data (so the table is named after
# that folder plus the table prefix) and combines compatible schemas, so Hive partition folders
# become partitions of ONE table. Schema changes update the table in place (new columns are
# merged, partitions inherit the table schema); deletions are only logged.
#
# Only the silver and gold crawlers run inside the workflow; the bronze crawler is run by hand
# (runbook PASSO 2) after new bronze data or a bronze schema change.

resource "aws_glue_crawler" "this" {
  for_each = local.crawlers

  name          = each.value.name
  description   = each.value.description
  database_name = aws_glue_catalog_database.this.name
  role          = local.crawler_role_arns[each.key]
  table_prefix  = each.value.table_prefix
  configuration = local.crawler_configuration

  s3_target {
    path = local.crawler_targets[each.key]
    # Spark's folder markers, success flags and uncommitted attempts are not data.
    exclusions = ["**_$folder$", "**/_SUCCESS", "**/_temporary/**"]
  }

  schema_change_policy {
    update_behavior = "UPDATE_IN_DATABASE"
    delete_behavior = "LOG"
  }

  # UPDATE_IN_DATABASE needs a full crawl (incremental crawls require LOG/LOG).
  recrawl_policy {
    recrawl_behavior = "CRAWL_EVERYTHING"
  }

  tags = {
    Table = each.value.table
  }

  # The role ARN is built from variables; make sure the role, its policy and the log group exist
  # before the crawler does.
  depends_on = [
    aws_iam_role.crawler,
    aws_iam_role_policy.crawler,
    aws_cloudwatch_log_group.crawlers,
  ]
}

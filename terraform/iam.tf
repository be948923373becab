# One IAM role per crawler and per job, each with an inline least-privilege policy written from
# what that crawler/job really does (locals.tf describes reads, writes and tables):
#
# Crawlers: list + read their one S3 folder; read/create/update their one table and its
#   partitions in the pipeline database (incl. glue:GetPartition and glue:BatchGetPartition,
#   the runbook's "Problema 2" AccessDenied); write to the /aws-glue/crawlers log group.
# Jobs: read the job script, its SQL and the shared driver (--extra-py-files); read/write their own Glue temp folder; read the S3 data
#   behind the catalog tables they read and the paths they read directly; write (put/delete,
#   `<folder>*` so Spark's `<folder>_$folder$` markers are covered) only their output folder;
#   read the catalog (pipeline database and `default`, which Spark touches when
#   --enable-glue-datacatalog is on); write their CloudWatch logs under /aws-glue/jobs/; publish
#   job metrics.
#   The jobs write Parquet by path and leave cataloging to the crawlers, so they get no catalog
#   write permission (no glue:BatchCreatePartition).
#
# Inline policies name their role by `aws_iam_role.x.name` (known at plan time, unlike `.id`), so
# a static check of the plan can tell which policy belongs to which role.
#
# Role ARNs are also built in locals.tf (from var.account_id) so that crawlers and jobs have a
# known role ARN at plan time; the postcondition below fails the apply early if account_id is
# not the account being deployed to.

data "aws_iam_policy_document" "glue_assume_role" {
  statement {
    sid     = "GlueAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

# --- Crawlers -------------------------------------------------------------------------------------

resource "aws_iam_role" "crawler" {
  for_each = local.crawlers

  name               = each.value.role_name
  description        = "Role of the Glue crawler ${each.value.name}."
  assume_role_policy = data.aws_iam_policy_document.glue_assume_role.json

  lifecycle {
    postcondition {
      condition     = self.arn == local.crawler_role_arns[each.key]
      error_message = "The role ARN ${self.arn} does not match the ARN built from var.account_id (${local.crawler_role_arns[each.key]}): set account_id to the account you deploy to."
    }
  }
}

data "aws_iam_policy_document" "crawler" {
  for_each = local.crawlers

  statement {
    sid       = "ListSourceBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arns[each.value.bucket]]
  }

  statement {
    sid       = "ReadSourceObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arns[each.value.bucket]}/${each.value.folder}/*"]
  }

  statement {
    sid    = "CatalogTheTable"
    effect = "Allow"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:BatchCreatePartition",
      "glue:UpdatePartition",
      "glue:BatchUpdatePartition",
    ]
    resources = [
      local.glue_catalog_arn,
      local.glue_database_arn,
      "${local.glue_arn_prefix}:table/${local.database_name}/${each.value.table}",
    ]
  }

  statement {
    sid     = "CreateCrawlerLogGroup"
    effect  = "Allow"
    actions = ["logs:CreateLogGroup"]
    resources = [
      "${local.logs_arn_prefix}${local.crawler_log_group}",
      "${local.logs_arn_prefix}${local.crawler_log_group}:*",
    ]
  }

  statement {
    sid       = "WriteCrawlerLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.logs_arn_prefix}${local.crawler_log_group}:*"]
  }
}

resource "aws_iam_role_policy" "crawler" {
  for_each = local.crawlers

  name   = "${each.value.role_name}-policy"
  role   = aws_iam_role.crawler[each.key].name
  policy = data.aws_iam_policy_document.crawler[each.key].json
}

# --- Jobs -----------------------------------------------------------------------------------------

resource "aws_iam_role" "job" {
  for_each = local.jobs

  name               = each.value.role_name
  description        = "Role of the Glue job ${each.value.name}."
  assume_role_policy = data.aws_iam_policy_document.glue_assume_role.json

  lifecycle {
    postcondition {
      condition     = self.arn == local.job_role_arns[each.key]
      error_message = "The role ARN ${self.arn} does not match the ARN built from var.account_id (${local.job_role_arns[each.key]}): set account_id to the account you deploy to."
    }
  }
}

data "aws_iam_policy_document" "job" {
  for_each = local.jobs

  statement {
    sid     = "ReadScriptAndSql"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arns.glue_scripts}/${local.job_script_keys[each.key]}",
      "${local.bucket_arns.glue_scripts}/${local.job_sql_keys[each.key]}",
      "${local.bucket_arns.glue_scripts}/${local.job_library_key}",
    ]
  }

  statement {
    sid     = "ListBuckets"
    effect  = "Allow"
    actions = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = distinct(concat(
      [for r in each.value.reads : local.bucket_arns[r.bucket]],
      [local.bucket_arns[each.value.output.bucket], local.bucket_arns.glue_temp],
    ))
  }

  statement {
    sid       = "ReadInputs"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [for r in each.value.reads : "${local.bucket_arns[r.bucket]}/${r.folder}/*"]
  }

  statement {
    sid    = "WriteOutputAndTemp"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
    ]
    resources = [
      "${local.bucket_arns[each.value.output.bucket]}/${each.value.output.folder}*",
      "${local.bucket_arns.glue_temp}/${each.key}*",
    ]
  }

  statement {
    sid    = "ReadCatalog"
    effect = "Allow"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:GetUserDefinedFunctions",
    ]
    resources = concat(
      [local.glue_catalog_arn, local.glue_database_arn, local.glue_default_database_arn],
      [for t in each.value.catalog_tables : "${local.glue_arn_prefix}:table/${local.database_name}/${t}"],
    )
  }

  # Glue writes a job's logs to several groups under /aws-glue/jobs/: the standard output and
  # error groups, the default continuous-logging group (logs-v2) and the job's own continuous
  # group (--continuous-log-logGroup = /aws-glue/jobs/<job name>). Scoped to that path, as in
  # AWS's Glue service policy; lakegate's requirement data (tf_checks/requirements) asks for it.
  statement {
    sid     = "WriteJobLogs"
    effect  = "Allow"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.logs_arn_prefix}${local.glue_job_log_group_root}/*",
      "${local.logs_arn_prefix}${local.glue_job_log_group_root}/*:*",
    ]
  }

  # --enable-metrics: PutMetricData has no resource-level permissions (AWS's Glue service policy
  # grants it on "*" too).
  statement {
    sid       = "PublishGlueMetrics"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "job" {
  for_each = local.jobs

  name   = "${each.value.role_name}-policy"
  role   = aws_iam_role.job[each.key].name
  policy = data.aws_iam_policy_document.job[each.key].json
}

locals {
  scripts_prefix = "s3://${aws_s3_bucket.this["artifacts"].bucket}/glue-scripts"
  lake           = "s3://${aws_s3_bucket.this["lake"].bucket}"

  spark_jobs = {
    clean-orders = {
      script = "clean_orders.py"
      args = {
        "--job-bookmark-option" = "job-bookmark-enable"
        "--SOURCE_DATABASE"     = aws_glue_catalog_database.sales.name
        "--SOURCE_TABLE"        = "raw_orders"
        "--TARGET_URI"          = "${local.lake}/curated/orders/"
      }
    }
    orders-by-channel = {
      script = "orders_by_channel.py"
      args = {
        "--INPUT_URI"  = "s3://${aws_s3_bucket.this["landing"].bucket}/incoming/orders/"
        "--OUTPUT_URI" = "${local.lake}/reports/orders_by_channel/"
      }
    }
    daily-revenue = {
      script = "daily_revenue.py"
      args = {
        "--DATABASE"        = aws_glue_catalog_database.sales.name
        "--TABLE"           = "orders"
        "--MIN_ORDER_VALUE" = tostring(var.min_order_value)
        "--OUTPUT_URI"      = "${local.lake}/reports/daily_revenue/"
      }
    }
  }
}

resource "aws_glue_job" "spark" {
  for_each = local.spark_jobs

  name              = "${var.prefix}-${each.key}-${var.stage}"
  role_arn          = aws_iam_role.glue.arn
  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = 2
  timeout           = 30

  command {
    name            = "glueetl"
    script_location = "${local.scripts_prefix}/${each.value.script}"
    python_version  = "3"
  }

  default_arguments = merge({
    "--job-language"                     = "python"
    "--enable-continuous-cloudwatch-log" = "true"
    "--TempDir"                          = "s3://${aws_s3_bucket.this["artifacts"].bucket}/tmp/"
  }, each.value.args)
}

resource "aws_glue_job" "archive_landing" {
  name         = "${var.prefix}-archive-landing-${var.stage}"
  role_arn     = aws_iam_role.glue.arn
  max_capacity = 0.0625
  timeout      = 10

  command {
    name            = "pythonshell"
    script_location = "${local.scripts_prefix}/archive_landing.py"
    python_version  = "3.9"
  }

  default_arguments = {
    "--SOURCE_BUCKET" = aws_s3_bucket.this["landing"].bucket
    "--SOURCE_PREFIX" = "incoming/orders/"
    "--TARGET_BUCKET" = aws_s3_bucket.this["lake"].bucket
    "--TARGET_PREFIX" = "archive/orders/"
  }
}

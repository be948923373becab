provider "aws" {
  region = "us-west-2"
}

locals {
  create_role = var.role_mode == "dedicated" || var.force_dedicated_role
  crawler_paths = {
    invoices = "finance/invoices/"
    payments = "finance/payments/"
  }
}

resource "aws_s3_bucket" "finance" {
  bucket = "${var.name_prefix}-finance-raw"
}

resource "aws_glue_catalog_database" "finance" {
  name = "${var.name_prefix}_finance"
}

resource "aws_iam_role" "crawler" {
  count = local.create_role ? 1 : 0
  name  = "${var.name_prefix}-finance-crawler"
  path  = "/service-role/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "crawler" {
  count = local.create_role ? 1 : 0
  name  = "crawl-finance"
  role  = aws_iam_role.crawler[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = aws_s3_bucket.finance.arn
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.finance.arn}/${local.crawler_paths.invoices}*"]
      },
      {
        Effect   = "Allow"
        Action   = ["glue:*"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:*:*:log-group:/aws-glue/crawlers*"
      }
    ]
  })
}

resource "aws_glue_crawler" "finance" {
  for_each      = local.crawler_paths
  name          = "${var.name_prefix}-${each.key}"
  database_name = aws_glue_catalog_database.finance.name
  role          = var.role_mode == "dedicated" || var.force_dedicated_role ? aws_iam_role.crawler[0].arn : var.shared_role_arn

  s3_target {
    path = "s3://${aws_s3_bucket.finance.bucket}/${each.value}"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

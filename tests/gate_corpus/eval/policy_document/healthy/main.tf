provider "aws" {
  region = "eu-west-1"
}

variable "app_shortcode" {
  type    = string
  default = "tlm"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_s3_bucket" "telemetry" {
  bucket = "${var.app_shortcode}-telemetry-landing"
}

resource "aws_glue_catalog_database" "telemetry" {
  name = "${var.app_shortcode}_telemetry"
}

data "aws_iam_policy_document" "glue_assume_role_policy" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "glue_role" {
  name               = "${var.app_shortcode}_glue_role"
  assume_role_policy = data.aws_iam_policy_document.glue_assume_role_policy.json
}

data "aws_iam_policy_document" "crawler" {
  statement {
    sid       = "ListLanding"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.telemetry.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["devices/*", "devices/"]
    }
  }

  statement {
    sid       = "ReadLanding"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.telemetry.arn}/devices/*"]
  }

  statement {
    sid = "Catalog"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:UpdatePartition",
      "glue:BatchCreatePartition",
    ]
    resources = [
      "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:catalog",
      aws_glue_catalog_database.telemetry.arn,
      "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/${aws_glue_catalog_database.telemetry.name}/*",
    ]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws-glue/crawlers:*"]
  }
}

resource "aws_iam_role_policy" "crawler" {
  name   = "${var.app_shortcode}_glue_inline_policy"
  role   = aws_iam_role.glue_role.id
  policy = data.aws_iam_policy_document.crawler.json
}

resource "aws_glue_crawler" "devices" {
  name          = "${var.app_shortcode}-devices"
  database_name = aws_glue_catalog_database.telemetry.name
  role          = aws_iam_role.glue_role.arn

  s3_target {
    path = "s3://${aws_s3_bucket.telemetry.id}/devices/"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

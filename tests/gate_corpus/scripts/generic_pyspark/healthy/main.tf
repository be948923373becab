provider "aws" {
  region = "us-west-2"
}

variable "project" {
  default = "clickstream"
}

variable "stage" {
  default = "dev"
}

locals {
  name_prefix = "${var.project}-${var.stage}"
  buckets = {
    raw      = "${local.name_prefix}-raw"
    refined  = "${local.name_prefix}-refined"
    artifact = "${local.name_prefix}-glue-artifacts"
  }
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets
  bucket   = each.value
}

resource "aws_glue_catalog_database" "refined" {
  name = replace("${local.name_prefix}_refined", "-", "_")
}

resource "aws_iam_role" "glue" {
  name = "${local.name_prefix}-glue"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.glue.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

data "aws_iam_policy_document" "data_access" {
  statement {
    sid       = "ReadRaw"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${local.buckets.raw}/*"]
  }
  statement {
    sid       = "ReadWriteRefined"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::${local.buckets.refined}/*"]
  }
  statement {
    sid     = "ListBuckets"
    actions = ["s3:ListBucket"]
    resources = [
      "arn:aws:s3:::${local.buckets.raw}",
      "arn:aws:s3:::${local.buckets.refined}",
    ]
  }
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::${local.buckets.artifact}/*"]
  }
  statement {
    sid       = "ListArtifacts"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${local.buckets.artifact}"]
  }
}

resource "aws_iam_role_policy" "data_access" {
  name   = "data-access"
  role   = aws_iam_role.glue.id
  policy = data.aws_iam_policy_document.data_access.json
}

resource "aws_s3_object" "sessionize" {
  bucket = aws_s3_bucket.this["artifact"].id
  key    = "jobs/sessionize.py"
  source = "jobs/sessionize.py"
}

resource "aws_glue_job" "sessionize" {
  name         = "${local.name_prefix}-sessionize"
  role_arn     = aws_iam_role.glue.arn
  glue_version = "4.0"
  worker_type  = "G.1X"

  number_of_workers = 5
  timeout           = 60

  command {
    name            = "glueetl"
    script_location = "s3://${aws_s3_bucket.this["artifact"].bucket}/jobs/sessionize.py"
  }

  default_arguments = {
    "--TempDir"     = "s3://${local.buckets.artifact}/tmp/"
    "--input_path"  = "s3://${local.buckets.raw}/events/"
    "--output_path" = "s3://${local.buckets.refined}/sessions/"
  }
}

resource "aws_glue_crawler" "sessions" {
  name          = "${local.name_prefix}-sessions"
  role          = aws_iam_role.glue.arn
  database_name = aws_glue_catalog_database.refined.name

  s3_target {
    path = "s3://${local.buckets.refined}/sessions/"
  }

  configuration = jsonencode({
    Version = 1.0
    Grouping = {
      TableGroupingPolicy = "CombineCompatibleSchemas"
    }
  })
}

resource "aws_glue_workflow" "daily" {
  name = "${local.name_prefix}-daily"
}

resource "aws_glue_trigger" "start" {
  name          = "${local.name_prefix}-start"
  type          = "SCHEDULED"
  schedule      = "cron(15 2 * * ? *)"
  workflow_name = aws_glue_workflow.daily.name

  actions {
    job_name = aws_glue_job.sessionize.name
  }
}

resource "aws_glue_trigger" "crawl_sessions" {
  name          = "${local.name_prefix}-crawl-sessions"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.daily.name

  predicate {
    conditions {
      job_name = aws_glue_job.sessionize.name
      state    = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.sessions.name
  }
}

provider "aws" {
  region = "ap-northeast-1"
}

locals {
  prefix = "iot-metrics"
  bucket = "iot-metrics-lake-dev"
}

resource "aws_s3_bucket" "lake" {
  bucket = local.bucket
}

resource "aws_glue_catalog_database" "metrics" {
  name = "iot_metrics"
}

resource "aws_iam_role" "glue" {
  name = "${local.prefix}-glue"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "glue.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.glue.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_role_policy" "lake" {
  name = "lake"
  role = aws_iam_role.glue.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.lake.arn}/*"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = aws_s3_bucket.lake.arn
      }
    ]
  })
}

resource "aws_s3_object" "scripts" {
  for_each = toset(["stage_readings", "hourly_rollup"])

  bucket = aws_s3_bucket.lake.id
  key    = "glue-scripts/${each.key}.py"
  source = "scripts/${each.key}.py"
}

resource "aws_glue_job" "stage_readings" {
  name     = "${local.prefix}-stage-readings"
  role_arn = aws_iam_role.glue.arn

  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = 2

  command {
    script_location = "s3://${local.bucket}/glue-scripts/stage_readings.py"
  }

  default_arguments = {
    "--src" = "s3://${local.bucket}/incoming/readings/"
    "--dst" = "s3://${local.bucket}/staged/readings/"
  }
}

resource "aws_glue_job" "hourly_rollup" {
  name     = "${local.prefix}-hourly-rollup"
  role_arn = aws_iam_role.glue.arn

  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = 2

  command {
    script_location = "s3://${local.bucket}/glue-scripts/hourly_rollup.py"
  }

  default_arguments = {
    "--src" = "s3://${local.bucket}/staged/readings/"
    "--dst" = "s3://${local.bucket}/rollups/hourly/"
  }
}

resource "aws_glue_crawler" "rollups" {
  name          = "${local.prefix}-rollups"
  role          = aws_iam_role.glue.name
  database_name = aws_glue_catalog_database.metrics.name

  s3_target {
    path = "s3://${local.bucket}/rollups/hourly/"
  }
}

resource "aws_glue_workflow" "hourly" {
  name = "${local.prefix}-hourly"
}

resource "aws_glue_trigger" "every_hour" {
  name          = "${local.prefix}-every-hour"
  type          = "SCHEDULED"
  schedule      = "cron(5 * * * ? *)"
  workflow_name = aws_glue_workflow.hourly.name

  actions {
    job_name = aws_glue_job.stage_readings.name
  }

  actions {
    job_name = aws_glue_job.hourly_rollup.name
  }
}

resource "aws_glue_trigger" "rollup_after_stage" {
  name          = "${local.prefix}-rollup-after-stage"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.hourly.name

  predicate {
    conditions {
      job_name = aws_glue_job.stage_readings.name
      state    = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.hourly_rollup.name
  }
}

resource "aws_glue_trigger" "crawl_rollups" {
  name          = "${local.prefix}-crawl-rollups"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.hourly.name

  predicate {
    conditions {
      job_name = aws_glue_job.hourly_rollup.name
      state    = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.rollups.name
  }
}

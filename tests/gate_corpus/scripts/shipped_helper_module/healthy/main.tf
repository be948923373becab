provider "aws" {
  region = "eu-west-2"
}

locals {
  app            = "fleet-telemetry"
  data_bucket    = "${local.app}-data-prod"
  scripts_bucket = "${local.app}-glue-scripts-prod"
}

resource "aws_s3_bucket" "data" {
  bucket = local.data_bucket
}

resource "aws_s3_bucket" "scripts" {
  bucket = local.scripts_bucket
}

resource "aws_s3_object" "job" {
  bucket = aws_s3_bucket.scripts.id
  key    = "jobs/daily_trip_summary.py"
  source = "glue/daily_trip_summary.py"
  etag   = filemd5("glue/daily_trip_summary.py")
}

resource "aws_s3_object" "common" {
  bucket = aws_s3_bucket.scripts.id
  key    = "lib/etl_common.py"
  source = "glue/lib/etl_common.py"
  etag   = filemd5("glue/lib/etl_common.py")
}

resource "aws_iam_role" "job" {
  name = "${local.app}-trip-summary"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "glue.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "job" {
  name = "trip-summary"
  role = aws_iam_role.job.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Code"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${aws_s3_bucket.scripts.arn}/*"
      },
      {
        Sid      = "ReadTrips"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${aws_s3_bucket.data.arn}/trips/*"
      },
      {
        Sid      = "WriteSummaries"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = ["${aws_s3_bucket.data.arn}/summaries/*", "${aws_s3_bucket.data.arn}/tmp*"]
      },
      {
        Sid      = "List"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = aws_s3_bucket.data.arn
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:*:*:*"
      }
    ]
  })
}

resource "aws_glue_job" "daily_trip_summary" {
  name         = "${local.app}-daily-trip-summary"
  role_arn     = aws_iam_role.job.arn
  glue_version = "4.0"
  worker_type  = "G.1X"

  number_of_workers = 4

  command {
    script_location = "s3://${aws_s3_object.job.bucket}/${aws_s3_object.job.key}"
  }

  default_arguments = {
    "--extra-py-files" = "s3://${aws_s3_object.common.bucket}/${aws_s3_object.common.key}"
    "--TempDir"        = "s3://${local.data_bucket}/tmp/"
    "--DATA_BUCKET"    = local.data_bucket
    "--RUN_DATE"       = "latest"
  }
}

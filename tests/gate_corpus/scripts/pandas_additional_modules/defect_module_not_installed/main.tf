provider "aws" {
  region = "ca-central-1"
}

variable "name" {
  default = "finance-reports"
}

resource "aws_s3_bucket" "reports" {
  bucket = "${var.name}-store"
}

resource "aws_s3_bucket" "glue" {
  bucket = "aws-glue-assets-${var.name}"
}

resource "aws_s3_object" "monthly_excel" {
  bucket = aws_s3_bucket.glue.id
  key    = "scripts/monthly_excel.py"
  source = "etl/monthly_excel.py"
}

resource "aws_iam_role" "glue" {
  name = "${var.name}-glue"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "glue.amazonaws.com" }
    }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]
}

resource "aws_iam_role_policy" "reports" {
  name = "reports"
  role = aws_iam_role.glue.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${aws_s3_bucket.reports.arn}/exports/*"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = "${aws_s3_bucket.reports.arn}/monthly/*"
      }
    ]
  })
}

resource "aws_glue_job" "monthly_excel" {
  name         = "${var.name}-monthly-excel"
  role_arn     = aws_iam_role.glue.arn
  glue_version = "4.0"

  number_of_workers = 2
  worker_type       = "G.1X"

  command {
    script_location = "s3://${aws_s3_bucket.glue.id}/${aws_s3_object.monthly_excel.key}"
  }

  default_arguments = {
    "--reports_bucket"                  = aws_s3_bucket.reports.bucket
  }
}

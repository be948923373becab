provider "aws" {
  region = "ca-central-1"
}

locals {
  name = "adventure-crm"
}

resource "aws_s3_bucket" "data" {
  bucket = "${local.name}-data"
}

resource "aws_s3_bucket" "glue" {
  bucket = "${local.name}-glue"
}

resource "aws_secretsmanager_secret" "crm_api" {
  name = "${local.name}/api-token"
}

resource "aws_iam_role" "job" {
  name = "${local.name}-load"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "job" {
  name = "load-crm"
  role = aws_iam_role.job.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Secret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = aws_secretsmanager_secret.crm_api.arn
      },
      {
        Sid      = "Buckets"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [aws_s3_bucket.data.arn, aws_s3_bucket.glue.arn]
      },
      {
        Sid      = "Objects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = ["${aws_s3_bucket.data.arn}/*"]
      },
      {
        Sid      = "Scripts"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.glue.arn}/libs/*"]
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:*:*:log-group:/aws-glue/*"
      }
    ]
  })
}

resource "aws_s3_object" "load_crm" {
  bucket = aws_s3_bucket.glue.id
  key    = "scripts/load_crm.py"
  source = "${path.module}/scripts/load_crm.py"
}

resource "aws_glue_job" "load_crm" {
  name         = "${local.name}-load"
  role_arn     = aws_iam_role.job.arn
  glue_version = "4.0"
  max_retries  = 1

  command {
    script_location = "s3://${aws_s3_bucket.glue.id}/${aws_s3_object.load_crm.key}"
  }

  default_arguments = {
    "--secret_arn"  = aws_secretsmanager_secret.crm_api.arn
    "--input_path"  = "s3://${aws_s3_bucket.data.id}/export/"
    "--output_path" = "s3://${aws_s3_bucket.data.id}/crm/"
  }
}

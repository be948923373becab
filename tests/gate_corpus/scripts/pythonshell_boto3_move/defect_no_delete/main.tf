terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  type    = string
  default = "eu-central-1"
}

variable "landing_bucket_name" {
  type    = string
  default = "partner-feeds-landing-prd"
}

variable "archive_bucket_name" {
  type    = string
  default = "partner-feeds-archive-prd"
}

resource "aws_s3_bucket" "landing" {
  bucket = var.landing_bucket_name
}

resource "aws_s3_bucket" "archive" {
  bucket = var.archive_bucket_name
}

resource "aws_s3_bucket" "code" {
  bucket = "partner-feeds-code-prd"
}

resource "aws_s3_object" "mover" {
  bucket = aws_s3_bucket.code.bucket
  key    = "pythonshell/archive_feeds.py"
  source = "scripts/archive_feeds.py"
}

resource "aws_iam_role" "mover" {
  name = "partner-feeds-mover"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
    }]
  })
}

resource "aws_iam_policy" "mover" {
  name = "partner-feeds-mover"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [aws_s3_bucket.landing.arn, aws_s3_bucket.archive.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.landing.arn}/incoming/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = ["${aws_s3_bucket.archive.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.code.arn}/pythonshell/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:*:*:log-group:/aws-glue/*"]
      }
    ]
  })
}

resource "aws_iam_role_policy_attachment" "mover" {
  role       = aws_iam_role.mover.name
  policy_arn = aws_iam_policy.mover.arn
}

resource "aws_glue_job" "archive_feeds" {
  name         = "partner-feeds-archive"
  role_arn     = aws_iam_role.mover.arn
  max_capacity = 0.0625
  glue_version = "3.0"

  command {
    name            = "pythonshell"
    python_version  = "3.9"
    script_location = "s3://${aws_s3_object.mover.bucket}/${aws_s3_object.mover.key}"
  }

  default_arguments = {
    "--source-bucket"  = aws_s3_bucket.landing.bucket
    "--archive-bucket" = aws_s3_bucket.archive.bucket
    "--prefix"         = "incoming/"
  }
}

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "env" {
  type    = string
  default = "staging"
}

locals {
  lake_bucket   = "acme-orders-lake-${var.env}"
  assets_bucket = "aws-glue-assets-acme-orders-${var.env}"
}

resource "aws_s3_bucket" "lake" {
  bucket = local.lake_bucket
}

resource "aws_s3_bucket" "assets" {
  bucket = local.assets_bucket
}

resource "aws_glue_catalog_database" "raw" {
  name = "orders_raw_${var.env}"
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "etl" {
  name               = "orders-etl-${var.env}"
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

resource "aws_iam_role_policy_attachment" "glue_service" {
  role       = aws_iam_role.etl.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_role_policy" "lake_access" {
  name = "lake-access"
  role = aws_iam_role.etl.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadRaw"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:aws:s3:::${local.lake_bucket}/raw/*"]
      },
      {
        Sid      = "WriteCurated"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["arn:aws:s3:::${local.lake_bucket}/curated/*"]
      },
      {
        Sid      = "ListLake"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = ["arn:aws:s3:::${local.lake_bucket}"]
      }
    ]
  })
}

resource "aws_glue_crawler" "orders_raw" {
  name          = "orders-raw-${var.env}"
  database_name = aws_glue_catalog_database.raw.name
  role          = aws_iam_role.etl.arn

  s3_target {
    path = "s3://${local.lake_bucket}/raw/orders/"
  }
}

resource "aws_s3_object" "script" {
  bucket = aws_s3_bucket.assets.id
  key    = "scripts/orders_to_curated.py"
  source = "${path.module}/glue/orders_to_curated.py"
  etag   = filemd5("${path.module}/glue/orders_to_curated.py")
}

resource "aws_glue_job" "orders_to_curated" {
  name              = "orders-to-curated-${var.env}"
  role_arn          = aws_iam_role.etl.arn
  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = 2

  command {
    script_location = "s3://${aws_s3_bucket.assets.bucket}/${aws_s3_object.script.key}"
    python_version  = "3"
  }

  default_arguments = {
    "--job-bookmark-option" = "job-bookmark-enable"
    "--TempDir"             = "s3://${aws_s3_bucket.assets.bucket}/temporary/"
    "--source_db"           = aws_glue_catalog_database.raw.name
    "--source_tbl"          = "orders"
    "--target"              = "s3://${local.lake_bucket}/curated/orders/"
  }
}

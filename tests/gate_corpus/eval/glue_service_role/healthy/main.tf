terraform {
  required_version = ">= 1.3"
}

provider "aws" {
  region = "ap-southeast-2"
}

variable "tag_postfix" {
  default = "-prod"
}

resource "aws_s3_bucket" "datalake" {
  bucket = "fabrikam-datalake${var.tag_postfix}"
}

resource "aws_s3_bucket" "glue_assets" {
  bucket = "aws-glue-assets-fabrikam${var.tag_postfix}"
}

resource "aws_glue_catalog_database" "sales" {
  name = "sales-db${var.tag_postfix}"
}

resource "aws_iam_role" "glue_service_role" {
  name               = "glue-service-role${var.tag_postfix}"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": "sts:AssumeRole",
      "Principal": {
        "Service": "glue.amazonaws.com"
      },
      "Effect": "Allow",
      "Sid": ""
    }
  ]
}
EOF
}

resource "aws_iam_role_policy_attachment" "glue_service" {
  role       = aws_iam_role.glue_service_role.id
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_policy" "datalake_access" {
  name        = "glue-datalake-access${var.tag_postfix}"
  description = "S3 access to the data lake bucket for Glue"
  policy      = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject"
      ],
      "Resource": [
        "${aws_s3_bucket.datalake.arn}/*"
      ]
    }
  ]
}
EOF
}

resource "aws_iam_role_policy_attachment" "datalake_access" {
  role       = aws_iam_role.glue_service_role.id
  policy_arn = aws_iam_policy.datalake_access.arn
}

resource "aws_glue_crawler" "sales_raw" {
  name          = "sales-raw-crawler${var.tag_postfix}"
  database_name = aws_glue_catalog_database.sales.name
  role          = aws_iam_role.glue_service_role.name
  table_prefix  = "raw_"

  s3_target {
    path = "s3://${aws_s3_bucket.datalake.bucket}/raw/sales/"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

resource "aws_s3_object" "sales_daily" {
  bucket = aws_s3_bucket.glue_assets.id
  key    = "scripts/sales_daily.py"
  source = "src/sales_daily.py"
}

resource "aws_glue_job" "sales_daily" {
  name         = "sales-daily${var.tag_postfix}"
  role_arn     = aws_iam_role.glue_service_role.arn
  glue_version = "4.0"

  command {
    script_location = "s3://${aws_s3_object.sales_daily.bucket}/${aws_s3_object.sales_daily.key}"
  }

  default_arguments = {
    "--input_path"  = "s3://${aws_s3_bucket.datalake.id}/raw/sales/"
    "--output_path" = "s3://${aws_s3_bucket.datalake.id}/curated/sales_daily/"
    "--TempDir"     = "s3://${aws_s3_bucket.glue_assets.id}/temporary/"
  }
}

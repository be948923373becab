# Glue jobs whose scripts CI uploads with `aws s3 sync src/ s3://<artifacts>/glue/` before
# `terraform apply`; Terraform only points the jobs at them.

provider "aws" {
  region = "us-east-1"
}

variable "environment" {
  type    = string
  default = "qa"
}

variable "artifacts_bucket" {
  type    = string
  default = "retail-analytics-artifacts-qa"
}

locals {
  lake = "retail-analytics-lake-${var.environment}"

  jobs = {
    load_transactions = {
      description = "CSV transactions from the landing zone into bronze Parquet"
      arguments = {
        "--landing_bucket" = local.lake
        "--dataset"        = "transactions"
        "--bronze_prefix"  = "bronze/transactions/"
      }
    }
    build_customer_360 = {
      description = "Join bronze customers and transactions into the customer 360 table"
      arguments = {
        "--catalog_db"  = aws_glue_catalog_database.bronze.name
        "--output_path" = "s3://${local.lake}/gold/customer_360/"
      }
    }
  }
}

resource "aws_s3_bucket" "lake" {
  bucket = local.lake
}

resource "aws_glue_catalog_database" "bronze" {
  name = "retail_bronze_${var.environment}"
}

resource "aws_glue_catalog_table" "customers" {
  name          = "customers"
  database_name = aws_glue_catalog_database.bronze.name
  table_type    = "EXTERNAL_TABLE"

  storage_descriptor {
    location      = "s3://${local.lake}/bronze/customers/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    columns {
      name = "customer_id"
      type = "string"
    }
    columns {
      name = "segment"
      type = "string"
    }
  }
}

resource "aws_glue_catalog_table" "transactions" {
  name          = "transactions"
  database_name = aws_glue_catalog_database.bronze.name
  table_type    = "EXTERNAL_TABLE"

  storage_descriptor {
    location      = "s3://${local.lake}/bronze/transactions/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    columns {
      name = "customer_id"
      type = "string"
    }
    columns {
      name = "amount"
      type = "double"
    }
  }
}

resource "aws_iam_role" "glue_jobs" {
  name = "retail-glue-jobs-${var.environment}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "glue.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "glue_service" {
  role       = aws_iam_role.glue_jobs.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_role_policy" "lake" {
  name = "lake"
  role = aws_iam_role.glue_jobs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = "arn:aws:s3:::${local.lake}"
      },
      {
        Effect = "Allow"
        Action = ["s3:GetObject"]
        Resource = [
          "arn:aws:s3:::${local.lake}/landing/*",
          "arn:aws:s3:::${local.lake}/bronze/*",
        ]
      },
      {
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = [
          "arn:aws:s3:::${local.lake}/bronze/transactions*",
          "arn:aws:s3:::${local.lake}/gold/*",
        ]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "arn:aws:s3:::${var.artifacts_bucket}/glue/*"
      }
    ]
  })
}

resource "aws_glue_job" "this" {
  for_each = local.jobs

  name              = "retail-${replace(each.key, "_", "-")}-${var.environment}"
  description       = each.value.description
  role_arn          = aws_iam_role.glue_jobs.arn
  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = 2

  command {
    script_location = "s3://${var.artifacts_bucket}/glue/${each.key}.py"
  }

  default_arguments = merge({
    "--enable-glue-datacatalog" = "true"
    "--job-language"            = "python"
  }, each.value.arguments)
}

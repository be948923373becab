provider "aws" {
  region = "eu-north-1"
}

variable "glue_role_arn" {
  description = "Role managed by the platform team (not by this stack)"
  type        = string
  default     = "arn:aws:iam::111122223333:role/platform/glue-etl-shared"
}

resource "aws_s3_bucket" "shipments" {
  bucket = "wingtip-shipments-data"
}

resource "aws_s3_bucket" "scripts" {
  bucket = "wingtip-glue-scripts"
}

resource "aws_glue_catalog_database" "logistics" {
  name = "logistics"
}

resource "aws_glue_crawler" "shipments" {
  name          = "shipments-raw"
  database_name = aws_glue_catalog_database.logistics.name
  role          = var.glue_role_arn

  s3_target {
    path = "s3://${aws_s3_bucket.shipments.bucket}/raw/"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

resource "aws_s3_object" "enrich" {
  bucket = aws_s3_bucket.scripts.bucket
  key    = "jobs/enrich_shipments.py"
  source = "${path.module}/glue/enrich_shipments.py"
}

resource "aws_glue_job" "enrich" {
  name     = "enrich-shipments"
  role_arn = var.glue_role_arn

  command {
    script_location = "s3://${aws_s3_bucket.scripts.bucket}/${aws_s3_object.enrich.key}"
  }

  default_arguments = {
    "--input_path"  = "s3://${aws_s3_bucket.shipments.bucket}/raw/"
    "--output_path" = "s3://${aws_s3_bucket.shipments.bucket}/enriched/"
  }
}

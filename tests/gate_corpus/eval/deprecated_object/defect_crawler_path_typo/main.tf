provider "aws" {
  region = "sa-east-1"
}

resource "aws_s3_bucket" "lake" {
  bucket = "tailspin-lake-raw"
}

# the folder marker the ingestion writes into; created here so the crawler target exists
resource "aws_s3_bucket_object" "events_prefix" {
  bucket  = aws_s3_bucket.lake.id
  key     = "landing/event/"
  content = ""
}

resource "aws_glue_catalog_database" "raw" {
  name = "tailspin_raw"
}

resource "aws_iam_role" "crawler" {
  name = "tailspin-events-crawler"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]

  inline_policy {
    name = "events"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${aws_s3_bucket.lake.arn}/landing/events/*"
      }]
    })
  }
}

resource "aws_glue_crawler" "events" {
  name          = "tailspin-events"
  database_name = aws_glue_catalog_database.raw.name
  role          = aws_iam_role.crawler.name

  s3_target {
    path = "s3://${aws_s3_bucket.lake.id}/${aws_s3_bucket_object.events_prefix.id}"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

# Buckets per zone with for_each, the account id in their names, and a policy document whose
# resources are a for expression over the whole bucket resource: a style common in public
# Glue/data-lake repositories. The bucket names depend on data.aws_caller_identity, so neither
# the plan nor the configuration evaluator knows the ARNs: the gate must say it cannot verify the
# role's policy (once), not report the crawler's S3 reads as missing.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

locals {
  zones = toset(["raw", "refined"])
}

resource "aws_s3_bucket" "zone" {
  for_each = local.zones
  bucket   = "acme-${each.key}-${data.aws_caller_identity.current.account_id}"
}

resource "aws_iam_role" "crawler" {
  name = "acme-raw-crawler"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "glue.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.crawler.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

data "aws_iam_policy_document" "zones" {
  statement {
    actions   = ["s3:ListBucket"]
    resources = [for b in aws_s3_bucket.zone : b.arn]
  }
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [for b in aws_s3_bucket.zone : "${b.arn}/*"]
  }
}

resource "aws_iam_role_policy" "zones" {
  name   = "zones"
  role   = aws_iam_role.crawler.id
  policy = data.aws_iam_policy_document.zones.json
}

resource "aws_glue_catalog_database" "raw" {
  name = "acme_raw"
}

resource "aws_glue_crawler" "raw" {
  name          = "acme-raw"
  role          = aws_iam_role.crawler.arn
  database_name = aws_glue_catalog_database.raw.name
  s3_target {
    path = "s3://${aws_s3_bucket.zone["raw"].bucket}/events/"
  }
}

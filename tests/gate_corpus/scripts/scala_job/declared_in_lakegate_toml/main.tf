provider "aws" {
  region = "us-east-2"
}

locals {
  bucket = "ledger-pipeline-prod-data"
}

resource "aws_s3_bucket" "data" {
  bucket = local.bucket
}

resource "aws_s3_object" "jar_main" {
  bucket = aws_s3_bucket.data.id
  key    = "glue/scala/DedupLedger.scala"
  source = "scala/DedupLedger.scala"
}

resource "aws_iam_role" "glue" {
  name = "ledger-dedup-glue"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "glue.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.glue.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_role_policy" "data" {
  name = "data"
  role = aws_iam_role.glue.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.data.arn}/*"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = aws_s3_bucket.data.arn
      }
    ]
  })
}

resource "aws_glue_job" "dedup_ledger" {
  name         = "ledger-dedup"
  role_arn     = aws_iam_role.glue.arn
  glue_version = "4.0"
  worker_type  = "G.2X"

  number_of_workers = 4

  command {
    script_location = "s3://${aws_s3_object.jar_main.bucket}/${aws_s3_object.jar_main.key}"
  }

  default_arguments = {
    "--job-language" = "scala"
    "--class"        = "DedupLedger"
    "--input"        = "s3://${local.bucket}/ledger/raw/"
    "--output"       = "s3://${local.bucket}/ledger/dedup/"
  }
}

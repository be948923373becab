provider "aws" {
  region = "us-east-1"
}

variable "team" {
  default = "analytics"
}

resource "aws_s3_bucket" "events" {
  bucket = "${var.team}-clickstream-events"
}

resource "aws_glue_catalog_database" "events" {
  name = "${var.team}_events"
}

# Every role the team creates must carry this boundary (set by the platform team's SCP).
resource "aws_iam_policy" "boundary" {
  name = "${var.team}-permissions-boundary"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "TeamData"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
        Resource = [aws_s3_bucket.events.arn, "${aws_s3_bucket.events.arn}/*"]
      },
      {
        Sid      = "Catalog"
        Effect   = "Allow"
        Action   = ["glue:Get*", "glue:BatchGet*", "glue:CreateTable", "glue:UpdateTable", "glue:UpdatePartition"]
        Resource = "*"
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:*"]
        Resource = "*"
      }
    ]
  })
}

resource "aws_iam_role" "crawler" {
  name                 = "${var.team}-events-crawler"
  permissions_boundary = aws_iam_policy.boundary.arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.crawler.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_role_policy" "events" {
  name = "read-events"
  role = aws_iam_role.crawler.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "${aws_s3_bucket.events.arn}/*"
    }]
  })
}

resource "aws_glue_crawler" "events" {
  name          = "${var.team}-clickstream"
  database_name = aws_glue_catalog_database.events.name
  role          = aws_iam_role.crawler.arn

  s3_target {
    path = "s3://${aws_s3_bucket.events.bucket}/clickstream/"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

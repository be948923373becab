resource "aws_s3_bucket" "logs_east" {
  bucket = "litware-access-logs-use1"
}

resource "aws_s3_bucket" "logs_west" {
  provider = aws.oregon
  bucket   = "litware-access-logs-usw2"
}

resource "aws_glue_catalog_database" "east" {
  name = "access_logs"
}

resource "aws_glue_catalog_database" "west" {
  provider = aws.oregon
  name     = "access_logs"
}

resource "aws_iam_role" "crawler" {
  name = "litware-access-logs-crawler"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "crawler" {
  name = "crawl-access-logs"
  role = aws_iam_role.crawler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::litware-access-logs-*", "arn:aws:s3:::litware-access-logs-*/*"]
      },
      {
        Effect = "Allow"
        Action = ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable",
          "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
        "glue:CreatePartition", "glue:UpdatePartition", "glue:BatchCreatePartition"]
        Resource = [
          "arn:aws:glue:us-east-1:*:catalog",
          "arn:aws:glue:us-east-1:*:database/access_logs",
          "arn:aws:glue:us-east-1:*:table/access_logs/*",
          "arn:aws:glue:eu-west-1:*:catalog",
          "arn:aws:glue:eu-west-1:*:database/access_logs",
          "arn:aws:glue:eu-west-1:*:table/access_logs/*",
        ]
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:us-east-1:*:log-group:/aws-glue/crawlers:*", "arn:aws:logs:us-west-2:*:log-group:/aws-glue/crawlers:*"]
      }
    ]
  })
}

resource "aws_glue_crawler" "east" {
  name          = "access-logs-use1"
  database_name = aws_glue_catalog_database.east.name
  role          = aws_iam_role.crawler.arn

  s3_target {
    path = "s3://${aws_s3_bucket.logs_east.bucket}/cloudfront/"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

resource "aws_glue_crawler" "west" {
  provider      = aws.oregon
  name          = "access-logs-usw2"
  database_name = aws_glue_catalog_database.west.name
  role          = aws_iam_role.crawler.arn

  s3_target {
    path = "s3://${aws_s3_bucket.logs_west.bucket}/cloudfront/"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

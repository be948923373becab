provider "aws" {
  region = "us-east-2"
}

variable "env" {
  type    = string
  default = "dev"
}

variable "crawl_prefixes" {
  type    = list(string)
  default = ["orders", "customers"]
}

locals {
  lake_bucket = "contoso-lake-${var.env}"
  jobs = {
    orders    = { source = "landing/orders", target = "silver/orders", workers = 2 }
    customers = { source = "landing/customers", target = "silver/customers", workers = 3 }
  }
}

resource "aws_s3_bucket" "lake" {
  bucket = local.lake_bucket
}

resource "aws_s3_bucket" "code" {
  bucket = "contoso-glue-code-${var.env}"
}

resource "aws_glue_catalog_database" "landing" {
  name = "landing_${var.env}"
}

resource "aws_iam_role" "glue" {
  name = "contoso-glue-${var.env}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# no name: Terraform generates one, so the ARN is only known after apply
resource "aws_iam_policy" "glue_access" {
  name_prefix = "contoso-glue-access-"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [aws_s3_bucket.lake.arn, aws_s3_bucket.code.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.lake.arn}/landing/*", "${aws_s3_bucket.code.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = ["${aws_s3_bucket.code.arn}/tmp/*"]
      },
      {
        Effect = "Allow"
        Action = ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable",
          "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
        "glue:CreatePartition", "glue:UpdatePartition", "glue:BatchCreatePartition"]
        Resource = ["arn:aws:glue:*:*:catalog", "arn:aws:glue:*:*:database/${aws_glue_catalog_database.landing.name}",
        "arn:aws:glue:*:*:table/${aws_glue_catalog_database.landing.name}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:*:*:log-group:/aws-glue/*"
      }
    ]
  })
}

resource "aws_iam_role_policy_attachment" "glue_access" {
  role       = aws_iam_role.glue.name
  policy_arn = aws_iam_policy.glue_access.arn
}

resource "aws_glue_crawler" "landing" {
  count         = length(var.crawl_prefixes)
  name          = "landing-${var.crawl_prefixes[count.index]}-${var.env}"
  database_name = aws_glue_catalog_database.landing.name
  role          = aws_iam_role.glue.arn

  s3_target {
    path = "s3://${aws_s3_bucket.lake.bucket}/landing/${var.crawl_prefixes[count.index]}/"
  }
}

resource "aws_s3_object" "job_script" {
  for_each = local.jobs
  bucket   = aws_s3_bucket.code.id
  key      = "scripts/${each.key}.py"
  source   = "${path.module}/jobs/${each.key}.py"
}

resource "aws_glue_job" "etl" {
  for_each          = local.jobs
  name              = "${each.key}-to-silver-${var.env}"
  role_arn          = aws_iam_role.glue.arn
  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = each.value.workers

  command {
    script_location = "s3://${aws_s3_bucket.code.bucket}/${aws_s3_object.job_script[each.key].key}"
  }

  default_arguments = {
    "--input_path"  = "s3://${aws_s3_bucket.lake.id}/${each.value.source}/"
    "--output_path" = "s3://${aws_s3_bucket.lake.id}/${each.value.target}/"
    "--TempDir"     = "s3://${aws_s3_bucket.code.id}/tmp/${each.key}/"
  }
}

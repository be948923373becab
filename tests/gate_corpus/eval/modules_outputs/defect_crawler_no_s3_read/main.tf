locals {
  prefix = "${var.project}-${var.environment}"
  tags = {
    Project     = var.project
    Environment = var.environment
  }
}

module "raw" {
  source = "./modules/storage"
  name   = "${local.prefix}-raw"
  tags   = local.tags
}

module "curated" {
  source = "./modules/storage"
  name   = "${local.prefix}-curated"
  tags   = local.tags
}

module "artifacts" {
  source = "./modules/storage"
  name   = "${local.prefix}-glue-artifacts"
  tags   = local.tags
}

module "crawler_role" {
  source           = "./modules/glue_role"
  role_name        = "${local.prefix}-crawler"
  read_bucket_arns = [module.curated.bucket_arn]
}

module "etl_role" {
  source            = "./modules/glue_role"
  role_name         = "${local.prefix}-etl"
  read_bucket_arns  = [module.raw.bucket_arn]
  write_bucket_arns = [module.curated.bucket_arn, module.artifacts.bucket_arn]
}

resource "aws_glue_catalog_database" "raw" {
  name = replace("${local.prefix}_raw", "-", "_")
}

resource "aws_glue_crawler" "orders" {
  name          = "${local.prefix}-orders-raw"
  database_name = aws_glue_catalog_database.raw.name
  role          = module.crawler_role.role_arn

  s3_target {
    path = "s3://${module.raw.bucket_id}/orders/"
  }

  schema_change_policy {
    delete_behavior = "LOG"
    update_behavior = "UPDATE_IN_DATABASE"
  }

  configuration = jsonencode({
    Version  = 1.0
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}

resource "aws_s3_object" "clean_orders" {
  bucket = module.artifacts.bucket_id
  key    = "glue/scripts/clean_orders.py"
  source = "${path.module}/scripts/clean_orders.py"
  etag   = filemd5("${path.module}/scripts/clean_orders.py")
}

resource "aws_glue_job" "clean_orders" {
  name              = "${local.prefix}-clean-orders"
  role_arn          = module.etl_role.role_arn
  glue_version      = "4.0"
  worker_type       = "G.1X"
  number_of_workers = 2

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${module.artifacts.bucket_id}/${aws_s3_object.clean_orders.key}"
  }

  default_arguments = {
    "--job-language" = "python"
    "--input_path"   = "s3://${module.raw.bucket_id}/orders/"
    "--output_path"  = "s3://${module.curated.bucket_id}/orders_clean/"
    "--TempDir"      = "s3://${module.artifacts.bucket_id}/glue/tmp/"
  }
}

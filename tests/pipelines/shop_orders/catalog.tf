resource "aws_glue_catalog_database" "sales" {
  name        = "${var.prefix}_sales_${var.stage}"
  description = "Raw and curated sales data"
}

resource "aws_glue_crawler" "raw_orders" {
  name          = "${var.prefix}-raw-orders-${var.stage}"
  role          = aws_iam_role.glue.arn
  database_name = aws_glue_catalog_database.sales.name
  table_prefix  = "raw_"

  s3_target {
    path = "s3://${aws_s3_bucket.this["landing"].bucket}/incoming/orders/"
  }

  schema_change_policy {
    update_behavior = "UPDATE_IN_DATABASE"
    delete_behavior = "LOG"
  }
}

resource "aws_glue_crawler" "curated_orders" {
  name          = "${var.prefix}-curated-orders-${var.stage}"
  role          = aws_iam_role.glue.arn
  database_name = aws_glue_catalog_database.sales.name

  s3_target {
    path = "s3://${aws_s3_bucket.this["lake"].bucket}/curated/orders/"
  }

  configuration = jsonencode({
    Version = 1.0
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
  })
}

# The Glue Data Catalog database all four crawlers write their tables to.

resource "aws_glue_catalog_database" "this" {
  name        = local.database_name
  description = "Car telemetry data lake (${var.environment}): ${join(", ", local.expected_tables)}."
}

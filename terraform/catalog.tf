# The Glue Data Catalog database all four crawlers write their tables to.

# Deleting it deletes every table and partition definition the crawlers made: Terraform refuses.
resource "aws_glue_catalog_database" "this" {
  name        = local.database_name
  description = "Car telemetry data lake (${var.environment}): ${join(", ", local.expected_tables)}."

  lifecycle {
    prevent_destroy = true
  }
}

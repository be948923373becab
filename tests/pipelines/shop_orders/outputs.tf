output "workflow" {
  value = aws_glue_workflow.orders.name
}

output "landing_bucket" {
  value = aws_s3_bucket.this["landing"].bucket
}

output "lake_bucket" {
  value = aws_s3_bucket.this["lake"].bucket
}

output "region" {
  value = data.aws_region.current.name
}

locals {
  buckets = toset(["landing", "lake", "artifacts"])
}

resource "aws_s3_bucket" "this" {
  for_each      = local.buckets
  bucket        = "${var.prefix}-${each.key}-${var.stage}-${data.aws_caller_identity.current.account_id}"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_object" "glue_scripts" {
  for_each = fileset("${path.module}/glue", "*.py")

  bucket = aws_s3_bucket.this["artifacts"].id
  key    = "glue-scripts/${each.value}"
  source = "${path.module}/glue/${each.value}"
  etag   = filemd5("${path.module}/glue/${each.value}")
}

# The six buckets: bronze, silver, gold, Glue scripts, Glue temp, Athena results.
# All: versioned, encrypted at rest (SSE-S3; the scripts' ETag stays their MD5, which keeps
# `etag = filemd5(...)` on the script objects stable), all public access blocked, bucket owner
# enforced, old versions expired, TLS-only when var.deny_insecure_transport is true.
# Data safety (what `lakegate check` asks of every pipeline, LG-SAFE rules): the buckets hold the
# data layers, so Terraform refuses any plan that would destroy one (`prevent_destroy`, which
# must be a literal), and `force_destroy` is off unless var.force_destroy says this is a
# throw-away stack. lakegate's local target (`lakegate deploy --target local`, the tests) tears
# its stack down through an override file in its private working copy (lakegate/teardown.py),
# never through these defaults.

resource "aws_s3_bucket" "this" {
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy

  tags = {
    Layer = each.key
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = false
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket_tls_only" {
  for_each = var.deny_insecure_transport ? local.bucket_arns : {}

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value,
      "${each.value}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = var.deny_insecure_transport ? aws_s3_bucket.this : {}

  bucket = each.value.bucket
  policy = data.aws_iam_policy_document.bucket_tls_only[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# The Glue job scripts and their Spark SQL (kept as data, read by the script via --sql_path).
resource "aws_s3_object" "job_script" {
  for_each = local.jobs

  bucket       = aws_s3_bucket.this["glue_scripts"].bucket
  key          = local.job_script_keys[each.key]
  source       = "${path.module}/glue_jobs/${each.key}.py"
  etag         = filemd5("${path.module}/glue_jobs/${each.key}.py")
  content_type = "text/x-python"

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this]
}

# The shared job driver (lakegate_glue_job.py): one object, passed to every job with
# --extra-py-files.
resource "aws_s3_object" "job_library" {
  bucket       = aws_s3_bucket.this["glue_scripts"].bucket
  key          = local.job_library_key
  source       = "${path.module}/glue_jobs/lakegate_glue_job.py"
  etag         = filemd5("${path.module}/glue_jobs/lakegate_glue_job.py")
  content_type = "text/x-python"

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this]
}

resource "aws_s3_object" "job_sql" {
  for_each = local.jobs

  bucket       = aws_s3_bucket.this["glue_scripts"].bucket
  key          = local.job_sql_keys[each.key]
  source       = "${path.module}/glue_jobs/${each.key}.sql"
  etag         = filemd5("${path.module}/glue_jobs/${each.key}.sql")
  content_type = "text/plain"

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this]
}

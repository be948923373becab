variable "role_name" {
  type = string
}

variable "read_bucket_arns" {
  type = list(string)
}

variable "write_bucket_arns" {
  type    = list(string)
  default = []
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
}

resource "aws_iam_role_policy" "data" {
  name = "${var.role_name}-data"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ReadData"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = [for arn in var.read_bucket_arns : "${arn}/*"]
      }],
      length(var.write_bucket_arns) == 0 ? [] : [{
        Sid      = "WriteData"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = [for arn in var.write_bucket_arns : "${arn}/*"]
    }])
  })
}

output "role_arn" {
  value = aws_iam_role.this.arn
}

output "role_name" {
  value = aws_iam_role.this.name
}

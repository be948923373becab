# Terraform and provider requirements, and the AWS provider itself.
#
# The configuration uses no data source that calls an AWS API: every name and ARN is built from
# variables and locals, so `terraform plan` runs offline with fake credentials and the plan is
# (almost) fully known. See README.md for the offline provider override.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.common_tags
  }
}

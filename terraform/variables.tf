# Inputs. Names are `${project}-<component>-${environment}` (docs/DESIGN.md), so project and
# environment are restricted to characters valid in S3 bucket, Glue and IAM role names, and kept
# short enough that the longest derived name (an IAM role, max 64 characters) fits.

variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "datalake-pipeline"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,22}[a-z0-9]$", var.project))
    error_message = "project must be 3-24 characters of lower-case letters, digits and hyphens (it becomes part of S3 bucket and IAM role names)."
  }
}

variable "environment" {
  description = "Environment name, the last part of every resource name (dev, test, prod, ...)."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z0-9]{1,10}$", var.environment))
    error_message = "environment must be 1-10 lower-case letters or digits."
  }
}

variable "region" {
  description = "AWS region for every resource."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region code, e.g. us-east-1."
  }
}

variable "account_id" {
  description = "The AWS account ID the pipeline is deployed to. Used to build Glue catalog, log group and IAM role ARNs without calling AWS (so that a plan is fully known offline). SET IT TO YOUR ACCOUNT: a mismatch fails the apply at the first IAM role (postcondition) before anything uses a wrong ARN."
  type        = string
  default     = "123456789012"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "aws_partition" {
  description = "AWS partition used in ARNs: aws, aws-cn or aws-us-gov."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.aws_partition)
    error_message = "aws_partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "job_timeout_minutes" {
  description = "Timeout of each Glue job run, in minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.job_timeout_minutes >= 1 && var.job_timeout_minutes <= 2880
    error_message = "job_timeout_minutes must be between 1 and 2880."
  }
}

variable "job_number_of_workers" {
  description = "Number of G.1X workers per Glue job run (2 is the minimum for G.1X)."
  type        = number
  default     = 2

  validation {
    condition     = var.job_number_of_workers >= 2 && floor(var.job_number_of_workers) == var.job_number_of_workers
    error_message = "job_number_of_workers must be a whole number >= 2."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups, in days (a value CloudWatch accepts)."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which non-current object versions are deleted (all buckets are versioned; Spark overwrites would otherwise pile up old versions)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be >= 1."
  }
}

variable "engine_temp_limit" {
  description = "Engine temperature (Celsius) above which (strictly) OVERHEAT_ENGINE is raised. Passed as --engine_temp_limit."
  type        = number
  default     = 100
}

variable "oil_temp_limit" {
  description = "Oil temperature (Celsius) above which (strictly) OVERHEAT_OIL is raised. Passed as --oil_temp_limit."
  type        = number
  default     = 110
}

variable "speed_limit" {
  description = "Trip maximum speed (km/h) above which (strictly) SPEEDING_ALERT is raised. Passed as --speed_limit."
  type        = number
  default     = 120
}

variable "tags" {
  description = "Extra tags for every resource (merged over Project/Environment/ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "deny_insecure_transport" {
  description = "Attach a bucket policy to every bucket that denies requests not made over TLS (aws:SecureTransport = false). Recommended for real AWS accounts (set it to true). Off by default because lakegate's embedded local AWS is plain HTTP and enforces bucket policies, so the policy would deny every local request."
  type        = bool
  default     = false
}

variable "force_destroy" {
  description = "Let Terraform delete the buckets with every object in them, and the Athena workgroup with its saved queries. Only for throw-away stacks; keep false for any environment with data (lakegate check reports force_destroy on data buckets, LG-SAFE-004). The buckets and the catalog database also carry lifecycle { prevent_destroy = true }: destroying a throw-away stack needs an override file that sets it to false (lakegate's local target writes one, see lakegate/teardown.py)."
  type        = bool
  default     = false
}

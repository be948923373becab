variable "aws_region" {
  type    = string
  default = "eu-central-1"
}

variable "project" {
  type    = string
  default = "acme-orders"
}

variable "environment" {
  type    = string
  default = "stage"
}

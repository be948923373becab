variable "role_mode" {
  description = "\"dedicated\" creates a crawler role here; \"shared\" uses shared_role_arn"
  type        = string
  default     = "dedicated"
}

variable "force_dedicated_role" {
  type    = bool
  default = false
}

variable "shared_role_arn" {
  type    = string
  default = ""
}

variable "name_prefix" {
  type    = string
  default = "northwind"
}

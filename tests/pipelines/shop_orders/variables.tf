variable "prefix" {
  description = "Prefix for every resource name"
  type        = string
  default     = "shop"
}

variable "stage" {
  description = "Deployment stage"
  type        = string
  default     = "qa"
}

variable "min_order_value" {
  description = "Orders below this value are left out of the daily revenue"
  type        = number
  default     = 20
}

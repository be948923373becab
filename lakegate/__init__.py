"""lakegate: validation gate, runbook-as-code and local AWS for a Terraform-managed Glue data lake."""

__version__ = "0.1.0"

"""Terraform state (format 4) and `terraform show -json` output into the CMDB."""

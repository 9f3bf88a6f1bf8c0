"""Backstage catalog descriptors (catalog-info.yaml) into the CMDB."""

"""Inbound integrations: each folder describes one source declaratively and parses its input."""

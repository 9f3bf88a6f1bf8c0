"""Integrations: inbound sources that feed guardrail, outbound targets it notifies."""

"""Outbound integrations: targets guardrail calls, always from a worker job (the outbox)."""

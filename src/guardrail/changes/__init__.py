"""Change enablement: change records, risk, guardrails and policies, approvals, freeze windows."""

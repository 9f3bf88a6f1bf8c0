"""Guardrails as code: the guardrails file, CEL conditions, Rego rules, and their evaluation."""

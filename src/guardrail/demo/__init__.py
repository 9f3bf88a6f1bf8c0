"""Sample data for `guardrail demo` and the README's first command."""

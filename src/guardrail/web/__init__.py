"""The web shell: server-rendered pages, no asset from outside guardrail."""

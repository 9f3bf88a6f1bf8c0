"""guardrail: service management as code for teams that ship continuously."""

__version__ = "0.1.0"

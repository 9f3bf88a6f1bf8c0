"""A generic outbound webhook carrying a CloudEvents 1.0 JSON envelope (structured mode)."""

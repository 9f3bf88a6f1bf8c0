"""Alert intake: monitoring signals, deduplicated, grouped into incidents, flap-damped."""

"""The HTTP shell: JSON API, health, metrics, problem+json errors."""

"""Service configuration management: the service catalogue, configuration items, impact."""

"""Incidents: severity, lifecycle, roles, timeline, suspects, causes, automated rollback."""

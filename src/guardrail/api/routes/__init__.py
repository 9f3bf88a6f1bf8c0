"""API routers, one per practice."""

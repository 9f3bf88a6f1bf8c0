"""One module per area of the dashboard; each has a ``router`` that routes.mount() includes."""

"""People, teams, API tokens and roles."""

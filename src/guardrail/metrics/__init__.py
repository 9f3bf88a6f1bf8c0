"""The scoreboard: DORA's five metrics and ITIL KPIs side by side, read from the practices."""

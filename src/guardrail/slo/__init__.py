"""Service level management: SLOs, SLIs, error budgets, burn rates and the budget policy."""

"""The error-budget step at the gate, with the SLO practice's verdict faked."""

from __future__ import annotations

from guardrail.changes import facts
from guardrail.slo.verdict import BudgetState, BudgetVerdict


def test_exhausted_budget_blocks_the_gate(client, org, monkeypatch):
    verdict = BudgetVerdict(
        BudgetState.exhausted,
        False,
        "catalog has -12% of its error budget left (policy freeze-on-exhaustion)",
        remaining=-0.12,
    )
    seen = []

    def fake(session, service, environment, change_type):
        seen.append((service.name, environment, change_type))
        return verdict

    monkeypatch.setattr(facts, "_verdict", fake)
    text = (
        "- step: error_budget\n- step: check\n  expr: budget.state == 'ok'\n"
        "  on_pass: auto_approve\n"
    )
    client.post(
        "/api/v1/guardrails",
        json={"service": "catalog", "source": text},
        headers=org.headers("dave"),
    )
    change = client.post(
        "/api/v1/changes",
        json={"service": "catalog", "environment": "prod", "commit": "b1"},
        headers=org.headers("ci"),
    )
    body = change.json()
    assert body["state"] == "blocked"
    assert body["reasons"] == [
        "error_budget: blocked — catalog has -12% of its error budget left "
        "(policy freeze-on-exhaustion)"
    ]
    assert seen == [("catalog", "prod", "normal")]  # asked once, shared by step and CEL


def test_without_the_slo_practice_the_budget_does_not_gate(client, org, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_slo_service(name, *args, **kwargs):
        if name == "guardrail.slo" and args and args[2] and "service" in args[2]:
            raise ImportError("not built yet")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_slo_service)
    text = "- step: error_budget\n  on_pass: auto_approve\n"
    client.post(
        "/api/v1/guardrails",
        json={"service": "catalog", "source": text},
        headers=org.headers("dave"),
    )
    body = client.post(
        "/api/v1/changes",
        json={"service": "catalog", "environment": "prod", "commit": "b2"},
        headers=org.headers("ci"),
    ).json()
    assert body["state"] == "approved"
    assert "catalog has no SLO" in body["reasons"][0]

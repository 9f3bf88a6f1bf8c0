"""The engine on its own: outcomes, approvals, emergencies, the error budget, Rego, risk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from guardrail.changes import evidence as evidence_module
from guardrail.changes.policy import document, engine
from guardrail.changes.policy.risk_config import RiskConfig
from guardrail.changes.risk import RiskInput, score
from guardrail.slo.verdict import BudgetState, BudgetVerdict

REGO = """package deploy
import rego.v1

deny contains msg if {
    some path in input.evidence.diff.paths
    startswith(path, "db/migrations/")
    not input.change.links.ticket
    msg := sprintf("%s changes the schema; link a ticket", [path])
}
"""


def _policy(text: str, modules: dict[str, str] | None = None) -> engine.CompiledPolicy:
    parsed = document.parse(text, modules)
    return engine.compile_policy(parsed, document.digest(parsed))


def _facts(
    change: dict[str, Any] | None = None,
    *,
    risk: str = "low",
    diff: str = "",
    frozen: list[dict[str, Any]] | None = None,
    budget: dict[str, Any] | None = None,
) -> engine.Facts:
    items = [evidence_module.recognise("d", diff)] if diff else []
    ev = evidence_module.combine([(p.kind, p.name, p.summary) for p in items])
    return engine.Facts(
        change={"type": "normal", "links": {}, "risk": risk, **(change or {})},
        service={"name": "checkout-api", "tier": 1},
        risk={"level": risk, "score": 10},
        evidence=ev,
        calendar={"frozen": bool(frozen), "active": frozen or []},
        budget=lambda: budget or {"state": "no_slo", "allowed": True, "reason": "no SLO"},
    )


def _none(_r: engine.Requirement) -> engine.Granted:
    return engine.Granted()


def test_group_and_count_requirements_accumulate():
    policy = _policy("- step: cab_review\n  group: security\n  count: 2\n")
    pending = engine.evaluate(policy, _facts(), _none)
    assert pending.decision == "pending_approval"
    requirement = pending.requirements[0]
    assert (requirement["group"], requirement["count"], requirement["granted"]) == (
        "security",
        2,
        0,
    )
    one = engine.evaluate(policy, _facts(), lambda r: engine.Granted(1, ["carol"]))
    assert one.decision == "pending_approval"
    two = engine.evaluate(policy, _facts(), lambda r: engine.Granted(2, ["carol", "erin"]))
    assert two.decision == "approved" and two.reasons == ["approved by carol, erin"]


def test_auto_approve_does_not_waive_an_earlier_approval():
    text = "- step: approval\n- step: check\n  expr: 'true'\n  on_pass: auto_approve\n"
    result = engine.evaluate(_policy(text), _facts(), _none)
    assert result.decision == "pending_approval"
    assert "does not waive" in result.trace[-1]["messages"][-1]


def test_a_condition_that_cannot_be_evaluated_blocks():
    policy = _policy("- step: tests_passed\n  if: evidence.facts.ticket == 'x'\n")
    result = engine.evaluate(policy, _facts(), _none)
    assert result.decision == "blocked" and "could not be evaluated" in result.reasons[0]


def test_freeze_blocks_unless_an_emergency_allowed_by_the_window():
    window = {
        "name": "Black Friday",
        "reason": "peak",
        "ends_at": "2026-11-28T00:00:00Z",
        "allow_emergency": True,
    }
    policy = _policy("- step: tests_passed\n  required: false\n  on_pass: auto_approve\n")
    blocked = engine.evaluate(policy, _facts(frozen=[window]), _none)
    assert blocked.decision == "blocked" and "'Black Friday' (peak)" in blocked.reasons[0]
    emergency = engine.evaluate(policy, _facts({"type": "emergency"}, frozen=[window]), _none)
    assert emergency.decision == "approved" and emergency.needs_review
    strict = {**window, "allow_emergency": False}
    assert (
        engine.evaluate(policy, _facts({"type": "emergency"}, frozen=[strict]), _none).decision
        == "blocked"
    )


def test_error_budget_step_blocks_with_the_verdicts_reason(monkeypatch):
    exhausted = BudgetVerdict(
        BudgetState.exhausted,
        False,
        "checkout-api has -12% of its error budget left (policy freeze-on-exhaustion)",
        remaining=-0.12,
    )
    budget = {
        "state": exhausted.state.value,
        "allowed": exhausted.allowed,
        "reason": exhausted.reason,
        "remaining": exhausted.remaining,
    }
    policy = _policy(
        "- step: error_budget\n- step: check\n  expr: budget.remaining < 0\n"
        "  on_pass: auto_approve\n"
    )
    result = engine.evaluate(policy, _facts(budget=budget), _none)
    assert result.reasons == [
        "error_budget: blocked — checkout-api has -12% of its error budget "
        "left (policy freeze-on-exhaustion)"
    ]
    closed = engine.evaluate(
        policy,
        _facts(
            budget={"state": "no_data", "allowed": False, "reason": "no data", "remaining": None}
        ),
        _none,
    )
    assert "fails closed" in closed.reasons[0]


def test_rego_deny_messages_become_reasons():
    policy = _policy("- step: rego\n  file: deploy.rego\n", {"deploy.rego": REGO})
    diff = "5\t0\tdb/migrations/0042.sql\n"
    blocked = engine.evaluate(policy, _facts(diff=diff), _none)
    assert blocked.reasons == [
        "rego: deploy.rego: db/migrations/0042.sql changes the schema; link a ticket"
    ]
    ticketed = engine.evaluate(policy, _facts({"links": {"ticket": "OPS-1"}}, diff=diff), _none)
    assert ticketed.decision == "pending_approval"  # no rule objected; the default asks a person


def test_risk_factors_explain_every_point():
    diff = evidence_module.recognise("d", "900\t200\tsrc/auth/login.py\n5\t0\tmain.tf\n").summary
    ev = evidence_module.combine([("diff", "d", diff)])
    points, level, factors = score(
        RiskInput(
            change_type="emergency",
            tier=1,
            evidence=ev,
            at=datetime(2026, 1, 3, 23, tzinfo=UTC),
            impacted=[{"name": "web", "tier": 1}, {"name": "mobile", "tier": 3}],
            failure_rate=0.4,
            completed_recently=5,
            hours_to_freeze=3,
        ),
        RiskConfig(),
    )
    by_name = {f.name: f.points for f in factors}
    assert by_name == {
        "service_tier": 25,
        "blast_radius": 13,
        "change_size": 20,
        "sensitive_paths": 30,
        "change_failure_rate": 15,
        "missing_evidence": 5,
        "timing": 20,
        "emergency": 20,
        "overdue_actions": 0,  # no overdue action item on the service
    }
    assert points == sum(by_name.values()) and level == "critical"

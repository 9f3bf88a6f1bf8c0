"""What the error-budget policy says about one change: the contract between SLOs and the gate.

The change practice's error-budget step asks ``guardrail.slo.service.budget_verdict`` for one of
these and turns it into a pass, a block, or a reason in the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BudgetState(StrEnum):
    ok = "ok"  # budget left above the policy's threshold
    exhausted = "exhausted"  # a policy's condition holds: changes are stopped (unless exempt)
    no_data = "no_data"  # the SLI source did not answer; fail_open or fail_closed decides
    no_slo = "no_slo"  # the service has no SLO: nothing to gate on


@dataclass(frozen=True)
class BudgetVerdict:
    """The budget policy's answer for one change to one service in one environment."""

    state: BudgetState
    allowed: bool
    reason: str  # a sentence for people, e.g. "checkout-api has -12% of its error budget left
    #             (policy freeze-on-exhaustion)"
    remaining: float | None = None  # fraction of the budget left; negative once overspent
    slo: str | None = None  # the SLO that decided, if any
    policy: str | None = None  # the policy rule that decided, if any
    exempt: bool = False  # allowed only because the change is exempt (emergency, security fix)
    details: dict[str, object] = field(default_factory=dict)  # burn rates etc., for the evidence

    @classmethod
    def no_slo(cls, service: str) -> BudgetVerdict:
        return cls(BudgetState.no_slo, True, f"{service} has no SLO; the budget does not gate it")

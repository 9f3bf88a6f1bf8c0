"""Vocabularies of the change practice."""

from __future__ import annotations

from enum import StrEnum


class ChangeType(StrEnum):
    """ITIL change types: pre-approved standard, normal, and emergency."""

    standard = "standard"
    normal = "normal"
    emergency = "emergency"


class ChangeState(StrEnum):
    """Where a change is in its life."""

    requested = "requested"
    approved = "approved"
    pending_approval = "pending_approval"
    rejected = "rejected"
    blocked = "blocked"
    implementing = "implementing"
    completed = "completed"
    failed = "failed"
    rolled_back = "rolled_back"
    cancelled = "cancelled"


# What a pipeline may do next, per state: proceed (0), stop (1) or wait (3).
PROCEED_STATES = frozenset({ChangeState.approved, ChangeState.implementing, ChangeState.completed})
STOP_STATES = frozenset(
    {
        ChangeState.rejected,
        ChangeState.blocked,
        ChangeState.failed,
        ChangeState.rolled_back,
        ChangeState.cancelled,
    }
)
WAIT_STATES = frozenset({ChangeState.requested, ChangeState.pending_approval})
CLOSED_STATES = frozenset(
    {ChangeState.completed, ChangeState.failed, ChangeState.rolled_back, ChangeState.cancelled}
)

# Every transition the practice allows; anything else is refused with the allowed ones named.
TRANSITIONS: dict[ChangeState, frozenset[ChangeState]] = {
    ChangeState.requested: frozenset(
        {
            ChangeState.approved,
            ChangeState.pending_approval,
            ChangeState.blocked,
            ChangeState.cancelled,
        }
    ),
    ChangeState.pending_approval: frozenset(
        {
            ChangeState.approved,
            ChangeState.rejected,
            ChangeState.blocked,
            ChangeState.cancelled,
        }
    ),
    ChangeState.approved: frozenset(
        {
            ChangeState.implementing,
            ChangeState.pending_approval,
            ChangeState.blocked,
            ChangeState.cancelled,
        }
    ),
    ChangeState.implementing: frozenset(
        {ChangeState.completed, ChangeState.failed, ChangeState.rolled_back}
    ),
    ChangeState.completed: frozenset({ChangeState.rolled_back}),
    ChangeState.failed: frozenset({ChangeState.rolled_back}),
    ChangeState.rejected: frozenset(),
    ChangeState.blocked: frozenset(),
    ChangeState.rolled_back: frozenset(),
    ChangeState.cancelled: frozenset(),
}


class Outcome(StrEnum):
    """What a guardrail step's result leads to."""

    block_deploy = "block_deploy"
    auto_approve = "auto_approve"
    require_approval = "require_approval"
    continue_ = "continue"


class Decision(StrEnum):
    """The gate's answer."""

    approved = "approved"
    pending_approval = "pending_approval"
    blocked = "blocked"


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


class EvidenceKind(StrEnum):
    junit = "junit"
    sarif = "sarif"
    diff = "diff"
    fact = "fact"


class ApprovalDecision(StrEnum):
    approve = "approve"
    reject = "reject"


class CompletionStatus(StrEnum):
    """How a pipeline reports the end of a change."""

    success = "success"
    failed = "failed"
    rolled_back = "rolled_back"

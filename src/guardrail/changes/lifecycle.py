"""After the decision: start, complete, cancel, and the retrospective review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes.enums import ChangeState, CompletionStatus
from guardrail.changes.models import Change
from guardrail.changes.service import get_change, redecide, transition
from guardrail.errors import Conflict
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow

_COMPLETION = {
    CompletionStatus.success: ChangeState.completed,
    CompletionStatus.failed: ChangeState.failed,
    CompletionStatus.rolled_back: ChangeState.rolled_back,
}


def start(session: Session, actor: Actor, change_id: str, *, now: datetime | None = None) -> Change:
    """The deployment begins; approvals are checked once more (they may have expired)."""
    now = now or utcnow()
    change = get_change(session, change_id, lock=True)
    if change.state == ChangeState.implementing:
        return change
    if change.state == ChangeState.approved and change.approvals_required:
        redecide(session, actor, change, now)
    if change.state != ChangeState.approved:
        raise Conflict(
            f"change {change.id} is {change.state}; only an approved change can start"
            + (": " + "; ".join(change.reasons) if change.reasons else "")
        )
    change.started_at = now
    transition(session, actor, change, ChangeState.implementing, now=now)
    return change


def complete(
    session: Session,
    actor: Actor,
    change_id: str,
    status: CompletionStatus,
    comment: str = "",
    *,
    now: datetime | None = None,
) -> Change:
    """Close a change with its outcome (an approved change is started first)."""
    now = now or utcnow()
    change = get_change(session, change_id, lock=True)
    target = _COMPLETION[status]
    if change.state == target:
        return change  # a retried pipeline step reports the same outcome again
    if change.state == ChangeState.approved:
        start(session, actor, change_id, now=now)
    change.completed_at = now
    transition(
        session, actor, change, target, now=now, detail={"comment": comment} if comment else None
    )
    return change


def cancel(
    session: Session, actor: Actor, change_id: str, *, now: datetime | None = None
) -> Change:
    """Withdraw a change that has not started."""
    change = get_change(session, change_id, lock=True)
    if change.state == ChangeState.cancelled:
        return change
    transition(session, actor, change, ChangeState.cancelled, now=now)
    return change


def review(session: Session, actor: Actor, change_id: str, note: str) -> Change:
    """Record the retrospective review of a change that proceeded as an emergency."""
    change = get_change(session, change_id, lock=True)
    if not change.needs_review:
        raise Conflict(f"change {change.id} does not need a retrospective review")
    if change.reviewed_at is not None:
        raise Conflict(f"change {change.id} was reviewed by {change.reviewed_by} already")
    change.reviewed_at, change.reviewed_by = utcnow(), actor.name
    change.review_note = ((change.review_note or "") + f"\nreview: {note}").strip()[:2000]
    session.flush()
    audit_service.record(session, actor, "change.review", "change", change.id, after={"note": note})
    return change

"""The on-call worker jobs: escalation steps and notification deliveries."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.kit.time import utcnow
from guardrail.oncall import service
from guardrail.oncall.delivery import DELIVER_JOB
from guardrail.oncall.escalation import ESCALATE_JOB
from guardrail.store.outbox import handler


@handler(ESCALATE_JOB)
def run_escalation_step(session: Session, payload: dict[str, Any]) -> None:
    """Page one level of an escalation run, unless it was acknowledged or already paged."""
    service.escalate(
        session, payload["run_id"], int(payload["level"]), int(payload["cycle"]), utcnow()
    )


@handler(DELIVER_JOB)
def deliver(session: Session, payload: dict[str, Any]) -> None:
    """Send one notification and record the outcome on the delivery log."""
    service.attempt_delivery(session, payload["delivery_id"], utcnow())

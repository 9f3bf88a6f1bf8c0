"""The processing job every stored delivery gets."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.integrations.inbound.core import service
from guardrail.store.outbox import handler


@handler(service.PROCESS_JOB)
def process(session: Session, payload: dict[str, Any]) -> None:
    """Turn one stored delivery into records (deployments, commits, later alerts)."""
    service.process_event(session, payload["event_id"])

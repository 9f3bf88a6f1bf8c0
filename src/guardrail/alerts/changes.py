"""PagerDuty change events recorded as change records (the change practice decides and keeps them).

A change event reports a change that already happened, so a change the guardrails approve is
closed as completed at once; one they would have held stays as decided, for review.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from guardrail.alerts.settings import Origin
from guardrail.changes import lifecycle
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeState, CompletionStatus
from guardrail.changes.schemas import GateRequest
from guardrail.cmdb import service as cmdb
from guardrail.kit.context import Actor

_ENV = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")


def record_change_event(
    session: Session, origin: Origin, event_id: str, event: dict[str, Any]
) -> str:
    """Record one change event as a change of the integration's service."""
    service = cmdb.find_service(session, origin.service_id) if origin.service_id else None
    if service is None:
        return "ignored"
    details = event["details"]
    environment = str(details.get("environment") or "production").lower()
    commit = str(details.get("commit") or details.get("sha") or "")
    data = GateRequest(
        service=service.name,
        environment=environment if _ENV.match(environment) else "production",
        commit=commit if _SHA.match(commit) else None,
        title=event["summary"] or "PagerDuty change event",
        description=f"Reported by a PagerDuty change event from {event['source'] or 'a sender'}.",
        idempotency_key=f"pagerduty-change:{event_id}",
        links={"pipeline_run": event["link"]} if event["link"] else {},
    )
    actor = Actor.system(f"pagerduty:{origin.integration_id}")
    change, _ = changes.gate(session, actor, data)
    if change.state == ChangeState.approved:
        lifecycle.complete(
            session, actor, change.id, CompletionStatus.success, "reported done by a change event"
        )
    return "processed"

"""The on-call practice's entry points: what the shells and other practices call.

The incidents practice calls ``start_escalation``, ``stop_escalation`` and
``notify_incident_update`` (see docs/oncall.md for the contract).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from guardrail.errors import InvalidInput
from guardrail.kit.context import Actor
from guardrail.oncall import delivery, escalation, feeds, policies, repository, schedules
from guardrail.oncall.people import Directory
from guardrail.oncall.schemas import AppliedItem, DeliveryOut, OnCallDocument, RunOut

# Re-exported: the contract other practices and the shells use.
start_escalation = escalation.start_escalation
stop_escalation = escalation.stop_escalation
notify_incident_update = escalation.notify_incident_update
escalate = escalation.escalate
attempt_delivery = delivery.attempt
get_schedule = schedules.get_schedule
list_schedules = schedules.list_schedules
who = schedules.who
segments_out = schedules.segments_out
schedule_out = schedules.schedule_out
add_override = schedules.add_override
remove_override = schedules.remove_override
list_policies = policies.list_policies
person_for_slack_user = policies.person_for_slack_user
create_feed = feeds.create_feed
check_feed_token = feeds.check_token
resolve_feed_subject = feeds.resolve_subject
schedule_calendar = feeds.schedule_calendar
person_calendar = feeds.person_calendar

__all__ = [
    "add_override",
    "apply",
    "attempt_delivery",
    "check_feed_token",
    "create_feed",
    "escalate",
    "get_schedule",
    "list_deliveries",
    "list_policies",
    "list_runs",
    "list_schedules",
    "notify_incident_update",
    "parse_document",
    "person_calendar",
    "person_for_slack_user",
    "remove_override",
    "resolve_feed_subject",
    "schedule_calendar",
    "schedule_out",
    "segments_out",
    "start_escalation",
    "stop_escalation",
    "who",
]


def parse_document(content: str) -> OnCallDocument:
    """Read an on-call YAML file; InvalidInput with every problem otherwise."""
    try:
        raw: Any = yaml.safe_load(content) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the file is not YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(
            "the file must be a mapping with channels, contacts, schedules, policies"
        )
    try:
        return OnCallDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InvalidInput("; ".join(problems), extra={"errors": problems}) from exc


def apply(session: Session, actor: Actor, document: OnCallDocument) -> list[AppliedItem]:
    """Apply an on-call file: channels, contacts, schedules, then the policies that use them."""
    people = Directory(session)
    items = [policies.apply_channel(session, actor, c) for c in document.channels]
    items += [policies.apply_contacts(session, actor, c, people) for c in document.contacts]
    items += [schedules.apply_schedule(session, actor, s, people) for s in document.schedules]
    items += [policies.apply_policy(session, actor, p, people) for p in document.policies]
    return items


def list_runs(
    session: Session, *, incident_id: str | None = None, status: str | None = None, limit: int = 50
) -> list[RunOut]:
    """Escalation runs, newest first."""
    return [
        RunOut(
            id=r.id,
            incident_id=r.incident_id,
            service_id=r.service_id,
            policy=r.policy,
            status=r.status,
            level=r.level,
            cycle=r.cycle,
            started_at=r.started_at,
            last_paged_at=r.last_paged_at,
            stopped_at=r.stopped_at,
            stop_reason=r.stop_reason,
        )
        for r in repository.list_runs(session, incident_id=incident_id, status=status, limit=limit)
    ]


def list_deliveries(
    session: Session, *, incident_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[DeliveryOut]:
    """The delivery log, newest first."""
    return [
        DeliveryOut(
            id=d.id,
            incident_id=d.incident_id,
            event=d.event,
            level=d.level,
            cycle=d.cycle,
            target=d.target,
            channel=d.channel,
            status=d.status,
            attempts=d.attempts,
            response_code=d.response_code,
            last_error=d.last_error,
            next_attempt_at=d.next_attempt_at,
            sent_at=d.sent_at,
            created_at=d.created_at,
        )
        for d in repository.list_deliveries(
            session, incident_id=incident_id, status=status, limit=limit
        )
    ]


def schedules_overview(session: Session, now: datetime, days: int) -> list[dict[str, Any]]:
    """For the calendar page: each schedule, who is on call now, and the next ``days`` days."""
    from datetime import timedelta

    result = []
    for row in schedules.list_schedules(session):
        segs = schedules.segments_out(session, row, now, now + timedelta(days=days))
        result.append({"schedule": row, "now": segs[0] if segs else None, "segments": segs})
    return result

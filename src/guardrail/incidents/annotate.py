"""Incident details people edit: severity, commander and roles, notes, suspect ranking.

Flushes, never commits; every write is audited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.errors import InvalidInput
from guardrail.incidents.enums import Severity
from guardrail.incidents.models import Incident, TimelineEntry
from guardrail.incidents.service import _set_severity, _view, add_timeline_entry, get_incident
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow


def set_severity(
    session: Session, actor: Actor, incident_id: str, severity: Severity, reason: str = ""
) -> Incident:
    """Set the severity by hand."""
    incident = get_incident(session, incident_id, lock=True)
    if incident.severity != severity.value:
        _set_severity(session, actor, incident, severity.value, reason or f"set by {actor.name}")
    return incident


def set_roles(
    session: Session,
    actor: Actor,
    incident_id: str,
    *,
    commander: str | None = None,
    roles: dict[str, str] | None = None,
) -> Incident:
    """Name the incident commander and other roles (``communications``, ``scribe``, …)."""
    incident = get_incident(session, incident_id, lock=True)
    before = _view(incident)
    changes = []
    if commander is not None and commander != incident.commander:
        incident.commander = commander or None
        changes.append(f"commander: {commander or 'nobody'}")
    for role, person in (roles or {}).items():
        if not role.strip():
            raise InvalidInput("a role needs a name")
        merged = dict(incident.roles)
        if person:
            merged[role] = person
        else:
            merged.pop(role, None)
        incident.roles = merged
        changes.append(f"{role}: {person or 'nobody'}")
    if changes:
        incident.updated_at = utcnow()
        add_timeline_entry(session, actor, incident.id, "role", "; ".join(changes))
        audit_service.record(
            session,
            actor,
            "incident.roles",
            "incident",
            incident.id,
            before=before,
            after=_view(incident),
        )
    return incident


def add_note(session: Session, actor: Actor, incident_id: str, text: str) -> TimelineEntry:
    """Add a note; ``root cause: <sha or dep_…>`` in it marks those deployments as the cause."""
    from guardrail.incidents import causes

    if not text.strip():
        raise InvalidInput("a note needs some text")
    incident = get_incident(session, incident_id)
    entry = add_timeline_entry(session, actor, incident.id, "note", text.strip())
    audit_service.record(
        session, actor, "incident.note", "incident", incident.id, after={"note": text[:2000]}
    )
    causes.from_note(session, actor, incident, text)
    return entry


def refresh_suspects(session: Session, actor: Actor, incident_id: str) -> Incident:
    """Rank the suspect changes again (changes recorded late show up)."""
    from guardrail.incidents import suspects

    incident = get_incident(session, incident_id, lock=True)
    incident.suspects = suspects.rank(session, incident)
    session.flush()
    audit_service.record(
        session,
        actor,
        "incident.suspects",
        "incident",
        incident.id,
        after={"suspects": [s["id"] for s in incident.suspects]},
    )
    return incident

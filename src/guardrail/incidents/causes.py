"""Causes: marking a deployment or change as what caused an incident.

A deployment is linked through the releases practice (``link_failure``: the change failure rate
counts it); a change record in progress is marked failed through the change practice. Marking a
deployment may start an automated rollback when the service's policy allows it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import lifecycle
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeState, CompletionStatus
from guardrail.errors import InvalidInput
from guardrail.incidents import repository, rollback
from guardrail.incidents.enums import CauseKind
from guardrail.incidents.models import Incident, IncidentCause
from guardrail.incidents.service import add_timeline_entry, get_incident
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.releases import service as releases
from guardrail.releases.enums import Provenance


def mark_cause(
    session: Session,
    actor: Actor,
    incident_id: str,
    ref: str,
    *,
    note: str = "",
    provenance: Provenance = Provenance.explicit,
) -> IncidentCause:
    """Record that deployment ``dep_…`` or change ``chg_…`` caused the incident. Idempotent."""
    incident = get_incident(session, incident_id)
    if ref.startswith("dep_"):
        return _deployment_cause(session, actor, incident, ref, note, provenance)
    if ref.startswith("chg_"):
        return _change_cause(session, actor, incident, ref, note)
    raise InvalidInput(f"{ref!r} is neither a deployment (dep_…) nor a change (chg_…)")


def _record(
    session: Session,
    actor: Actor,
    incident: Incident,
    kind: CauseKind,
    ref_id: str,
    provenance: str,
    note: str,
    text: str,
) -> tuple[IncidentCause, bool]:
    existing = repository.cause(session, incident.id, kind.value, ref_id)
    if existing is not None:
        return existing, False
    row = IncidentCause(
        incident_id=incident.id,
        kind=kind.value,
        ref_id=ref_id,
        provenance=provenance,
        note=note[:2000],
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    add_timeline_entry(
        session,
        actor,
        incident.id,
        "cause",
        text,
        {"kind": kind.value, "ref": ref_id, "provenance": provenance},
    )
    audit_service.record(
        session,
        actor,
        "incident.cause",
        "incident",
        incident.id,
        after={"kind": kind.value, "ref": ref_id, "provenance": provenance, "note": note},
    )
    return row, True


def _deployment_cause(
    session: Session,
    actor: Actor,
    incident: Incident,
    dep_id: str,
    note: str,
    provenance: Provenance,
) -> IncidentCause:
    dep = releases.get_deployment(session, dep_id)
    releases.link_failure(session, actor, dep.id, incident.id, provenance, note)
    what = dep.version or dep.sha or ""
    text = f"cause: deployment {dep.id} ({dep.service} {what} to {dep.environment})"
    row, created = _record(
        session, actor, incident, CauseKind.deployment, dep.id, provenance.value, note, text
    )
    if created and provenance is Provenance.explicit:
        rollback.maybe_rollback(session, actor, incident, dep.id, reason="confirmed")
    return row


def _change_cause(
    session: Session, actor: Actor, incident: Incident, change_id: str, note: str
) -> IncidentCause:
    change = changes.get_change(session, change_id)
    text = f"cause: change {change.id} ({change.title})"
    row, created = _record(
        session, actor, incident, CauseKind.change, change.id, "explicit", note, text
    )
    if created and change.state == ChangeState.implementing:
        lifecycle.complete(
            session, actor, change.id, CompletionStatus.failed, f"caused incident {incident.id}"
        )
        add_timeline_entry(
            session, actor, incident.id, "change", f"change {change.id} marked failed"
        )
    return row


def from_note(session: Session, actor: Actor, incident: Incident, text: str) -> list[IncidentCause]:
    """``root cause: <sha or dep_…>`` in a note: mark the deployments it names as causes."""
    found = releases.resolve_root_cause_refs(session, text)
    return [
        mark_cause(session, actor, incident.id, dep.id, note="from a note: root cause")
        for dep in found
    ]

"""Incidents over HTTP: list, declare, detail, lifecycle, notes, roles, causes, rollback policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.incidents import annotate, causes, reads, rollback, service
from guardrail.incidents.enums import IncidentStatus
from guardrail.incidents.models import Incident
from guardrail.incidents.schemas import (
    ActionIn,
    CauseIn,
    CauseOut,
    IncidentCreate,
    IncidentDetail,
    IncidentFacts,
    IncidentOut,
    NoteIn,
    RolesIn,
    RollbackPolicyIn,
    RollbackPolicyOut,
    SeverityIn,
    TimelineOut,
)
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.store.session import Database

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.get("", summary="List incidents")
def list_incidents(
    status_: list[IncidentStatus] | None = Query(None, alias="status"),
    service_: str | None = Query(None, alias="service", max_length=63),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[IncidentOut]:
    """Incidents, newest first; filter by status (repeatable) and service."""
    with db.reader() as session:
        items, total = reads.list_incidents(
            session,
            statuses=[s.value for s in status_ or []],
            service=service_,
            limit=limit,
            offset=offset,
        )
        return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Declare an incident")
def create_incident(
    data: IncidentCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> IncidentDetail:
    """Declare an incident by hand; it pages like one opened by an alert."""
    with db.unit_of_work() as session:
        return reads.detail(session, service.create_incident(session, actor, data))


@router.get("/facts", summary="Incident facts for metrics")
def incident_facts(
    start: datetime,
    end: datetime,
    service_: str | None = Query(None, alias="service", max_length=63),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[IncidentFacts]:
    """Incidents opened in [start, end) with their times, severity, first alert and causes."""
    with db.reader() as session:
        from guardrail.cmdb import service as cmdb

        sid = cmdb.get_service(session, service_).id if service_ else None
        return reads.incident_facts(session, start=start, end=end, service_id=sid)


@router.get("/rollback-policies/{service_ref}", summary="Get a service's rollback policy")
def get_rollback_policy(
    service_ref: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> RollbackPolicyOut:
    """The service's automated-rollback policy (``off`` when none was set)."""
    with db.reader() as session:
        return rollback.get_policy(session, service_ref)


@router.put("/rollback-policies/{service_ref}", summary="Set a service's rollback policy")
def put_rollback_policy(
    service_ref: str,
    data: RollbackPolicyIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.admin)),
) -> RollbackPolicyOut:
    """When guardrail may roll the service back by itself, and with which pipeline."""
    with db.unit_of_work() as session:
        return rollback.set_policy(session, actor, service_ref, data)


@router.get("/{incident_id}", summary="Get an incident")
def get_incident(
    incident_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> IncidentDetail:
    """One incident with its timeline, alerts, suspects, causes, rollbacks and budget consumed."""
    with db.reader() as session:
        return reads.detail(session, service.get_incident(session, incident_id))


def _act(db: Database, incident_id: str, fn: Callable[[Session], Incident]) -> IncidentDetail:
    with db.unit_of_work() as session:
        fn(session)
        return reads.detail(session, service.get_incident(session, incident_id))


@router.post("/{incident_id}/acknowledge", summary="Acknowledge an incident")
def acknowledge(
    incident_id: str, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.engineer))
) -> IncidentDetail:
    """Someone is on it: the escalation stops."""
    return _act(db, incident_id, lambda s: service.acknowledge(s, actor, incident_id, via="api"))


@router.post("/{incident_id}/mitigate", summary="Mark an incident mitigated")
def mitigate(
    incident_id: str,
    data: ActionIn | None = None,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> IncidentDetail:
    """The impact is contained."""
    note = data.note if data else ""
    return _act(db, incident_id, lambda s: service.mitigate(s, actor, incident_id, note=note))


@router.post("/{incident_id}/resolve", summary="Resolve an incident")
def resolve(
    incident_id: str,
    data: ActionIn | None = None,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> IncidentDetail:
    """The service is back to normal."""
    note = data.note if data else ""
    return _act(db, incident_id, lambda s: service.resolve(s, actor, incident_id, note=note))


@router.post("/{incident_id}/close", summary="Close an incident")
def close(
    incident_id: str,
    data: ActionIn | None = None,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> IncidentDetail:
    """Close a resolved incident."""
    note = data.note if data else ""
    return _act(db, incident_id, lambda s: service.close(s, actor, incident_id, note))


@router.post("/{incident_id}/notes", status_code=status.HTTP_201_CREATED, summary="Add a note")
def add_note(
    incident_id: str,
    data: NoteIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> TimelineOut:
    """Add a note to the timeline; ``root cause: <sha>`` marks the deployments it names."""
    with db.unit_of_work() as session:
        return TimelineOut.model_validate(annotate.add_note(session, actor, incident_id, data.text))


@router.put("/{incident_id}/roles", summary="Set the commander and roles")
def set_roles(
    incident_id: str,
    data: RolesIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> IncidentDetail:
    """Name the incident commander and other roles."""
    return _act(
        db,
        incident_id,
        lambda s: annotate.set_roles(
            s, actor, incident_id, commander=data.commander, roles=data.roles
        ),
    )


@router.put("/{incident_id}/severity", summary="Set the severity")
def set_severity(
    incident_id: str,
    data: SeverityIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> IncidentDetail:
    """Change the incident's severity by hand."""
    return _act(
        db,
        incident_id,
        lambda s: annotate.set_severity(s, actor, incident_id, data.severity, data.reason),
    )


@router.post("/{incident_id}/causes", status_code=status.HTTP_201_CREATED, summary="Mark a cause")
def mark_cause(
    incident_id: str,
    data: CauseIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> CauseOut:
    """Mark a deployment or change as the cause; a deployment may be rolled back by policy."""
    with db.unit_of_work() as session:
        row = causes.mark_cause(session, actor, incident_id, data.ref, note=data.note)
        return CauseOut.model_validate(row)


@router.post("/{incident_id}/suspects/refresh", summary="Rank suspect changes again")
def refresh_suspects(
    incident_id: str, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.engineer))
) -> IncidentDetail:
    """Rank the suspect changes again."""
    return _act(db, incident_id, lambda s: annotate.refresh_suspects(s, actor, incident_id))

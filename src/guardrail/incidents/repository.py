"""Every query of the incidents practice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guardrail.incidents.models import (
    Incident,
    IncidentCause,
    IncidentRollback,
    RollbackPolicy,
    TimelineEntry,
)


def incident(session: Session, incident_id: str, *, lock: bool = False) -> Incident | None:
    if not lock:
        return session.get(Incident, incident_id)
    return session.scalars(
        select(Incident).where(Incident.id == incident_id).with_for_update()
    ).first()


def by_open_group(session: Session, group_key: str) -> Incident | None:
    return session.scalars(select(Incident).where(Incident.open_group == group_key)).first()


def list_incidents(
    session: Session,
    *,
    statuses: list[str] | None,
    service_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Incident], int]:
    query = select(Incident)
    if statuses:
        query = query.where(Incident.status.in_(statuses))
    if service_id:
        query = query.where(Incident.service_id == service_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def opened_between(
    session: Session, start: datetime, end: datetime, service_id: str | None
) -> list[Incident]:
    query = select(Incident).where(Incident.opened_at >= start, Incident.opened_at < end)
    if service_id:
        query = query.where(Incident.service_id == service_id)
    return list(session.scalars(query.order_by(Incident.opened_at)))


def timeline(session: Session, incident_id: str) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        )
    )


def causes(session: Session, incident_ids: list[str]) -> list[IncidentCause]:
    if not incident_ids:
        return []
    return list(
        session.scalars(
            select(IncidentCause)
            .where(IncidentCause.incident_id.in_(incident_ids))
            .order_by(IncidentCause.created_at)
        )
    )


def cause(session: Session, incident_id: str, kind: str, ref_id: str) -> IncidentCause | None:
    return session.scalars(
        select(IncidentCause).where(
            IncidentCause.incident_id == incident_id,
            IncidentCause.kind == kind,
            IncidentCause.ref_id == ref_id,
        )
    ).first()


def rollbacks(session: Session, incident_id: str) -> list[IncidentRollback]:
    return list(
        session.scalars(
            select(IncidentRollback)
            .where(IncidentRollback.incident_id == incident_id)
            .order_by(IncidentRollback.created_at)
        )
    )


def rollback(session: Session, incident_id: str, deployment_id: str) -> IncidentRollback | None:
    return session.scalars(
        select(IncidentRollback).where(
            IncidentRollback.incident_id == incident_id,
            IncidentRollback.deployment_id == deployment_id,
        )
    ).first()


def policy(session: Session, service_id: str) -> RollbackPolicy | None:
    return session.scalars(
        select(RollbackPolicy).where(RollbackPolicy.service_id == service_id)
    ).first()


def held_due(session: Session, now: datetime) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident).where(Incident.hold_until.is_not(None), Incident.hold_until <= now)
        )
    )

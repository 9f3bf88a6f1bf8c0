"""Reading incidents: lists, the detail page, and the facts other practices read.

For the scoreboard and problem management: ``incident_facts(session, start=, end=, service_id=)``
gives each incident opened in [start, end) with its opened/acknowledged/mitigated/resolved/closed
times, severity, service, its first alert's start and its causes; ``causes_of(session, ids)``
the causes of given incidents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.alerts import service as alerts
from guardrail.cmdb import service as cmdb
from guardrail.incidents import paging, repository
from guardrail.incidents.models import Incident, IncidentCause
from guardrail.incidents.schemas import (
    AlertBrief,
    CauseOut,
    IncidentDetail,
    IncidentFacts,
    IncidentOut,
    RollbackOut,
    TimelineOut,
)
from guardrail.kit.time import utcnow


def list_incidents(
    session: Session,
    *,
    statuses: list[str] | None = None,
    service: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[IncidentOut], int]:
    """Incidents, newest first, filtered by status and service."""
    service_id = cmdb.get_service(session, service).id if service else None
    rows, total = repository.list_incidents(
        session, statuses=statuses, service_id=service_id, limit=limit, offset=offset
    )
    return to_out(session, rows), total


def to_out(session: Session, rows: list[Incident]) -> list[IncidentOut]:
    """Incidents as listed, with their services by name."""
    names: dict[str, str] = {}
    for sid in {r.service_id for r in rows if r.service_id}:
        found = cmdb.find_service(session, sid)
        names[sid] = found.name if found else sid
    return [_out(r, names.get(r.service_id or "")) for r in rows]


def _out(row: Incident, service: str | None) -> IncidentOut:
    return IncidentOut(
        id=row.id,
        title=row.title,
        status=row.status,
        severity=row.severity,
        service=service,
        source=row.source,
        commander=row.commander,
        roles=dict(row.roles),
        runbook_url=row.runbook_url,
        alert_count=row.alert_count,
        opened_at=row.opened_at,
        started_at=row.started_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        closed_at=row.closed_at,
        url=paging.incident_url(row.id),
    )


def detail(session: Session, incident: Incident) -> IncidentDetail:
    """An incident with its timeline, alerts, suspects, causes, rollbacks and budget consumed."""
    base = to_out(session, [incident])[0]
    return IncidentDetail(
        **base.model_dump(),
        description=incident.description,
        timeline=[TimelineOut.model_validate(t) for t in repository.timeline(session, incident.id)],
        alerts=[_alert(a) for a in alerts.alerts_of_incidents(session, [incident.id])],
        suspects=list(incident.suspects),
        causes=[CauseOut.model_validate(c) for c in repository.causes(session, [incident.id])],
        rollbacks=[
            RollbackOut.model_validate(r) for r in repository.rollbacks(session, incident.id)
        ],
        budget_consumed=budget_consumed(session, incident),
        hold_until=incident.hold_until,
    )


def _alert(row: Any) -> AlertBrief:
    return AlertBrief(
        id=row.id,
        title=row.title,
        status=row.status,
        severity=row.severity,
        sev=row.sev,
        fingerprint=row.fingerprint,
        labels=dict(row.labels),
        starts_at=row.starts_at,
        resolved_at=row.resolved_at,
        flaps=row.flaps,
        event_count=row.event_count,
        generator_url=row.generator_url,
    )


def budget_consumed(session: Session, incident: Incident) -> dict[str, float | None]:
    """Share of each of the service's SLO budgets spent while the incident lasted."""
    if incident.service_id is None:
        return {}
    from guardrail.slo import service as slo

    end = incident.resolved_at or utcnow()
    try:
        return slo.budget_consumed(session, incident.service_id, incident.started_at, end)
    except Exception:  # an SLO datasource that is down must not break the incident page
        return {}


def incident_facts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    service_id: str | None = None,
) -> list[IncidentFacts]:
    """Incidents opened in [start, end): their times, severity, service, first alert and causes."""
    rows = repository.opened_between(session, start, end, service_id)
    ids = [r.id for r in rows]
    causes: dict[str, list[CauseOut]] = {}
    for cause in repository.causes(session, ids):
        causes.setdefault(cause.incident_id, []).append(CauseOut.model_validate(cause))
    first: dict[str, datetime] = {}
    for alert in alerts.alerts_of_incidents(session, ids):
        if alert.incident_id and alert.incident_id not in first:
            first[alert.incident_id] = alert.starts_at
    return [
        IncidentFacts(
            id=r.id,
            service_id=r.service_id,
            severity=r.severity,
            status=r.status,
            opened_at=r.opened_at,
            started_at=r.started_at,
            first_alert_at=first.get(r.id),
            acknowledged_at=r.acknowledged_at,
            mitigated_at=r.mitigated_at,
            resolved_at=r.resolved_at,
            closed_at=r.closed_at,
            causes=causes.get(r.id, []),
        )
        for r in rows
    ]


def causes_of(session: Session, incident_ids: list[str]) -> list[IncidentCause]:
    """The causes recorded for the given incidents."""
    return repository.causes(session, incident_ids)

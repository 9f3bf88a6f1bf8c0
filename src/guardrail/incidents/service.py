"""Incident rules: open (from alerts or by hand), lifecycle, severity, roles, notes, timeline.

Status runs triggered -> acknowledged -> mitigated -> resolved -> closed; a move may skip ahead but
never goes back, except that an incident resolved by its alerts reopens when one of them flaps.
Flushes, never commits; every write is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import Conflict, NotFound
from guardrail.incidents import paging, repository
from guardrail.incidents.enums import OPEN_STATUSES, IncidentStatus, Severity
from guardrail.incidents.models import Incident, TimelineEntry
from guardrail.incidents.schemas import IncidentCreate
from guardrail.kit.context import Actor
from guardrail.kit.time import isoformat, utcnow

ALERTS = "alerts"  # resolved_by of an incident its alerts resolved (it may reopen on a flap)


def get_incident(session: Session, incident_id: str, *, lock: bool = False) -> Incident:
    """One incident by id."""
    row = repository.incident(session, incident_id, lock=lock)
    if row is None:
        raise NotFound(
            f"there is no incident {incident_id!r}; list them with `guardrail incident list`"
        )
    return row


def add_timeline_entry(
    session: Session,
    actor: Actor,
    incident_id: str,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    flush: bool = True,
) -> TimelineEntry:
    """Append to an incident's timeline (on-call adds pages, deliveries, acknowledgements)."""
    entry = TimelineEntry(
        incident_id=incident_id,
        at=at or utcnow(),
        kind=kind[:30],
        text=text[:4000],
        data=data or {},
        actor=actor.name[:200],
    )
    session.add(entry)
    if flush:
        session.flush()
    return entry


def _view(row: Incident) -> dict[str, Any]:
    return {
        "title": row.title,
        "status": row.status,
        "severity": row.severity,
        "service_id": row.service_id,
        "commander": row.commander,
        "roles": dict(row.roles),
    }


def summary(
    session: Session, incident: Incident, alerts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What a page or an update shows (the on-call seam's ``summary``)."""
    service = cmdb.find_service(session, incident.service_id) if incident.service_id else None
    return {
        "incident_url": paging.incident_url(incident.id),
        "title": incident.title,
        "severity": incident.severity,
        "service": service.name if service else None,
        "runbook_url": incident.runbook_url,
        "suspect_changes": [
            {k: s.get(k) for k in ("id", "kind", "title", "at", "url", "score")}
            for s in incident.suspects[:5]
        ],
        "alerts": alerts or [],
        "status": incident.status,
    }


# --- opening ----------------------------------------------------------------------------------


def open_or_join(
    session: Session,
    actor: Actor,
    *,
    group_key: str,
    service_id: str | None,
    title: str,
    severity: str,
    runbook_url: str | None,
    source: str,
    started_at: datetime,
    now: datetime,
) -> tuple[Incident, bool]:
    """The open incident of ``group_key``, or a new one; True when it was created."""
    found = repository.by_open_group(session, group_key)
    if found is not None:
        return found, False
    incident = _new(
        session,
        actor,
        title=title,
        severity=severity,
        service_id=service_id,
        runbook_url=runbook_url,
        source=source,
        started_at=started_at,
        now=now,
    )
    incident.group_key, incident.open_group = group_key, group_key
    session.flush()
    return incident, True


def _new(
    session: Session,
    actor: Actor,
    *,
    title: str,
    severity: str,
    service_id: str | None,
    runbook_url: str | None,
    source: str,
    started_at: datetime,
    now: datetime,
    description: str = "",
) -> Incident:
    service = cmdb.find_service(session, service_id) if service_id else None
    incident = Incident(
        title=title[:1024] or "incident",
        status=IncidentStatus.triggered.value,
        severity=severity,
        service_id=service.id if service else None,
        source=source,
        description=description,
        runbook_url=runbook_url or (service.runbook_url if service else None),
        opened_at=now,
        started_at=min(started_at, now),
        updated_at=now,
        created_by=actor.name,
    )
    session.add(incident)
    session.flush()
    where = f" on {service.name}" if service else ""
    add_timeline_entry(
        session,
        actor,
        incident.id,
        "opened",
        f"{severity} incident opened{where}: {incident.title}",
        at=now,
        flush=False,
    )
    audit_service.record(
        session, actor, "incident.open", "incident", incident.id, after=_view(incident)
    )
    return incident


def create_incident(session: Session, actor: Actor, data: IncidentCreate) -> Incident:
    """Declare an incident by hand (no alert); it pages like any other."""
    service = cmdb.get_service(session, data.service) if data.service else None
    now = utcnow()
    incident = _new(
        session,
        actor,
        title=data.title,
        severity=data.severity.value,
        service_id=service.id if service else None,
        runbook_url=data.runbook_url,
        source="manual",
        started_at=data.started_at or now,
        now=now,
        description=data.description,
    )
    if data.commander:
        from guardrail.incidents.annotate import set_roles

        set_roles(session, actor, incident.id, commander=data.commander)
    announce(session, actor, incident.id, [])
    return incident


def alert_joined(
    session: Session, actor: Actor, incident: Incident, alert: dict[str, Any], *, at: datetime
) -> None:
    """An alert was grouped into the incident: count it, raise severity if it is worse."""
    incident.alert_count += 1
    incident.updated_at = at
    if incident.hold_until is not None:
        incident.hold_until = None
    add_timeline_entry(
        session,
        actor,
        incident.id,
        "alert",
        f"alert fired: {alert['title']}",
        {"alert_id": alert["id"], "severity": alert["severity"]},
        at=at,
        flush=False,
    )
    if Severity(alert["sev"]).rank < Severity(incident.severity).rank:
        _set_severity(
            session, actor, incident, alert["sev"], f"alert {alert['title']!r} is {alert['sev']}"
        )


def announce(
    session: Session, actor: Actor, incident_id: str, alerts: list[dict[str, Any]]
) -> None:
    """A new incident: rank its suspect changes, start the escalation, consider a rollback."""
    from guardrail.incidents import rollback, suspects

    incident = get_incident(session, incident_id)
    incident.suspects = suspects.rank(session, incident)
    run_id = paging.start(
        session,
        actor,
        incident_id=incident.id,
        service_id=incident.service_id,
        title=incident.title,
        severity=incident.severity,
        summary=summary(session, incident, alerts),
    )
    incident.escalation_run_id = run_id
    if run_id is None:
        add_timeline_entry(
            session,
            actor,
            incident.id,
            "escalation",
            "no escalation started: the on-call practice is not installed",
            flush=False,
        )
    session.flush()
    rollback.on_opened(session, actor, incident)


def alert_flapped(
    session: Session, actor: Actor, incident_id: str, text: str, *, at: datetime
) -> None:
    """An alert fired again soon after resolving: reopen the incident if its alerts resolved it."""
    incident = get_incident(session, incident_id)
    incident.hold_until = None
    if incident.status == IncidentStatus.resolved and incident.resolved_by == ALERTS:
        before = _view(incident)
        incident.status = (
            IncidentStatus.acknowledged.value
            if incident.acknowledged_at
            else IncidentStatus.triggered.value
        )
        incident.resolved_at, incident.resolved_by, incident.updated_at = None, None, at
        incident.open_group = (
            incident.group_key
            if not repository.by_open_group(session, incident.group_key)
            else None
        )
        text += f"; incident reopened ({incident.status})"
        audit_service.record(
            session,
            actor,
            "incident.reopen",
            "incident",
            incident.id,
            before=before,
            after=_view(incident),
        )
    add_timeline_entry(session, actor, incident_id, "flap", text, at=at, flush=False)


def can_reopen(session: Session, incident_id: str) -> bool:
    """Whether a flap may reopen the incident: open, or resolved by its alerts (not by a person)."""
    incident = get_incident(session, incident_id)
    return incident.status in OPEN_STATUSES or (
        incident.status == IncidentStatus.resolved and incident.resolved_by == ALERTS
    )


# --- lifecycle --------------------------------------------------------------------------------


def _move(
    session: Session,
    actor: Actor,
    incident: Incident,
    target: IncidentStatus,
    *,
    by: str,
    via: str,
    note: str = "",
) -> bool:
    """Move forward to ``target``; False when the incident is there or beyond already."""
    current = IncidentStatus(incident.status)
    if current.rank >= target.rank:
        return False
    if target is IncidentStatus.closed and current is not IncidentStatus.resolved:
        raise Conflict(f"incident {incident.id} is {current.value}; resolve it before closing it")
    before, now = _view(incident), utcnow()
    incident.status, incident.updated_at = target.value, now
    if target is IncidentStatus.acknowledged:
        incident.acknowledged_at, incident.acknowledged_by = now, by
    if target is IncidentStatus.mitigated:
        incident.mitigated_at = now
    if target.rank >= IncidentStatus.resolved.rank and incident.resolved_at is None:
        incident.resolved_at, incident.resolved_by, incident.open_group = now, by, None
        incident.hold_until = None
    if target is IncidentStatus.closed:
        incident.closed_at = now
    text = f"{target.value} by {by} via {via}" + (f": {note}" if note else "")
    add_timeline_entry(
        session,
        actor,
        incident.id,
        "status",
        text,
        {"from": current.value, "to": target.value, "via": via, "by": by},
        at=now,
    )
    audit_service.record(
        session,
        actor,
        f"incident.{target.value}",
        "incident",
        incident.id,
        before=before,
        after=_view(incident),
    )
    return True


def acknowledge(
    session: Session,
    actor: Actor,
    incident_id: str,
    *,
    via: str = "api",
    by: str | None = None,
    quiet: bool = False,
) -> Incident:
    """Someone is on it: stop the escalation. Idempotent (a second press changes nothing)."""
    incident = get_incident(session, incident_id, lock=True)
    if _move(session, actor, incident, IncidentStatus.acknowledged, by=by or actor.name, via=via):
        paging.stop(session, actor, incident.id, f"acknowledged by {by or actor.name} via {via}")
    elif not quiet and incident.status not in OPEN_STATUSES:
        raise Conflict(f"incident {incident.id} is {incident.status} already")
    return incident


def mitigate(
    session: Session,
    actor: Actor,
    incident_id: str,
    *,
    via: str = "api",
    by: str | None = None,
    note: str = "",
) -> Incident:
    """The impact is contained (the cause may not be fixed yet)."""
    incident = get_incident(session, incident_id, lock=True)
    if _move(
        session, actor, incident, IncidentStatus.mitigated, by=by or actor.name, via=via, note=note
    ):
        paging.stop(session, actor, incident.id, "mitigated")
        paging.update(session, actor, incident.id, "mitigated", summary(session, incident))
    return incident


def resolve(
    session: Session,
    actor: Actor,
    incident_id: str,
    *,
    via: str = "api",
    by: str | None = None,
    note: str = "",
) -> Incident:
    """The service is back to normal: stop the escalation, tell the channels paged."""
    incident = get_incident(session, incident_id, lock=True)
    if _move(
        session, actor, incident, IncidentStatus.resolved, by=by or actor.name, via=via, note=note
    ):
        paging.stop(session, actor, incident.id, f"resolved via {via}")
        paging.update(session, actor, incident.id, "resolved", summary(session, incident))
    return incident


def resolve_from_alerts(session: Session, actor: Actor, incident_id: str) -> Incident:
    """Every alert of the incident resolved: resolve it (it may reopen if one flaps)."""
    incident = get_incident(session, incident_id, lock=True)
    if _move(
        session,
        actor,
        incident,
        IncidentStatus.resolved,
        by=ALERTS,
        via=actor.name.split(":")[0],
        note="all its alerts resolved",
    ):
        paging.stop(session, actor, incident.id, "alerts resolved")
        paging.update(session, actor, incident.id, "resolved", summary(session, incident))
    return incident


def close(session: Session, actor: Actor, incident_id: str, note: str = "") -> Incident:
    """Close a resolved incident (review done)."""
    incident = get_incident(session, incident_id, lock=True)
    _move(session, actor, incident, IncidentStatus.closed, by=actor.name, via="api", note=note)
    return incident


def hold_resolution(
    session: Session, actor: Actor, incident_id: str, until: datetime, reason: str
) -> None:
    """Keep a flapping incident open until ``until`` (the settle job resolves it then)."""
    incident = get_incident(session, incident_id)
    if incident.status not in OPEN_STATUSES:
        return
    incident.hold_until = until
    add_timeline_entry(
        session,
        actor,
        incident_id,
        "flap",
        f"all alerts resolved, resolution held until {isoformat(until)} ({reason})",
    )


def settle_held(session: Session, actor: Actor, now: datetime) -> int:
    """Resolve held incidents whose flapping alerts stayed quiet; return how many."""
    from guardrail.alerts import service as alerts

    done = 0
    for incident in repository.held_due(session, now):
        incident.hold_until = None
        if alerts.has_open_alerts(session, incident.id):
            continue
        resolve_from_alerts(session, actor, incident.id)
        done += 1
    session.flush()
    return done


# --- severity, roles, notes -------------------------------------------------------------------


def _set_severity(
    session: Session, actor: Actor, incident: Incident, severity: str, reason: str
) -> None:
    before = _view(incident)
    old, incident.severity = incident.severity, severity
    add_timeline_entry(
        session,
        actor,
        incident.id,
        "severity",
        f"severity {old} -> {severity}: {reason}",
        flush=False,
    )
    audit_service.record(
        session,
        actor,
        "incident.severity",
        "incident",
        incident.id,
        before=before,
        after=_view(incident),
    )

"""Alert intake rules: deduplicate by fingerprint, group into incidents per service, resolve
groups, damp flapping. Flushes, never commits; alert writes are audited in one batch.

Flap damping (the rule, also in docs/incidents.md): an alert that fires again within its
integration's flap window (default 15 minutes) after resolving is the SAME alert reopened, not a
new one: its flap count goes up, its incident is reopened if alerts had resolved it, and nobody is
paged again. When the last open alert of an incident resolves and one of its alerts has flapped
``flap_threshold`` times (default 3) or more, the incident's resolution is held until that alert
has stayed quiet for a whole flap window (the periodic ``alerts.settle`` job resolves it then).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.alerts import repository
from guardrail.alerts.enums import AlertStatus, SignalAction
from guardrail.alerts.models import Alert, AlertSettings
from guardrail.alerts.schemas import AlertSettingsIn, AlertSettingsOut
from guardrail.alerts.settings import Conf, Origin, conf_for, conf_of
from guardrail.alerts.signals import Signal
from guardrail.audit import service as audit_service
from guardrail.audit.service import Entry, record_many
from guardrail.cmdb import service as cmdb
from guardrail.errors import InvalidInput
from guardrail.incidents import service as incidents
from guardrail.incidents.models import Incident
from guardrail.integrations.inbound.core import service as inbound
from guardrail.kit.context import Actor
from guardrail.kit.time import isoformat, utcnow

ALERT_TYPES = ("alertmanager", "pagerduty", "cdevents", "generic")


@dataclass
class Summary:
    """What one batch of signals did."""

    created: int = 0
    updated: int = 0
    resolved: int = 0
    acknowledged: int = 0
    reopened: int = 0
    dropped: int = 0
    incidents_opened: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    session: Session
    actor: Actor
    origin: Origin
    conf: Conf
    now: datetime
    event_id: str | None
    open: dict[str, Alert] = field(default_factory=dict)
    recent: dict[str, Alert] = field(default_factory=dict)
    services: dict[str, str | None] = field(default_factory=dict)
    groups: dict[str, Incident] = field(default_factory=dict)
    created: dict[str, list[Alert]] = field(default_factory=dict)
    resolved_incidents: set[str] = field(default_factory=set)
    audit: list[Entry] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


def ingest(
    session: Session,
    origin: Origin,
    signals: list[Signal],
    *,
    event_id: str | None = None,
    now: datetime | None = None,
) -> Summary:
    """Apply a delivery's signals: new alerts, repeats, acknowledgements, resolutions, flaps."""
    batch = _Batch(
        session, _actor(origin), origin, conf_for(session, origin), now or utcnow(), event_id
    )
    keys = [origin.open_key(s.fingerprint) for s in signals]
    batch.open = repository.open_alerts(session, keys)
    missing = [
        s.fingerprint
        for s, k in zip(signals, keys, strict=True)
        if s.action is SignalAction.fire and k not in batch.open
    ]
    since = batch.now - batch.conf.flap_window
    batch.recent = repository.recently_resolved(session, origin.integration_id, missing, since)
    for signal, key in zip(signals, keys, strict=True):
        _HANDLERS[signal.action](batch, signal, key)
    session.flush()
    _finish(batch)
    return batch.summary


def _actor(origin: Origin) -> Actor:
    return Actor.system(f"{origin.type}:{origin.integration_id or 'builtin'}")


def _fire(batch: _Batch, signal: Signal, key: str) -> None:
    alert = batch.open.get(key)
    if alert is not None:
        alert.last_seen_at, alert.event_count = batch.now, alert.event_count + 1
        alert.last_event_id = batch.event_id
        batch.summary.updated += 1
        return
    recent = batch.recent.pop(signal.fingerprint, None)
    if recent is not None and _reopen(batch, recent, signal, key):
        return
    _new_alert(batch, signal, key)


def _new_alert(batch: _Batch, signal: Signal, key: str) -> None:
    service_id = _service(batch, signal.labels)
    sev = batch.conf.sev(signal.severity)
    group = group_key(service_id, batch.conf.group_by, signal.labels)
    incident = batch.groups.get(group)
    created = False
    if incident is None:
        incident, created = incidents.open_or_join(
            batch.session,
            batch.actor,
            group_key=group,
            service_id=service_id,
            title=signal.title,
            severity=sev,
            runbook_url=signal.runbook_url,
            source=batch.origin.type,
            started_at=signal.starts_at or batch.now,
            now=batch.now,
        )
        batch.groups[group] = incident
    alert = Alert(
        integration_id=batch.origin.integration_id,
        source=batch.origin.type,
        fingerprint=signal.fingerprint,
        open_key=key,
        group_key=group,
        service_id=service_id,
        incident_id=incident.id,
        status=AlertStatus.firing.value,
        severity=signal.severity[:40],
        sev=sev,
        title=signal.title,
        labels=signal.labels,
        annotations=signal.annotations,
        generator_url=signal.generator_url,
        runbook_url=signal.runbook_url,
        starts_at=signal.starts_at or batch.now,
        ends_at=None,
        first_seen_at=batch.now,
        last_seen_at=batch.now,
        last_event_id=batch.event_id,
    )
    batch.session.add(alert)
    batch.open[key] = alert
    if created:
        batch.created[incident.id] = []
    if incident.id in batch.created:
        batch.created[incident.id].append(alert)
    incidents.alert_joined(batch.session, batch.actor, incident, _alert_view(alert), at=batch.now)
    batch.audit.append(Entry("alert.fire", "alert", alert.id, after=_alert_view(alert)))
    batch.summary.created += 1


def _reopen(batch: _Batch, alert: Alert, signal: Signal, key: str) -> bool:
    """Reopen a recently resolved alert (a flap); False when its incident is closed."""
    if alert.incident_id and not incidents.can_reopen(batch.session, alert.incident_id):
        return False
    gap = (batch.now - alert.resolved_at).total_seconds() if alert.resolved_at else 0.0
    alert.status, alert.open_key, alert.resolved_at, alert.ends_at = "firing", key, None, None
    alert.flaps, alert.event_count = alert.flaps + 1, alert.event_count + 1
    alert.last_seen_at, alert.last_event_id = batch.now, batch.event_id
    batch.open[key] = alert
    if alert.incident_id:
        text = (
            f"alert {alert.title!r} fired again {int(gap)}s after resolving "
            f"(flap {alert.flaps}; no new page)"
        )
        incidents.alert_flapped(batch.session, batch.actor, alert.incident_id, text, at=batch.now)
        batch.resolved_incidents.discard(alert.incident_id)
    batch.audit.append(Entry("alert.reopen", "alert", alert.id, after={"flaps": alert.flaps}))
    batch.summary.reopened += 1
    return True


def _resolve(batch: _Batch, signal: Signal, key: str) -> None:
    alert = batch.open.pop(key, None)
    if alert is None:
        batch.summary.dropped += 1  # nothing open under that key (PagerDuty drops these too)
        return
    alert.status, alert.open_key = AlertStatus.resolved.value, None
    alert.resolved_at, alert.ends_at = batch.now, signal.ends_at or batch.now
    alert.last_seen_at, alert.last_event_id = batch.now, batch.event_id
    if alert.incident_id:
        incidents.add_timeline_entry(
            batch.session,
            batch.actor,
            alert.incident_id,
            "alert_resolved",
            f"alert resolved: {alert.title}",
            {"alert_id": alert.id},
            at=batch.now,
            flush=False,
        )
        batch.resolved_incidents.add(alert.incident_id)
    batch.audit.append(Entry("alert.resolve", "alert", alert.id, after={"status": "resolved"}))
    batch.summary.resolved += 1


def _acknowledge(batch: _Batch, signal: Signal, key: str) -> None:
    alert = batch.open.get(key)
    if alert is None:
        batch.summary.dropped += 1
        return
    alert.status, alert.last_seen_at = AlertStatus.acknowledged.value, batch.now
    if alert.incident_id:
        incidents.acknowledge(
            batch.session,
            batch.actor,
            alert.incident_id,
            via=batch.origin.type,
            by=batch.origin.name or batch.actor.name,
            quiet=True,
        )
    batch.audit.append(
        Entry("alert.acknowledge", "alert", alert.id, after={"status": "acknowledged"})
    )
    batch.summary.acknowledged += 1


_HANDLERS = {
    SignalAction.fire: _fire,
    SignalAction.resolve: _resolve,
    SignalAction.acknowledge: _acknowledge,
}


def _finish(batch: _Batch) -> None:
    for incident_id in sorted(batch.resolved_incidents):
        settle_incident(batch.session, batch.actor, incident_id, batch.conf, batch.now)
    for incident_id, alerts in batch.created.items():
        incidents.announce(
            batch.session, batch.actor, incident_id, [_alert_view(a) for a in alerts]
        )
        batch.summary.incidents_opened.append(incident_id)
    if batch.audit:
        record_many(batch.session, batch.actor, batch.audit)


def settle_incident(
    session: Session, actor: Actor, incident_id: str, conf: Conf, now: datetime
) -> None:
    """Resolve an incident whose alerts all resolved, unless one of them is flapping (hold)."""
    if repository.open_count(session, incident_id):
        return
    flapping = repository.flapping_of(
        session, incident_id, conf.flap_threshold, now - conf.flap_window
    )
    if flapping:
        until = max(a.resolved_at or now for a in flapping) + conf.flap_window
        names = ", ".join(sorted({a.title for a in flapping}))[:500]
        incidents.hold_resolution(session, actor, incident_id, until, f"flapping: {names}")
        return
    incidents.resolve_from_alerts(session, actor, incident_id)


def _service(batch: _Batch, labels: dict[str, str]) -> str | None:
    if batch.origin.service_id:
        return batch.origin.service_id
    name = labels.get(batch.conf.service_label)
    if not name:
        return None
    if name not in batch.services:
        found = cmdb.find_service(batch.session, name)
        batch.services[name] = found.id if found else None
    return batch.services[name]


def group_key(service_id: str | None, group_by: list[str], labels: dict[str, str]) -> str:
    """The grouping key: the service and the values of the grouping labels."""
    key = (service_id or "-") + "|" + ",".join(f"{n}={labels.get(n, '')}" for n in group_by)
    if len(key) <= 500:
        return key
    return key[:400] + "#" + hashlib.sha256(key.encode()).hexdigest()


def _alert_view(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "title": alert.title,
        "severity": alert.severity,
        "sev": alert.sev,
        "fingerprint": alert.fingerprint,
        "labels": alert.labels,
        "starts_at": isoformat(alert.starts_at),
        "runbook_url": alert.runbook_url,
        "generator_url": alert.generator_url,
    }


# --- reads -------------------------------------------------------------------------------------


def alerts_of_incidents(session: Session, incident_ids: list[str]) -> list[Alert]:
    """The alerts grouped into the given incidents, oldest first."""
    return repository.alerts_of(session, incident_ids)


def list_alerts(
    session: Session,
    *,
    status: str | None = None,
    service: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Alert], int]:
    """Alerts, most recently seen first."""
    service_id = cmdb.get_service(session, service).id if service else None
    return repository.list_alerts(
        session, status=status, service_id=service_id, limit=limit, offset=offset
    )


def has_open_alerts(session: Session, incident_id: str) -> bool:
    """Whether any alert of the incident is still open."""
    return repository.open_count(session, incident_id) > 0


def count_alerts(session: Session) -> int:
    """How many alerts are stored (the benchmark counts them)."""
    return repository.count_alerts(session)


# --- integration settings ---------------------------------------------------------------------


def get_settings(session: Session, integration_id: str) -> AlertSettingsOut:
    """An alert integration's effective settings."""
    integration = inbound.get_integration(session, integration_id)
    row = repository.settings(session, integration.id)
    conf = conf_of(integration.type, row)
    return AlertSettingsOut(
        integration_id=integration.id,
        type=integration.type,
        group_by=conf.group_by,
        severity_map=conf.severity_map,
        service_label=conf.service_label,
        flap_window_minutes=int(conf.flap_window.total_seconds() // 60),
        flap_threshold=conf.flap_threshold,
        mapping=conf.mapping,
    )


def put_settings(
    session: Session, actor: Actor, integration_id: str, data: AlertSettingsIn
) -> AlertSettingsOut:
    """Replace an alert integration's settings."""
    integration = inbound.get_integration(session, integration_id)
    if integration.type not in ALERT_TYPES:
        raise InvalidInput(
            f"{integration.id} is a {integration.type} integration; alert settings "
            f"apply to {', '.join(ALERT_TYPES)}"
        )
    row = repository.settings(session, integration.id)
    before = get_settings(session, integration.id).model_dump() if row else None
    if row is None:
        row = AlertSettings(integration_id=integration.id)
        session.add(row)
    row.group_by, row.service_label = data.group_by, data.service_label
    row.severity_map = {k.lower(): v.value for k, v in data.severity_map.items()}
    row.flap_window_seconds, row.flap_threshold = data.flap_window_minutes * 60, data.flap_threshold
    row.mapping, row.updated_at, row.updated_by = data.mapping, utcnow(), actor.name
    session.flush()
    after = get_settings(session, integration.id)
    audit_service.record(
        session,
        actor,
        "alert_settings.put",
        "integration",
        integration.id,
        before=before,
        after=after.model_dump(),
    )
    return after

"""Suspect changes: what changed shortly before an incident on its service and what it depends on.

Candidates are the deployments (releases practice) and change records (change practice) of the
incident's service and of the services its configuration items depend on (CMDB, up to 3 hops),
in the 24 hours before the incident started. Each gets a score:

    score = proximity x closeness x (1 + log2(1 + blast radius))

- proximity = 1 / (1 + minutes between the change and the incident's start / 30): a deploy five
  minutes before scores 0.86, one two hours before 0.2;
- closeness = 1 for the incident's own service, 0.6 for a direct dependency, 0.4 beyond;
- blast radius = how many services depend on the changed service (CMDB impact walk).

Failed deployments and changes that failed or rolled back count too; ones still pending do not.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.changes import views as changes
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import ImpactDirection
from guardrail.errors import GuardrailError
from guardrail.incidents.models import Incident
from guardrail.incidents.paging import base_url
from guardrail.kit.time import as_utc, isoformat
from guardrail.releases import reports as releases
from guardrail.releases.service import service_slug

LOOKBACK = timedelta(hours=24)
LIMIT = 10
_SKIP_CHANGE_STATES = {"requested", "pending_approval", "rejected", "blocked", "cancelled"}
_SKIP_DEPLOY_STATES = {"pending", "cancelled"}


def rank(session: Session, incident: Incident, *, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The incident's suspect changes, most suspect first."""
    if incident.service_id is None:
        return []
    end = as_utc(incident.started_at)
    found: list[dict[str, Any]] = []
    for name, distance in related_services(session, incident.service_id).items():
        blast = blast_radius(session, name)
        found += [
            _deployment(d, name, distance, blast, end) for d in _deployments(session, name, end)
        ]
        found += [_change(c, name, distance, blast, end) for c in _changes(session, name, end)]
    found.sort(key=lambda s: (-s["score"], s["at"]))
    return found[:limit]


def related_services(session: Session, service_id: str) -> dict[str, int]:
    """The service and those its items depend on, by name, with their distance in hops."""
    service = cmdb.find_service(session, service_id)
    if service is None:
        return {}
    out = {service.name: 0}
    items, _ = cmdb.search_items(session, service=service.id, limit=20)
    for item in items:
        try:
            walk = cmdb.impact(session, item.id, depth=3, direction=ImpactDirection.dependencies)
        except GuardrailError:
            continue
        ids = {e.item.service_id: e.depth for e in walk.dependencies if e.item.service_id}
        for other_id, depth in ids.items():
            other = cmdb.find_service(session, other_id)
            if other is not None and other.name not in out:
                out[other.name] = depth
    return out


def blast_radius(session: Session, service_name: str) -> int:
    """How many other services depend on ``service_name``'s items."""
    service = cmdb.find_service(session, service_name)
    if service is None:
        return 0
    items, _ = cmdb.search_items(session, service=service.id, limit=20)
    reached: set[str] = set()
    for item in items:
        try:
            walk = cmdb.impact(session, item.id, depth=3, direction=ImpactDirection.dependents)
        except GuardrailError:
            continue
        reached |= {s.service_id for s in walk.services if s.service_id != service.id}
    return len(reached)


def _deployments(session: Session, name: str, end: datetime) -> list[Any]:
    rows, _ = releases.list_deployments(
        session,
        service=service_slug(name),
        start=end - LOOKBACK,
        end=end + timedelta(seconds=1),
        limit=50,
    )
    return [d for d in rows if d.status not in _SKIP_DEPLOY_STATES]


def _changes(session: Session, name: str, end: datetime) -> list[Any]:
    rows, _ = changes.list_changes(session, service=name, limit=50)
    return [
        c
        for c in rows
        if c.state not in _SKIP_CHANGE_STATES and end - LOOKBACK <= _change_at(c) <= end
    ]


def _change_at(change: Any) -> datetime:
    return as_utc(getattr(change, "started_at", None) or change.created_at)


def _score(at: datetime, distance: int, blast: int, end: datetime) -> tuple[float, float]:
    minutes = max(0.0, (end - as_utc(at)).total_seconds() / 60)
    closeness = 1.0 if distance == 0 else 0.6 if distance == 1 else 0.4
    return round((1 / (1 + minutes / 30)) * closeness * (1 + math.log2(1 + blast)), 4), minutes


def _deployment(dep: Any, name: str, distance: int, blast: int, end: datetime) -> dict[str, Any]:
    score, minutes = _score(dep.deployed_at, distance, blast, end)
    return {
        "id": dep.id,
        "kind": "deployment",
        "service": name,
        "environment": dep.environment,
        "title": f"deploy {dep.service} {dep.version or (dep.sha or '')[:12]} to {dep.environment}",
        "at": isoformat(dep.deployed_at),
        "url": dep.url or f"{base_url()}/releases/deployments/{dep.id}",
        "status": dep.status,
        "version": dep.version,
        "sha": dep.sha,
        "score": score,
        "minutes_before": round(minutes, 1),
        "distance": distance,
        "blast_radius": blast,
    }


def _change(change: Any, name: str, distance: int, blast: int, end: datetime) -> dict[str, Any]:
    at = _change_at(change)
    score, minutes = _score(at, distance, blast, end)
    return {
        "id": change.id,
        "kind": "change",
        "service": name,
        "environment": change.environment,
        "title": change.title,
        "at": isoformat(at),
        "url": f"{base_url()}/changes/{change.id}",
        "status": change.state,
        "version": change.version,
        "sha": change.commit_sha,
        "score": score,
        "minutes_before": round(minutes, 1),
        "distance": distance,
        "blast_radius": blast,
    }

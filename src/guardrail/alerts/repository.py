"""Every query of the alerts practice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guardrail.alerts.models import Alert, AlertSettings


def settings(session: Session, integration_id: str) -> AlertSettings | None:
    return session.get(AlertSettings, integration_id)


def open_alerts(session: Session, open_keys: Iterable[str]) -> dict[str, Alert]:
    keys = list(set(open_keys))
    if not keys:
        return {}
    rows = session.scalars(select(Alert).where(Alert.open_key.in_(keys)))
    return {row.open_key or "": row for row in rows}


def recently_resolved(
    session: Session, integration_id: str | None, fingerprints: list[str], since: datetime
) -> dict[str, Alert]:
    """The latest alert of each fingerprint that resolved at or after ``since``."""
    if not fingerprints:
        return {}
    query = select(Alert).where(
        Alert.fingerprint.in_(list(set(fingerprints))),
        Alert.status == "resolved",
        Alert.resolved_at >= since,
    )
    query = query.where(
        Alert.integration_id.is_(None)
        if integration_id is None
        else Alert.integration_id == integration_id
    )
    found: dict[str, Alert] = {}
    for row in session.scalars(query.order_by(Alert.resolved_at)):
        found[row.fingerprint] = row
    return found


def open_count(session: Session, incident_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.incident_id == incident_id, Alert.open_key.is_not(None))
        )
        or 0
    )


def flapping_of(session: Session, incident_id: str, threshold: int, since: datetime) -> list[Alert]:
    """Alerts of the incident that flapped at least ``threshold`` times and resolved lately."""
    return list(
        session.scalars(
            select(Alert).where(
                Alert.incident_id == incident_id,
                Alert.flaps >= threshold,
                Alert.resolved_at >= since,
            )
        )
    )


def alerts_of(session: Session, incident_ids: list[str]) -> list[Alert]:
    if not incident_ids:
        return []
    return list(
        session.scalars(
            select(Alert).where(Alert.incident_id.in_(incident_ids)).order_by(Alert.starts_at)
        )
    )


def list_alerts(
    session: Session, *, status: str | None, service_id: str | None, limit: int, offset: int
) -> tuple[list[Alert], int]:
    query = select(Alert)
    if status:
        query = query.where(Alert.status == status)
    if service_id:
        query = query.where(Alert.service_id == service_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Alert.last_seen_at.desc(), Alert.id).limit(limit).offset(offset)
    )
    return list(rows), total


def count_alerts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Alert)) or 0

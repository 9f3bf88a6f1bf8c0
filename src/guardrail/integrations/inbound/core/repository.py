"""Every query of the inbound core."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from guardrail.integrations.models import InboundEvent, Integration


def integration(session: Session, integration_id: str) -> Integration | None:
    return session.get(Integration, integration_id)


def integrations(session: Session, *, include_revoked: bool) -> list[Integration]:
    query = select(Integration).order_by(Integration.created_at, Integration.id)
    if not include_revoked:
        query = query.where(Integration.revoked_at.is_(None))
    return list(session.scalars(query))


def integration_by_routing_key(session: Session, routing_key: str) -> Integration | None:
    return session.scalars(
        select(Integration).where(Integration.routing_key == routing_key)
    ).first()


def event_by_key(session: Session, integration_id: str, dedup_key: str) -> InboundEvent | None:
    return session.scalars(
        select(InboundEvent).where(
            InboundEvent.integration_id == integration_id, InboundEvent.dedup_key == dedup_key
        )
    ).first()


def event(session: Session, event_id: str) -> InboundEvent | None:
    return session.get(InboundEvent, event_id)


def events(
    session: Session, *, integration_id: str | None, status: str | None, limit: int
) -> list[InboundEvent]:
    query = select(InboundEvent)
    if integration_id:
        query = query.where(InboundEvent.integration_id == integration_id)
    if status:
        query = query.where(InboundEvent.status == status)
    return list(session.scalars(query.order_by(InboundEvent.received_at.desc()).limit(limit)))

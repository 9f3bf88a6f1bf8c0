"""Integrations (create, list, revoke) and receiving deliveries: verify, store once, enqueue."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import NotFound, Unauthorized
from guardrail.integrations.inbound.core import repository, routing
from guardrail.integrations.inbound.core.schemas import (
    IntegrationCreate,
    IntegrationCreated,
    IntegrationOut,
    Receipt,
)
from guardrail.integrations.inbound.core.store import PROCESS_JOB as PROCESS_JOB
from guardrail.integrations.inbound.core.store import Pending, store_many
from guardrail.integrations.inbound.core.types import (
    BadDelivery,
    Delivery,
    Described,
    SecretKind,
    get_type,
)
from guardrail.integrations.inbound.core.verify import hash_secret
from guardrail.integrations.models import InboundEvent, Integration
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow

SECRET_PREFIX = "whsec_"


def hook_path(integration: Integration) -> str:
    """Where the sender posts: ``/hooks/<type>/<id>``."""
    return f"/hooks/{integration.type}/{integration.id}"


def create_integration(
    session: Session, actor: Actor, data: IntegrationCreate, *, base_url: str
) -> IntegrationCreated:
    """Create an integration; its secret is returned here and never shown again."""
    itype = get_type(data.type)
    service = cmdb.get_service(session, data.service) if data.service else None
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = Integration(
        type=itype.name,
        name=data.name or f"{itype.title}{' for ' + service.name if service else ''}",
        service_id=service.id if service else None,
        secret=secret if itype.secret_kind is SecretKind.kept else None,
        secret_hash=hash_secret(secret) if itype.secret_kind is SecretKind.hashed else None,
        secret_hint=secret[:10],
        routing_key=secrets.token_hex(16) if itype.uses_routing_key else None,
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session, actor, "integration.create", "integration", row.id, after=_view(row)
    )
    out = to_out(session, row, base_url=base_url)
    url = out.url
    setup = itype.setup.format(url=url, secret=secret, routing_key=row.routing_key or "")
    return IntegrationCreated(**out.model_dump(), secret=secret, setup=setup)


def list_integrations(session: Session, *, include_revoked: bool = False) -> list[Integration]:
    """Integrations, oldest first."""
    return repository.integrations(session, include_revoked=include_revoked)


def get_integration(session: Session, integration_id: str) -> Integration:
    """One integration by id."""
    row = repository.integration(session, integration_id)
    if row is None:
        raise NotFound(
            f"there is no integration {integration_id!r}; see `guardrail integration list`"
        )
    return row


def find_by_routing_key(session: Session, itype: str, routing_key: str) -> Integration | None:
    """The active integration of type ``itype`` holding ``routing_key``, if any."""
    row = repository.integration_by_routing_key(session, routing_key)
    if row is None or row.type != itype or row.revoked_at is not None:
        return None
    return row


def route_for(session: Session, itype: str, routing_key: str) -> routing.Route | None:
    """``find_by_routing_key`` through the per-process cache (see ``routing`` for its bound)."""
    engine = session.get_bind().engine
    route = routing.cached(engine, routing_key)
    if route is None:
        row = find_by_routing_key(session, itype, routing_key)
        if row is None:
            return None
        route = routing.Route(row.id, row.type, row.service_id)
        routing.remember(engine, routing_key, route)
    return route if route.type == itype else None


def revoke_integration(session: Session, actor: Actor, integration_id: str) -> Integration:
    """Revoke an integration: its deliveries are refused from now on."""
    row = get_integration(session, integration_id)
    if row.revoked_at is None:
        before = _view(row)
        row.revoked_at = utcnow()
        session.flush()
        if row.routing_key:
            routing.forget(row.routing_key)
        audit_service.record(
            session,
            actor,
            "integration.revoke",
            "integration",
            row.id,
            before=before,
            after=_view(row),
        )
    return row


def to_out(session: Session, row: Integration, *, base_url: str = "") -> IntegrationOut:
    """The integration as shown: its service by name and its full URL."""
    service = cmdb.find_service(session, row.service_id) if row.service_id else None
    return IntegrationOut(
        id=row.id,
        type=row.type,
        name=row.name,
        service=service.name if service else None,
        secret_hint=row.secret_hint,
        routing_key=row.routing_key,
        url=base_url.rstrip("/") + hook_path(row),
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )


def receive(session: Session, source: str, integration_id: str, delivery: Delivery) -> Receipt:
    """Verify a delivery, store it once, and enqueue its processing; a replay changes nothing.

    Raw deliveries are not written to the audit chain one by one: the event table is itself the
    append-only record of what arrived, and the records derived from it are audited.
    """
    itype = get_type(source)
    integration = repository.integration(session, integration_id)
    if integration is None or integration.type != itype.name:
        raise NotFound(f"there is no {itype.name} integration {integration_id!r}")
    if integration.revoked_at is not None:
        raise Unauthorized(f"integration {integration_id} was revoked; create a new one")
    if not itype.verify(integration, delivery):
        raise Unauthorized(f"the delivery's {itype.signature} does not verify; nothing was stored")
    described = itype.describe(delivery)
    (stored,) = store_many(session, [pending(itype.name, integration.id, described, delivery)])
    return Receipt(
        event_id=stored.event_id,
        event_type=stored.event_type,
        duplicate=stored.duplicate,
        status="accepted" if not stored.duplicate else stored.status,
    )


def pending(source: str, integration_id: str, described: Described, delivery: Delivery) -> Pending:
    """A verified, described delivery as the raw store takes it."""
    itype = get_type(source)
    return Pending(
        integration_id=integration_id,
        source=itype.name,
        event_type=described.event_type,
        dedup_key=described.dedup_key,
        headers={h: v for h in itype.kept_headers if (v := delivery.header(h)) is not None},
        body=_text(delivery.body),
    )


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadDelivery(f"the body is not UTF-8 text: {exc}") from exc


def process_event(session: Session, event_id: str) -> str | None:
    """Run the processor registered for a stored event; return its new status."""
    event = repository.event(session, event_id)
    if event is None or event.status != "received":
        return None  # processed already (a retried job), or purged
    processor = get_type(event.source).processor_for(event.event_type)
    event.status = processor(session, event) if processor else "ignored"
    event.processed_at = utcnow()
    session.flush()
    return event.status


def list_events(
    session: Session,
    *,
    integration_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[InboundEvent]:
    """Stored deliveries, newest first."""
    return repository.events(session, integration_id=integration_id, status=status, limit=limit)


def _view(row: Integration) -> dict[str, Any]:
    return {
        "type": row.type,
        "name": row.name,
        "service_id": row.service_id,
        "secret_hint": row.secret_hint,
        "revoked_at": row.revoked_at,
    }

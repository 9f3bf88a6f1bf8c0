"""Integrations over HTTP: create (secret shown once), list, revoke; stored deliveries."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, status

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.schemas import (
    IntegrationCreate,
    IntegrationCreated,
    IntegrationOut,
)
from guardrail.kit.context import Actor
from guardrail.store.session import Database

router = APIRouter(prefix="/integrations", tags=["integrations"])


def base_url(request: Request) -> str:
    """Where senders reach this server: GUARDRAIL_PUBLIC_URL, else the request's own origin."""
    configured = request.app.state.settings.public_url
    return configured or str(request.base_url).rstrip("/")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an integration")
def create_integration(
    data: IntegrationCreate,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.admin)),
) -> IntegrationCreated:
    """Create an integration; the answer holds its URL and secret, shown only this once."""
    with db.unit_of_work() as session:
        return inbound.create_integration(session, actor, data, base_url=base_url(request))


@router.get("", summary="List integrations")
def list_integrations(
    request: Request,
    include_revoked: bool = Query(False, alias="all"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.admin)),
) -> list[IntegrationOut]:
    """Integrations (never their secrets), oldest first."""
    with db.reader() as session:
        rows = inbound.list_integrations(session, include_revoked=include_revoked)
        return [inbound.to_out(session, r, base_url=base_url(request)) for r in rows]


@router.post("/{integration_id}/revoke", summary="Revoke an integration")
def revoke_integration(
    integration_id: str,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.admin)),
) -> IntegrationOut:
    """Refuse the integration's deliveries from now on."""
    with db.unit_of_work() as session:
        row = inbound.revoke_integration(session, actor, integration_id)
        return inbound.to_out(session, row, base_url=base_url(request))

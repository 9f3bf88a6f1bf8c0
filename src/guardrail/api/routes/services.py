"""The service catalogue over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from guardrail.api.deps import get_db, require
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import Lifecycle
from guardrail.cmdb.schemas import ServiceCreate, ServiceFilter, ServiceOut, ServiceUpdate
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.store.session import Database

router = APIRouter(prefix="/services", tags=["services"])


@router.get("", summary="List services")
def list_services(
    team: str | None = Query(None, max_length=64, description="Owner team slug or id"),
    tier: int | None = Query(None, ge=1, le=4),
    lifecycle: Lifecycle | None = None,
    environment: str | None = Query(None, max_length=63),
    q: str | None = Query(None, max_length=200, description="Substring of the name or title"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[ServiceOut]:
    """Services matching the filters, ordered by name."""
    filters = ServiceFilter(team=team, tier=tier, lifecycle=lifecycle, environment=environment, q=q)
    with db.reader() as session:
        rows, total = cmdb.list_services(session, filters, limit=limit, offset=offset)
        return Page(items=cmdb.to_out(session, rows), total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a service")
def create_service(
    data: ServiceCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ServiceOut:
    """Register a service; its name must be new."""
    with db.unit_of_work() as session:
        service = cmdb.create_service(session, actor, data)
        return cmdb.to_out(session, [service])[0]


@router.get("/{ref}", summary="Get a service by id or name")
def get_service(
    ref: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ServiceOut:
    """One service."""
    with db.reader() as session:
        return cmdb.to_out(session, [cmdb.get_service(session, ref)])[0]


@router.patch("/{ref}", summary="Update a service")
def update_service(
    ref: str,
    data: ServiceUpdate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ServiceOut:
    """Change the given fields of a service."""
    with db.unit_of_work() as session:
        service = cmdb.update_service(session, actor, ref, data)
        return cmdb.to_out(session, [service])[0]

"""Every query on the service catalogue."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from guardrail.cmdb.models import Service
from guardrail.cmdb.schemas import ServiceFilter


def get(session: Session, id_or_name: str) -> Service | None:
    """A service by public id or by name."""
    column = Service.id if id_or_name.startswith("svc_") else Service.name
    return session.scalars(select(Service).where(column == id_or_name)).first()


def get_by_name(session: Session, name: str) -> Service | None:
    return session.scalars(select(Service).where(Service.name == name)).first()


def list_services(
    session: Session, filters: ServiceFilter, *, team_id: str | None, limit: int, offset: int
) -> tuple[list[Service], int]:
    query = select(Service)
    if team_id is not None:
        query = query.where(Service.owner_team_id == team_id)
    if filters.tier is not None:
        query = query.where(Service.tier == filters.tier)
    if filters.lifecycle is not None:
        query = query.where(Service.lifecycle == filters.lifecycle.value)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(
            or_(
                func.lower(Service.name).like(pattern),
                func.lower(Service.display_name).like(pattern),
            )
        )
    query = query.order_by(Service.name)
    if filters.environment:
        # environments is a portable JSON list (no JSONB operators): the catalogue is small, so
        # this filter runs in Python over the rows the other filters left.
        rows = [r for r in session.scalars(query) if filters.environment in (r.environments or [])]
        return rows[offset : offset + limit], len(rows)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), total


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Service)) or 0

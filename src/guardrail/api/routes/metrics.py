"""The scoreboard over HTTP: DORA and ITIL figures for a service, team, environment and period."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from guardrail.api.deps import get_db, require
from guardrail.errors import InvalidInput
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import Metric, ScopeIn, Scoreboard, ServiceRow
from guardrail.store.session import Database

router = APIRouter(prefix="/metrics", tags=["metrics"])


def scope_of(
    service: str | None = Query(None, max_length=63, description="Service name or id"),
    team: str | None = Query(None, max_length=63, description="Owner team slug"),
    env: str = Query("production", max_length=63, description="Environment"),
    since: str = Query("90d", max_length=10, description="Period length, e.g. 30d or 12w"),
) -> ScopeIn:
    """The scope from the query string; a bad period is a 400 that says how to write it."""
    try:
        return ScopeIn(service=service, team=team, environment=env, since=since)
    except ValidationError as exc:
        raise InvalidInput(
            f"since={since!r} is not a period; write days or weeks, e.g. 30d or 12w"
        ) from exc


@router.get("", summary="The scoreboard: DORA metrics and ITIL KPIs")
def scoreboard(
    scope: ScopeIn = Depends(scope_of),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Scoreboard:
    """Every figure for the scope, with its level, the previous period's value and a series."""
    with db.reader() as session:
        return metrics.scoreboard(session, scope)


@router.get("/dora", summary="DORA's five metrics")
def dora(
    scope: ScopeIn = Depends(scope_of),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[Metric]:
    """Deployment frequency, lead time, change failure rate, recovery time and rework rate."""
    with db.reader() as session:
        return metrics.scoreboard(session, scope).dora


@router.get("/itil", summary="ITIL KPIs")
def itil(
    scope: ScopeIn = Depends(scope_of),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[Metric]:
    """Change, incident, escalation and SLO KPIs (problems: not tracked yet)."""
    with db.reader() as session:
        return metrics.scoreboard(session, scope).itil


@router.get("/services", summary="DORA metrics per service")
def per_service(
    scope: ScopeIn = Depends(scope_of),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[ServiceRow]:
    """One row per service in the scope, with each metric's level."""
    with db.reader() as session:
        return metrics.by_service(session, scope)

"""Service level objectives over HTTP: apply specs, push events, status, alerts, the verdict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import (
    AlertOut,
    ApplyIn,
    ApplyOut,
    EventsIn,
    EventsOut,
    ReportOut,
    SloOut,
    VerdictOut,
)
from guardrail.store.session import Database

router = APIRouter(prefix="/slos", tags=["slos"])


@router.post("/apply", summary="Validate and store SLO specs and budget policies")
def apply_specs(
    data: ApplyIn, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.engineer))
) -> ApplyOut:
    """Store OpenSLO / Sloth SLOs and budget policies as new versions (all or nothing)."""
    with db.unit_of_work() as session:
        return ApplyOut(items=slo_service.apply_specs(session, actor, data))


@router.get("", summary="List SLOs with their budget")
def list_slos(
    service: str | None = Query(None, max_length=63, description="Service name or id"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[SloOut]:
    """SLOs with budget remaining, burn rates and open alerts, by service and name."""
    with db.reader() as session:
        rows, total = slo_service.list_slos(session, service=service, limit=limit, offset=offset)
        return Page(
            items=slo_service.to_out(session, rows), total=total, limit=limit, offset=offset
        )


@router.get("/alerts", summary="Burn-rate alerts firing now")
def active_alerts(
    service: str | None = Query(None, max_length=63),
    severity: str | None = Query(None, pattern="^(page|ticket)$"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[AlertOut]:
    """Open burn-rate alerts, optionally of one service or severity."""
    with db.reader() as session:
        alerts = slo_service.active_alerts(session, service_id=service, severity=severity)
        return slo_service.alerts_out(session, alerts)


@router.get("/verdict", summary="What the error-budget policy says about a change")
def verdict(
    service: str = Query(..., max_length=63),
    environment: str = Query("production", max_length=63),
    change_type: str = Query("normal", max_length=40),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> VerdictOut:
    """The budget verdict the change gate would get for this service and change type."""
    with db.reader() as session:
        result = slo_service.budget_verdict(session, service, environment, change_type)
    return VerdictOut(
        state=result.state,
        allowed=result.allowed,
        reason=result.reason,
        remaining=result.remaining,
        slo=result.slo,
        policy=result.policy,
        exempt=result.exempt,
        details=result.details,
    )


@router.get("/{ref}", summary="Get an SLO")
def get_slo(
    ref: str,
    service: str | None = Query(None, max_length=63),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> dict[str, Any]:
    """One SLO with its spec, versions, attainment and recent alerts."""
    with db.reader() as session:
        slo = slo_service.get_slo(session, ref, service)
        out = slo_service.to_out(session, [slo])[0].model_dump(mode="json")
        alerts = slo_service.alerts_out(session, slo_service.recent_alerts(session, slo))
        return {
            **out,
            "spec": slo.spec,
            "revisions": slo_service.revisions(session, slo),
            "attainment": slo_service.attainment(session, slo),
            "alerts": [a.model_dump(mode="json") for a in alerts],
        }


@router.get("/{ref}/report", summary="The SLA report: attainment per window and calendar month")
def report(
    ref: str,
    service: str | None = Query(None, max_length=63),
    months: int = Query(3, ge=1, le=24, description="Calendar months, the current one last"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> ReportOut:
    """Attainment over the SLO window and per calendar month (Prometheus SLOs are queried)."""
    with db.reader() as session:
        slo = slo_service.get_slo(session, ref, service)
        return slo_service.report(session, slo, months)


@router.post("/{ref}/events", summary="Push good/total counts for an event-sourced SLO")
def push_events(
    ref: str,
    data: EventsIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> EventsOut:
    """Store counts per interval; a repeated interval start replaces its counts (never adds)."""
    with db.unit_of_work() as session:
        return slo_service.push_events(session, actor, ref, data)

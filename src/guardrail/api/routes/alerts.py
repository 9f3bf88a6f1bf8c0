"""Alerts over HTTP: the alert list, and each alert integration's grouping and severity settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from guardrail.alerts import service as alerts
from guardrail.alerts.enums import AlertStatus
from guardrail.alerts.schemas import AlertOut, AlertSettingsIn, AlertSettingsOut
from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.store.session import Database

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", summary="List alerts")
def list_alerts(
    status_: AlertStatus | None = Query(None, alias="status"),
    service_: str | None = Query(None, alias="service", max_length=63),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[AlertOut]:
    """Alerts, most recently seen first."""
    with db.reader() as session:
        rows, total = alerts.list_alerts(
            session,
            status=status_.value if status_ else None,
            service=service_,
            limit=limit,
            offset=offset,
        )
        return Page(
            items=[AlertOut.model_validate(r) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


@router.get("/settings/{integration_id}", summary="Get an alert integration's settings")
def get_settings(
    integration_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> AlertSettingsOut:
    """Grouping labels, severity map, service label, flap damping and mapping in effect."""
    with db.reader() as session:
        return alerts.get_settings(session, integration_id)


@router.put("/settings/{integration_id}", summary="Set an alert integration's settings")
def put_settings(
    integration_id: str,
    data: AlertSettingsIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.admin)),
) -> AlertSettingsOut:
    """Replace the integration's grouping, severity map, service label, flap damping, mapping."""
    with db.unit_of_work() as session:
        return alerts.put_settings(session, actor, integration_id, data)

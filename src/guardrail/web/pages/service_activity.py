"""What the service page shows from the practices: SLO burn-down, recent changes, deployments,
incidents, and the service's DORA figures (read through each practice's service functions)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from guardrail.changes import views as changes
from guardrail.cmdb.models import Service
from guardrail.incidents import reads as incidents
from guardrail.kit.time import utcnow
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.releases import reports
from guardrail.slo import service as slo_service
from guardrail.web.pages.slos import burn_down_svg

RECENT = 8


def activity(session: Session, service: Service) -> dict[str, Any]:
    """The extra sections of one service's page."""
    now = utcnow()
    slo_rows, _ = slo_service.list_slos(session, service=service.id, limit=20)
    slos = []
    for slo, out in zip(slo_rows, slo_service.to_out(session, slo_rows), strict=True):
        series = slo_service.burn_down(session, slo, now)
        chart = Markup(burn_down_svg(series, now, slo.window_seconds)) if series else None
        slos.append({"slo": out, "chart": chart, "points": len(series)})
    change_rows, change_total = changes.list_changes(session, service=service.id, limit=RECENT)
    incident_rows, incident_total = incidents.list_incidents(
        session, service=service.id, limit=RECENT
    )
    deployments, _ = reports.list_deployments(
        session, service=service.name, environment="production", limit=RECENT
    )
    board = metrics.scoreboard(session, ScopeIn(service=service.name, since="30d"))
    return {
        "slo_sections": slos,
        "recent_changes": changes.summaries(session, change_rows),
        "change_total": change_total,
        "recent_incidents": incident_rows,
        "incident_total": incident_total,
        "recent_deployments": deployments,
        "service_board": board,
    }

"""SLO pages: the list with budgets and burn rates, and one SLO with its budget burn-down chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, Query, Request, Response
from markupsafe import Markup, escape

from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.slo import service as slo_service
from guardrail.slo.spec import format_seconds
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()

CHART_W, CHART_H, PAD = 640, 220, 40


@router.get("/slos")
def slo_list(
    request: Request,
    service: str | None = Query(None, max_length=63),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Every SLO with its budget remaining, burn rates, open alerts and data status."""
    db: Database = request.app.state.db
    service = (service or "").strip() or None
    with db.reader() as session:
        rows, total = slo_service.list_slos(session, service=service, limit=500)
        slos = slo_service.to_out(session, rows)
    return render(request, "slos/list.html", {"slos": slos, "total": total, "service": service})


@router.get("/slos/{slo_id}")
def slo_detail(request: Request, slo_id: str, _: Actor = Depends(signed_in())) -> Response:
    """One SLO: budget, burn rates by window, burn-down chart, attainment, alerts, versions."""
    db: Database = request.app.state.db
    now = utcnow()
    with db.reader() as session:
        slo = slo_service.get_slo(session, slo_id)
        out = slo_service.to_out(session, [slo])[0]
        series = slo_service.burn_down(session, slo, now)
        start, span = slo_service.chart_range(slo, now)
        context = {
            "slo": out,
            "spec": slo_service.spec_of(slo),
            "chart": Markup(burn_down_svg(series, now, span, begin=start)),
            "points": len(series),
            "attainment": slo_service.attainment(session, slo, now),
            "alerts": slo_service.alerts_out(session, slo_service.recent_alerts(session, slo)),
            "revisions": slo_service.revisions(session, slo),
            "label": format_seconds,
            "rate": _rate,
        }
    return render(request, "slos/detail.html", context)


def burn_down_svg(
    series: list[tuple[datetime, float]],
    now: datetime,
    window: int,
    *,
    begin: datetime | None = None,
) -> str:
    """An SVG line of budget remaining (100% at the top, 0% dashed) over the trailing window up
    to ``now``, or, when the period ``begin``s elsewhere (a calendar window), from its start to
    its end."""
    if not series:
        return ""
    low = min(0.0, *(v for _, v in series))
    high = max(1.0, *(v for _, v in series))
    rolling = begin is None or abs(begin.timestamp() + window - now.timestamp()) < 1
    start = now.timestamp() - window if begin is None else begin.timestamp()
    left = f"{_days(window)} ago" if rolling else f"{begin:%Y-%m-%d %H:%M} UTC"
    right = "now" if rolling else "period end"

    def x(at: datetime) -> float:
        return PAD + (at.timestamp() - start) / window * (CHART_W - 2 * PAD)

    def y(value: float) -> float:
        return PAD / 2 + (high - value) / (high - low) * (CHART_H - PAD)

    points = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in series)
    last_at, last = series[-1]
    parts = [
        f'<svg class="burn-down" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
        f'aria-labelledby="burn-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="burn-title">Error budget remaining: {escape(_pct(last))} now</title>',
        _axis(y(1.0), "100%"),
        _axis(y(0.0), "0%", zero=True),
        f'<polyline class="burn-line" fill="none" points="{points}"/>',
        f'<circle class="burn-now" cx="{x(last_at):.1f}" cy="{y(last):.1f}" r="3"/>',
        f'<text class="burn-label" x="{PAD}" y="{CHART_H - 4}">{left}</text>',
        f'<text class="burn-label" x="{CHART_W - PAD}" y="{CHART_H - 4}" '
        f'text-anchor="end">{right}</text>',
        "</svg>",
    ]
    return "".join(parts)


def _axis(at: float, label: str, zero: bool = False) -> str:
    css = "burn-zero" if zero else "burn-grid"
    return (
        f'<line class="{css}" x1="{PAD}" x2="{CHART_W - PAD}" y1="{at:.1f}" y2="{at:.1f}"/>'
        f'<text class="burn-label" x="{PAD - 4}" y="{at + 4:.1f}" text-anchor="end">{label}</text>'
    )


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _days(seconds: int) -> str:
    return f"{seconds // 86400}d" if seconds >= 86400 else f"{seconds // 3600}h"


def _rate(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f}\u00d7"

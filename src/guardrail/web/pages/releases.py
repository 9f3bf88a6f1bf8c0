"""Releases: deployments with their commits and lead times, one deployment's page, and one
release's page with its generated notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Depends, Query, Request, Response

from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.releases import notes, reports
from guardrail.releases import service as releases
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()

PAGE_SIZE = 25
RECENT_RELEASES = 10
WINDOW_DAYS = 30


def duration(seconds: float | None) -> str:
    """A lead time as people read it: 45s, 12m, 3h05m, 2d04h."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


@router.get("/releases")
def deployment_list(
    request: Request,
    service: str | None = Query(None, max_length=63),
    environment: str | None = Query(None, max_length=63),
    page: int = Query(1, ge=1, le=100_000),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Deployments, newest first, with their commits, lead times and failure flags."""
    db: Database = request.app.state.db
    service, environment = (service or "").strip() or None, (environment or "").strip() or None
    end = utcnow()
    with db.reader() as session:
        items, total = reports.list_deployments(
            session,
            service=service,
            environment=environment,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        times = reports.lead_times(
            session, service=service, start=end - timedelta(days=WINDOW_DAYS), end=end
        )
        medians = _median_by_deployment(session, items)
        recent, _total = reports.list_releases(
            session, service=service, limit=RECENT_RELEASES, offset=0
        )
    context: dict[str, Any] = {
        "deployments": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "selected": {"service": service or "", "environment": environment or ""},
        "medians": medians,
        "releases": recent,
        "window_days": WINDOW_DAYS,
        "window_commits": len(times),
        "window_median": duration(reports.median_lead_time(times)),
        "duration": duration,
    }
    return render(request, "releases/list.html", context)


def _median_by_deployment(session: Any, items: list[Any]) -> dict[str, str]:
    """Median commit lead time of each listed deployment's commits."""
    medians = reports.median_lead_times(session, items)
    return {dep_id: duration(value) for dep_id, value in medians.items()}


@router.get("/releases/deployments/{deployment_id}")
def deployment_page(
    request: Request, deployment_id: str, _: Actor = Depends(signed_in())
) -> Response:
    """One deployment: its fields, why it counts as failed, its links and its commits."""
    db: Database = request.app.state.db
    with db.reader() as session:
        detail = reports.deployment_detail(session, releases.get_deployment(session, deployment_id))
    return render(request, "releases/detail.html", {"dep": detail, "duration": duration})


@router.get("/releases/{release_id}")
def release_page(request: Request, release_id: str, _: Actor = Depends(signed_in())) -> Response:
    """One release: its deployments and the notes generated from what they delivered."""
    db: Database = request.app.state.db
    with db.reader() as session:
        release = releases.get_release(session, release_id)
        built = notes.build(session, release)
        markdown = notes.to_markdown(built)
        deployments = reports.to_out(session, built.deployments)
    context = {"release": release, "notes": built, "markdown": markdown, "deps": deployments}
    return render(request, "releases/release.html", context)

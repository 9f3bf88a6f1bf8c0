"""The on-call calendar: who is on call now, and the next two weeks, per schedule."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request, Response

from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.oncall import service as oncall
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()


def _local(value: datetime, zone: str) -> str:
    """A time in the schedule's zone, e.g. ``Mon 30 Mar 09:00``."""
    return value.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


@router.get("/oncall")
def oncall_calendar(
    request: Request,
    days: int = Query(14, ge=1, le=60),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Each schedule: who is on call now and the shifts of the next ``days`` days."""
    db: Database = request.app.state.db
    now = utcnow()
    with db.reader() as session:
        overview = oncall.schedules_overview(session, now, days)
        runs = oncall.list_runs(session, status="active", limit=20)
    context = {"overview": overview, "days": days, "now": now, "local": _local, "runs": runs}
    return render(request, "oncall/calendar.html", context)

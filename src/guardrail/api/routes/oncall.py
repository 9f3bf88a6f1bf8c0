"""On-call over HTTP: apply the on-call file, who is on call, shifts, overrides, feeds, the logs."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.oncall import service as oncall
from guardrail.oncall.enums import FeedKind
from guardrail.oncall.schemas import (
    AppliedItem,
    ApplyIn,
    DeliveryOut,
    FeedIn,
    FeedOut,
    OnCallNow,
    OverrideIn,
    OverrideOut,
    PolicyOut,
    RunOut,
    ScheduleOut,
    SegmentOut,
)
from guardrail.store.session import Database

router = APIRouter(prefix="/oncall", tags=["oncall"])
_bearer = HTTPBearer(auto_error=False)
ICS = "text/calendar; charset=utf-8"


@router.post("/apply", summary="Apply an on-call file (schedules, policies, channels, contacts)")
def apply(
    data: ApplyIn, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.engineer))
) -> list[AppliedItem]:
    """Create or update everything the file declares, all or nothing."""
    document = oncall.parse_document(data.content)
    with db.unit_of_work() as session:
        items = oncall.apply(session, actor, document)
        if data.dry_run:
            session.rollback()
        return items


@router.get("/who", summary="Who is on call")
def who(
    schedule: str | None = Query(None, max_length=100, description="Schedule name or id"),
    at: datetime | None = Query(None, description="ISO 8601 time; now when omitted"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[OnCallNow]:
    """The person on call at a time on one schedule, or on every schedule."""
    with db.reader() as session:
        return oncall.who(session, at or utcnow(), schedule)


@router.get("/schedules", summary="List schedules")
def list_schedules(
    db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> list[ScheduleOut]:
    """Every schedule with its layers and coming overrides."""
    with db.reader() as session:
        now = utcnow()
        return [oncall.schedule_out(session, s, now) for s in oncall.list_schedules(session)]


@router.get("/schedules/{ref}", summary="Get a schedule")
def get_schedule(
    ref: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ScheduleOut:
    """One schedule by name or id."""
    with db.reader() as session:
        return oncall.schedule_out(session, oncall.get_schedule(session, ref), utcnow())


@router.get("/schedules/{ref}/shifts", summary="The final schedule over a window")
def shifts(
    ref: str,
    start: datetime | None = Query(None, description="Window start; now when omitted"),
    days: int = Query(14, ge=1, le=180),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[SegmentOut]:
    """Who is on call from ``start`` for ``days`` days, as consecutive segments."""
    begin = start or utcnow()
    with db.reader() as session:
        row = oncall.get_schedule(session, ref)
        return oncall.segments_out(session, row, begin, begin + timedelta(days=days))


@router.post(
    "/schedules/{ref}/overrides", status_code=status.HTTP_201_CREATED, summary="Add an override"
)
def add_override(
    ref: str,
    data: OverrideIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> OverrideOut:
    """Put someone on call on the schedule for a while, above every layer."""
    with db.unit_of_work() as session:
        row = oncall.add_override(session, actor, ref, data)
        schedule = oncall.get_schedule(session, row.schedule_id)
        return OverrideOut(
            id=row.id,
            schedule=schedule.name,
            person=data.person,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            reason=row.reason,
        )


@router.delete(
    "/overrides/{override_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an override"
)
def remove_override(
    override_id: str,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> Response:
    """Delete an override."""
    with db.unit_of_work() as session:
        oncall.remove_override(session, actor, override_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/policies", summary="List escalation policies")
def list_policies(
    db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> list[PolicyOut]:
    """Every escalation policy with its levels and services."""
    with db.reader() as session:
        return oncall.list_policies(session)


@router.get("/runs", summary="List escalation runs")
def list_runs(
    incident: str | None = Query(None, max_length=40),
    run_status: str | None = Query(None, alias="status", max_length=20),
    limit: int = Query(50, ge=1, le=500),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[RunOut]:
    """Escalation runs (with the policy copied onto each), newest first."""
    with db.reader() as session:
        return oncall.list_runs(session, incident_id=incident, status=run_status, limit=limit)


@router.get("/deliveries", summary="The notification delivery log")
def list_deliveries(
    incident: str | None = Query(None, max_length=40),
    delivery_status: str | None = Query(None, alias="status", max_length=20),
    limit: int = Query(100, ge=1, le=500),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[DeliveryOut]:
    """Every notification: target, channel, status, attempts, last error, response code."""
    with db.reader() as session:
        return oncall.list_deliveries(
            session, incident_id=incident, status=delivery_status, limit=limit
        )


@router.post("/feeds", status_code=status.HTTP_201_CREATED, summary="Make a calendar feed URL")
def create_feed(
    data: FeedIn,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> FeedOut:
    """A secret iCalendar URL for a schedule or a person (shown once)."""
    settings = request.app.state.settings
    base = settings.public_url or str(request.base_url)
    with db.unit_of_work() as session:
        return oncall.create_feed(session, actor, data, base)


def _feed_access(
    request: Request,
    kind: FeedKind,
    ref: str,
    token: str | None,
    credentials: HTTPAuthorizationCredentials | None,
) -> None:
    """A feed opens with its own URL token, or with any viewer API token."""
    db: Database = request.app.state.db
    if token and credentials is None:
        with db.reader() as session:
            subject = oncall.resolve_feed_subject(session, kind, ref)
            oncall.check_feed_token(session, kind, subject, token)
        return
    require(Role.viewer)(request, credentials)


@router.get(
    "/schedules/{ref}/calendar.ics",
    summary="A schedule's shifts as iCalendar (API token, or the feed's ?token=)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def schedule_feed(
    ref: str,
    request: Request,
    token: str | None = Query(None, max_length=100),
    days: int = Query(60, ge=1, le=180),
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Response:
    """The schedule's final shifts from a week ago for ``days`` days."""
    _feed_access(request, FeedKind.schedule, ref, token, credentials)
    with request.app.state.db.reader() as session:
        body = oncall.schedule_calendar(session, ref, days=days)
    return Response(body, media_type=ICS)


@router.get(
    "/people/{ref}/calendar.ics",
    summary="A person's shifts as iCalendar (API token, or the feed's ?token=)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def person_feed(
    ref: str,
    request: Request,
    token: str | None = Query(None, max_length=100),
    days: int = Query(60, ge=1, le=180),
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Response:
    """One person's shifts on every schedule from a week ago for ``days`` days."""
    _feed_access(request, FeedKind.person, ref, token, credentials)
    with request.app.state.db.reader() as session:
        body = oncall.person_calendar(session, ref, days=days)
    return Response(body, media_type=ICS)

"""Guardrails files, freeze windows and the change calendar over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from guardrail.api.deps import get_db, require
from guardrail.changes import calendar as calendar_service
from guardrail.changes import policies
from guardrail.changes.schemas import FreezeCreate, FreezeOut, PolicyApply, PolicyOut
from guardrail.errors import Forbidden, InvalidInput
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, utcnow
from guardrail.store.session import Database

router = APIRouter()
guardrails = APIRouter(prefix="/guardrails", tags=["guardrails"])
freezes = APIRouter(prefix="/freezes", tags=["freezes"])
calendar = APIRouter(prefix="/calendar", tags=["calendar"])
MAX_RANGE = timedelta(days=366)


def _base(request: Request) -> str:
    return request.app.state.settings.public_url or str(request.base_url)


@guardrails.post("", status_code=status.HTTP_201_CREATED, summary="Apply a guardrails file")
def apply(
    data: PolicyApply,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> PolicyOut:
    """Validate and store a new version; an invalid file leaves the version in force unchanged."""
    if data.default and not Role(actor.role).allows(Role.admin):
        raise Forbidden("the organisation default guardrails need the admin role")
    with db.unit_of_work() as session:
        return policies.to_out(policies.apply(session, actor, data))


@guardrails.post("/validate", summary="Validate a guardrails file without storing it")
def validate(data: PolicyApply, _: Actor = Depends(require(Role.viewer))) -> dict[str, Any]:
    """Every problem with line and column, or the normalised steps."""
    document = policies.validate(data)
    return {"valid": True, "steps": document["steps"]}


@guardrails.get("", summary="List guardrails versions")
def history(
    service: str | None = Query(None, max_length=63),
    default: bool = False,
    limit: int = Query(50, ge=1, le=500),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[PolicyOut]:
    """Stored versions, newest first: of one service, of the default, or all."""
    with db.reader() as session:
        return policies.list_versions(session, service, default, limit)


@guardrails.get("/current", summary="The guardrails in force")
def current(
    service: str | None = Query(None, max_length=63),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> PolicyOut:
    """The version that would decide a change of ``service`` now (or the default's)."""
    with db.reader() as session:
        return policies.current(session, service)


@guardrails.get("/{policy_id}", summary="Get a guardrails version")
def get_version(
    policy_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> PolicyOut:
    """One stored version with its source and Rego modules."""
    with db.reader() as session:
        return policies.get_version(session, policy_id)


@freezes.post("", status_code=status.HTTP_201_CREATED, summary="Add a freeze window")
def create_freeze(
    data: FreezeCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.approver)),
) -> FreezeOut:
    """A one-off or recurring (RRULE) freeze for some environments, services or tiers."""
    with db.unit_of_work() as session:
        window = calendar_service.create_freeze(session, actor, data)
        return FreezeOut.model_validate(window)


@freezes.get("", summary="List freeze windows")
def list_freezes(
    include_cancelled: bool = False,
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[FreezeOut]:
    """Freeze windows with their next occurrences."""
    with db.reader() as session:
        return calendar_service.list_freezes(session, include_cancelled)


@freezes.post("/{freeze_id}/cancel", summary="Cancel a freeze window")
def cancel_freeze(
    freeze_id: str, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.approver))
) -> FreezeOut:
    """End a freeze window; it stays on record."""
    with db.unit_of_work() as session:
        return FreezeOut.model_validate(calendar_service.cancel_freeze(session, actor, freeze_id))


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    begin = as_utc(start) if start else utcnow() - timedelta(days=7)
    finish = as_utc(end) if end else begin + timedelta(days=37)
    if finish <= begin or finish - begin > MAX_RANGE:
        raise InvalidInput("`to` must be after `from`, and at most a year later")
    return begin, finish


@calendar.get("", summary="The change calendar")
def change_calendar(
    start: datetime | None = Query(None, alias="from"),
    end: datetime | None = Query(None, alias="to"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> dict[str, Any]:
    """Changes and freeze occurrences in a range, and the conflicts between them."""
    begin, finish = _range(start, end)
    with db.reader() as session:
        return calendar_service.calendar(session, begin, finish).as_dict()


@calendar.get(".ics", summary="The change calendar as iCalendar")
def change_calendar_ics(
    request: Request,
    start: datetime | None = Query(None, alias="from"),
    end: datetime | None = Query(None, alias="to"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Response:
    """Freezes (with their RRULEs) and changes as an RFC 5545 feed for calendar apps."""
    begin, finish = _range(start, end)
    with db.reader() as session:
        body = calendar_service.ical(session, begin, finish, _base(request))
    return Response(body, media_type="text/calendar; charset=utf-8")


router.include_router(guardrails)
router.include_router(freezes)
router.include_router(calendar)

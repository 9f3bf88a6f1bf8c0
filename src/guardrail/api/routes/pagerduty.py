"""PagerDuty Events API v2, compatible: ``POST /v2/enqueue`` and ``POST /v2/change/enqueue``.

Mounted at the root so a tool wired to PagerDuty only needs its base URL changed. The answers are
PagerDuty's own shapes (202 ``{"status": "success", "message": "Event processed", "dedup_key"}``;
400 ``{"status": "invalid event", "message": …, "errors": […]}``), not problem+json. The
``routing_key`` names the guardrail integration; an unknown key is refused with 400 like PagerDuty.
A 202 goes out only after the commit that stores the event (group commit: see the inbound core's
``batch``); a small event is checked on the event loop, parsed once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.batch import GroupCommit
from guardrail.integrations.inbound.core.payload import body_digest
from guardrail.integrations.inbound.core.routing import Route, cached
from guardrail.integrations.inbound.core.store import Pending
from guardrail.integrations.inbound.core.types import BadDelivery, Delivery, Described
from guardrail.integrations.inbound.pagerduty import validate
from guardrail.integrations.inbound.pagerduty.source import CHANGE_HEADER, NAME
from guardrail.store.session import Database

router = APIRouter(tags=["pagerduty"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid event (PagerDuty's shape: status, message, errors)"},
    413: {"description": "Body over 512 KB"},
}
# Checking a small event costs microseconds: done on the event loop. Big bodies go to a thread.
_INLINE_BYTES = 64 * 1024
_KEPT_HEADERS = ("content-type", "user-agent")

Answer = tuple[dict[str, Any], int]


def _invalid(errors: list[str]) -> Answer:
    return {"status": validate.INVALID, "message": validate.INVALID_MESSAGE, "errors": errors}, 400


def _check(body: bytes, change: bool) -> validate.Checked | Answer:
    """The checked event, or PagerDuty's 400 answer; the body is parsed here and only here."""
    try:
        data = validate.load(body)
    except validate.Unrecognized as exc:
        return {
            "status": "Unrecognized object",
            "message": "Event object format is unrecognized",
            "errors": [str(exc)],
        }, 400
    checked = validate.check_change(data) if change else validate.check_event(data, body)
    return _invalid(checked.errors) if checked.errors else checked


def _lookup(db: Database, routing_key: str) -> Route | None:
    with db.reader() as session:
        return inbound.route_for(session, NAME, routing_key)


def _writer(request: Request) -> GroupCommit:
    # One per app, made on first use (no await in between, so concurrent requests share it).
    state = request.app.state
    writer: GroupCommit | None = getattr(state, "inbound_writer", None)
    if writer is None:
        writer = state.inbound_writer = GroupCommit(state.db)
    return writer


def _pending(
    request: Request, checked: validate.Checked, route: Route, body: bytes, *, change: bool
) -> Pending:
    # What the source's ``describe`` says, from the event already checked (parsing it again
    # would double the cost of the check).
    kind = "change" if change else str(checked.data["event_action"])
    described = Described(event_type=f"pagerduty.{kind}", dedup_key=body_digest(body))
    headers = {h: v for h in _KEPT_HEADERS if (v := request.headers.get(h)) is not None}
    if change:
        headers[CHANGE_HEADER] = "change"
    return inbound.pending(NAME, route.integration_id, described, Delivery(headers, body))


async def _intake(request: Request, *, change: bool) -> Answer:
    body = await request.body()
    if len(body) <= _INLINE_BYTES:
        checked = _check(body, change)
    else:
        checked = await run_in_threadpool(_check, body, change)
    if not isinstance(checked, validate.Checked):
        return checked
    db: Database = request.app.state.db
    key = checked.data["routing_key"]
    route = cached(db.engine, key) or await run_in_threadpool(_lookup, db, key)
    if route is None or route.type != NAME:
        return _invalid(["Invalid routing key: no guardrail PagerDuty integration holds it"])
    if change and route.service_id is None:
        return _invalid(["This routing key's integration names no service; change events need one"])
    try:
        pending = _pending(request, checked, route, body, change=change)
    except BadDelivery as exc:
        return _invalid(list(exc.extra.get("errors") or [exc.detail]))
    await _writer(request).store(pending)  # returns after the commit that holds the event
    if change:
        return {"status": "success", "message": "Change event processed"}, 202
    return {"status": "success", "message": "Event processed", "dedup_key": checked.dedup_key}, 202


async def _answer(request: Request, *, change: bool) -> JSONResponse:
    answer, status = await _intake(request, change=change)
    return JSONResponse(answer, status_code=status)


@router.post(
    "/v2/enqueue",
    status_code=202,
    summary="PagerDuty Events API v2: alert event",
    responses=_RESPONSES,
)
async def enqueue(request: Request) -> JSONResponse:
    """Trigger, acknowledge or resolve an alert by dedup_key; stored once, processed after."""
    return await _answer(request, change=False)


@router.post(
    "/v2/change/enqueue",
    status_code=202,
    summary="PagerDuty Events API v2: change event",
    responses=_RESPONSES,
)
async def change_enqueue(request: Request) -> JSONResponse:
    """Record a change event as a change of the integration's service."""
    return await _answer(request, change=True)

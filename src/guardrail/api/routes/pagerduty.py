"""PagerDuty Events API v2, compatible: ``POST /v2/enqueue`` and ``POST /v2/change/enqueue``.

Mounted at the root so a tool wired to PagerDuty only needs its base URL changed. The answers are
PagerDuty's own shapes (202 ``{"status": "success", "message": "Event processed", "dedup_key"}``;
400 ``{"status": "invalid event", "message": …, "errors": […]}``), not problem+json. The
``routing_key`` names the guardrail integration; an unknown key is refused with 400 like PagerDuty.
A 202 goes out only after the commit that stores the event (group commit: see the inbound core's
``batch``); a small event is checked on the event loop, parsed once.

The two endpoints are bare ASGI apps on Starlette routes, not FastAPI operations, and the app
(``api.app.GuardrailApp``) answers a POST to them before its middleware stack and router: a
sender posts one event per request, and FastAPI's layers and request handling (dependency solving,
the request object, the response class) cost more CPU than checking and storing the event.
guardrail's request middleware still gives them a request id, the body limit, metrics and the
access log, and an unexpected error still answers 500 problem+json. Being outside FastAPI, they
are described in /openapi.json by hand (``pagerduty_schema``); another method on these paths goes
through the app, which answers 405.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.batch import GroupCommit
from guardrail.integrations.inbound.core.payload import body_digest
from guardrail.integrations.inbound.core.routing import Route as RoutingKeyRoute
from guardrail.integrations.inbound.core.routing import cached
from guardrail.integrations.inbound.core.store import Pending
from guardrail.integrations.inbound.core.types import BadDelivery, Delivery, Described
from guardrail.integrations.inbound.pagerduty import validate
from guardrail.integrations.inbound.pagerduty.source import CHANGE_HEADER, NAME
from guardrail.store.session import Database

# Checking a small event costs microseconds: done on the event loop. Big bodies go to a thread.
_INLINE_BYTES = 64 * 1024
_KEPT_HEADERS = (b"content-type", b"user-agent")
_JSON_HEADERS = [(b"content-type", b"application/json")]
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

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


def _lookup(db: Database, routing_key: str) -> RoutingKeyRoute | None:
    with db.reader() as session:
        return inbound.route_for(session, NAME, routing_key)


def _writer(scope: Scope) -> GroupCommit:
    # One per app, made on first use (no await in between, so concurrent requests share it).
    state = scope["app"].state
    writer: GroupCommit | None = getattr(state, "inbound_writer", None)
    if writer is None:
        writer = state.inbound_writer = GroupCommit(state.db)
    return writer


def _pending(
    scope: Scope, checked: validate.Checked, route: RoutingKeyRoute, body: bytes, *, change: bool
) -> Pending:
    # What the source's ``describe`` says, from the event already checked (parsing it again
    # would double the cost of the check).
    kind = "change" if change else str(checked.data["event_action"])
    described = Described(event_type=f"pagerduty.{kind}", dedup_key=body_digest(body))
    headers = {
        name.decode(): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in _KEPT_HEADERS
    }
    if change:
        headers[CHANGE_HEADER] = "change"
    return inbound.pending(NAME, route.integration_id, described, Delivery(headers, body))


async def _intake(scope: Scope, body: bytes, *, change: bool) -> Answer:
    if len(body) <= _INLINE_BYTES:
        checked = _check(body, change)
    else:
        checked = await run_in_threadpool(_check, body, change)
    if not isinstance(checked, validate.Checked):
        return checked
    db: Database = scope["app"].state.db
    key = checked.data["routing_key"]
    route = cached(db.engine, key) or await run_in_threadpool(_lookup, db, key)
    if route is None or route.type != NAME:
        return _invalid(["Invalid routing key: no guardrail PagerDuty integration holds it"])
    if change and route.service_id is None:
        return _invalid(["This routing key's integration names no service; change events need one"])
    try:
        pending = _pending(scope, checked, route, body, change=change)
    except BadDelivery as exc:
        return _invalid(list(exc.extra.get("errors") or [exc.detail]))
    await _writer(scope).store(pending)  # returns after the commit that holds the event
    if change:
        return {"status": "success", "message": "Change event processed"}, 202
    return {"status": "success", "message": "Event processed", "dedup_key": checked.dedup_key}, 202


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _EventsEndpoint:
    """One of the two PagerDuty endpoints, as a bare ASGI app: read, check, store, answer."""

    def __init__(self, *, change: bool) -> None:
        self.change = change

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        if body is None:
            return
        answer, status = await _intake(scope, body, change=self.change)
        content = _ENCODE(answer).encode()
        headers = [*_JSON_HEADERS, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


# Answered ahead of the app's stack (POST only); the app's router has them too, for the 405s.
FAST_PATHS = ("/v2/enqueue", "/v2/change/enqueue")
routes = [
    Route("/v2/enqueue", _EventsEndpoint(change=False), methods=["POST"]),
    Route("/v2/change/enqueue", _EventsEndpoint(change=True), methods=["POST"]),
]


@contextlib.asynccontextmanager
async def _close_writer(app: Any) -> AsyncIterator[None]:
    yield
    writer: GroupCommit | None = getattr(app.state, "inbound_writer", None)
    if writer is not None:
        await writer.aclose()


router = APIRouter(lifespan=_close_writer)
router.routes.extend(routes)

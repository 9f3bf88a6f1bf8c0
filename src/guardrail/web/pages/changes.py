"""Change pages: the list, one change, the approver's inbox (with buttons), the calendar."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from guardrail.changes import calendar as calendar_service
from guardrail.changes import service, views
from guardrail.changes.enums import ChangeState
from guardrail.errors import Forbidden
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import same_origin, signed_in

router = web_router()
PAGE_SIZE = 50


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _base(request: Request) -> str:
    return request.app.state.settings.public_url or str(request.base_url)


@router.get("/changes")
def change_list(
    request: Request,
    state: str | None = None,
    service_name: str | None = Query(None, alias="service", max_length=63),
    actor: Actor = Depends(signed_in()),
) -> Response:
    """Changes, newest first, filtered by state and service."""
    states = [state] if state in {s.value for s in ChangeState} else None
    with _db(request).reader() as session:
        rows, total = views.list_changes(
            session, service=service_name or None, states=states, limit=PAGE_SIZE
        )
        items = views.summaries(session, rows)
        waiting = len(views.inbox(session, actor)) if Role(actor.role).allows(Role.approver) else 0
    context = {
        "changes": items,
        "total": total,
        "states": [s.value for s in ChangeState],
        "selected": {"state": state or "", "service": service_name or ""},
        "waiting": waiting,
    }
    return render(request, "changes/list.html", context)


@router.get("/changes/inbox")
def inbox(request: Request, actor: Actor = Depends(signed_in(Role.approver))) -> Response:
    """Changes waiting for my approval, with their evidence and risk beside the buttons."""
    with _db(request).reader() as session:
        changes = [views.to_out(session, c, _base(request)) for c in views.inbox(session, actor)]
    return render(request, "changes/inbox.html", {"changes": changes})


@router.get("/changes/calendar")
def calendar(request: Request, _: Actor = Depends(signed_in())) -> Response:
    """The next five weeks: planned changes, freezes, and conflicts."""
    start = utcnow() - timedelta(days=2)
    with _db(request).reader() as session:
        view = calendar_service.calendar(session, start, start + timedelta(days=35))
    return render(request, "changes/calendar.html", {"view": view})


@router.get("/changes/{change_id}")
def change_detail(
    request: Request, change_id: str, actor: Actor = Depends(signed_in())
) -> Response:
    """One change: decision, steps, risk factors, evidence, approvals."""
    with _db(request).reader() as session:
        change = views.to_out(session, service.get_change(session, change_id), _base(request))
    can_act = Role(actor.role).allows(Role.approver) and change.state == "pending_approval"
    return render(request, "changes/detail.html", {"change": change, "can_act": can_act})


def _decide(request: Request, actor: Actor, change_id: str, verb: str, comment: str) -> Response:
    if not same_origin(request, request.app.state.settings):
        raise Forbidden("approve from guardrail's own pages")
    act = service.approve if verb == "approve" else service.reject
    with _db(request).unit_of_work() as session:
        act(session, actor, change_id, comment.strip()[:2000], via="web")
    return RedirectResponse(f"/changes/{change_id}", status_code=303)


@router.post("/changes/{change_id}/approve")
def approve(
    request: Request,
    change_id: str,
    comment: str = Form(""),
    actor: Actor = Depends(signed_in(Role.approver)),
) -> Response:
    """Approve from the page (separation of duties applies as everywhere)."""
    return _decide(request, actor, change_id, "approve", comment)


@router.post("/changes/{change_id}/reject")
def reject(
    request: Request,
    change_id: str,
    comment: str = Form(""),
    actor: Actor = Depends(signed_in(Role.approver)),
) -> Response:
    """Reject from the page."""
    return _decide(request, actor, change_id, "reject", comment)

"""Improvements: the register (baseline -> now -> target with a progress bar), one improvement
with ITIL's seven questions, and the forms to log an action or review a due improvement."""

from __future__ import annotations

from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from guardrail.errors import Forbidden
from guardrail.identity.enums import Role
from guardrail.improvements import service, views
from guardrail.improvements.enums import ImprovementStatus
from guardrail.improvements.schemas import ActionIn
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, utcnow
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import same_origin, signed_in

router = web_router()
SHOWN = 200


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/improvements")
def improvement_list(
    request: Request,
    status: ImprovementStatus | None = Query(None),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Every improvement with its baseline, the metric now, its target and its outcome."""
    with _db(request).reader() as session:
        rows, total = service.list_improvements(
            session, statuses=[status.value] if status else None, limit=SHOWN
        )
        # A reviewed improvement shows its result; only open ones need the metric now.
        items = [
            (views.to_out(r), None if r.result is not None else views.current(session, r))
            for r in rows
        ]
    context = {
        "items": items,
        "total": total,
        "status": status,
        "statuses": list(ImprovementStatus),
    }
    return render(request, "improvements/list.html", context)


@router.get("/improvements/{improvement_id}")
def improvement_detail(
    request: Request, improvement_id: str, actor: Actor = Depends(signed_in())
) -> Response:
    """One improvement: the seven questions, the measured figures, actions and reviews."""
    with _db(request).reader() as session:
        detail = views.detail(session, service.get_improvement(session, improvement_id))
    can_act = Role(actor.role).allows(Role.engineer)
    due = as_utc(detail.review_at) <= utcnow() and not any(
        r.review_at == detail.review_at for r in detail.reviews
    )
    context = {"imp": detail, "can_act": can_act, "can_review": can_act and due}
    return render(request, "improvements/detail.html", context)


def _back(request: Request, improvement_id: str) -> RedirectResponse:
    if not same_origin(request, request.app.state.settings):
        raise Forbidden("act on improvements from guardrail's own pages")
    return RedirectResponse(f"/improvements/{improvement_id}", status_code=303)


@router.post("/improvements/{improvement_id}/actions")
def add_action(
    request: Request,
    improvement_id: str,
    text: str = Form(...),
    refs: str = Form(""),
    actor: Actor = Depends(signed_in(Role.engineer)),
) -> Response:
    """Log a step taken from the page (references separated by spaces or commas)."""
    answer = _back(request, improvement_id)
    data = ActionIn(text=text.strip()[:4000] or "-", refs=refs.replace(",", " ").split()[:20])
    with _db(request).unit_of_work() as session:
        service.add_action(session, actor, improvement_id, data)
    return answer


@router.post("/improvements/{improvement_id}/review")
def review(
    request: Request, improvement_id: str, actor: Actor = Depends(signed_in(Role.engineer))
) -> Response:
    """Review a due improvement from the page (the worker would do it within minutes)."""
    answer = _back(request, improvement_id)
    with _db(request).unit_of_work() as session:
        service.review(session, actor, improvement_id)
    return answer

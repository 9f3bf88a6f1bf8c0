"""Problems: the list with known-error search, one problem, the postmortem editor, action items;
and drafting a postmortem from the incident page."""

from __future__ import annotations

from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from guardrail.errors import Forbidden
from guardrail.identity.enums import Role
from guardrail.incidents import service as incidents
from guardrail.kit.context import Actor
from guardrail.problems import actions, postmortems
from guardrail.problems import service as problems
from guardrail.problems.enums import ActionStatus, PostmortemStatus, ProblemStatus
from guardrail.problems.schemas import ProblemOut
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import same_origin, signed_in

router = web_router()
LIST_LIMIT = 200


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _check_origin(request: Request) -> None:
    if not same_origin(request, request.app.state.settings):
        raise Forbidden("change problems and postmortems from guardrail's own pages")


@router.get("/problems")
def problem_list(
    request: Request,
    q: str = Query("", max_length=500),
    status: str = Query("", max_length=20),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Problems, or the known errors matching a search."""
    statuses = [status] if status in {s.value for s in ProblemStatus} else None
    with _db(request).reader() as session:
        if q.strip():
            hits = problems.search_problems(session, q, statuses=statuses, limit=50)
            rows, total = [], len(hits)
        else:
            hits = []
            found, total = problems.list_problems(session, statuses=statuses, limit=LIST_LIMIT)
            rows = [ProblemOut.model_validate(r) for r in found]
    context = {
        "q": q,
        "status": status,
        "statuses": [s.value for s in ProblemStatus],
        "hits": hits,
        "rows": rows,
        "total": total,
    }
    return render(request, "problems/list.html", context)


@router.get("/problems/action-items")
def action_item_list(
    request: Request,
    status: str = Query("open", max_length=20),
    service: str = Query("", max_length=63),
    overdue: bool = False,
    _: Actor = Depends(signed_in()),
) -> Response:
    """Action items by priority and due date, with CSV and JSON downloads."""
    chosen = ["open", "in_progress"] if status == "open" else [status] if status else None
    with _db(request).reader() as session:
        rows, total = actions.list_items(
            session, statuses=chosen, service=service or None, overdue=overdue, limit=500
        )
        items = actions.to_out(session, rows)
    context = {
        "items": items,
        "total": total,
        "status": status,
        "service": service,
        "overdue": overdue,
        "statuses": ["open", *(s.value for s in ActionStatus if s != ActionStatus.open)],
    }
    return render(request, "problems/action_items.html", context)


@router.get("/problems/action-items/export.{fmt}")
def action_item_file(
    request: Request,
    fmt: str,
    service: str = Query("", max_length=63),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Every action item (of a service) as CSV or JSON."""
    if fmt not in ("csv", "json"):
        raise Forbidden("export as .csv or .json")
    with _db(request).reader() as session:
        rows, _total = actions.list_items(session, service=service or None, limit=100_000)
        flat = actions.export_rows(session, rows)
    if fmt == "csv":
        return Response(actions.to_csv(flat), media_type="text/csv; charset=utf-8")
    return Response(actions.to_json(flat), media_type="application/json")


@router.get("/problems/postmortems/{postmortem_id}")
def postmortem_page(
    request: Request, postmortem_id: str, actor: Actor = Depends(signed_in())
) -> Response:
    """The postmortem editor: its Markdown in a form, save, publish, export."""
    with _db(request).reader() as session:
        row = postmortems.get_postmortem(session, postmortem_id)
        incident = incidents.get_incident(session, row.incident_id)
        rows, _total = actions.list_items(session, postmortem=row.id, limit=500)
        items = actions.to_out(session, rows)
    can_edit = Role(actor.role).allows(Role.engineer) and row.status == PostmortemStatus.draft
    context = {
        "pm": row,
        "incident": incident,
        "items": items,
        "can_edit": can_edit,
        "resolved": incident.resolved_at is not None,
    }
    return render(request, "problems/postmortem.html", context)


@router.get("/problems/postmortems/{postmortem_id}/postmortem.md")
def postmortem_markdown(
    request: Request, postmortem_id: str, _: Actor = Depends(signed_in())
) -> Response:
    """The postmortem as a Markdown file."""
    with _db(request).reader() as session:
        row = postmortems.get_postmortem(session, postmortem_id)
        text = postmortems.markdown(session, row)
    headers = {"Content-Disposition": f'attachment; filename="{row.id}.md"'}
    return Response(text, media_type="text/markdown; charset=utf-8", headers=headers)


@router.post("/problems/postmortems/{postmortem_id}")
def postmortem_save(
    request: Request,
    postmortem_id: str,
    body: str = Form(..., max_length=200000),
    version: int = Form(...),
    actor: Actor = Depends(signed_in(Role.engineer)),
) -> Response:
    """Save the edited Markdown (refused when someone saved since this version was loaded)."""
    _check_origin(request)
    with _db(request).unit_of_work() as session:
        row = postmortems.update_body(session, actor, postmortem_id, body, version=version)
        target = f"/problems/postmortems/{row.id}"
    return RedirectResponse(target, status_code=303)


@router.post("/problems/postmortems/{postmortem_id}/publish")
def postmortem_publish(
    request: Request, postmortem_id: str, actor: Actor = Depends(signed_in(Role.engineer))
) -> Response:
    """Publish (refused while the incident is unresolved)."""
    _check_origin(request)
    with _db(request).unit_of_work() as session:
        row = postmortems.publish(session, actor, postmortem_id)
        target = f"/problems/postmortems/{row.id}"
    return RedirectResponse(target, status_code=303)


@router.post("/incidents/{incident_id}/postmortem")
def postmortem_draft(
    request: Request, incident_id: str, actor: Actor = Depends(signed_in(Role.engineer))
) -> Response:
    """Draft the incident's postmortem (or open the existing one) and go to the editor."""
    _check_origin(request)
    with _db(request).unit_of_work() as session:
        row = postmortems.draft_postmortem(session, actor, incident_id)
        target = f"/problems/postmortems/{row.id}"
    return RedirectResponse(target, status_code=303)


@router.get("/problems/{problem_id}")
def problem_page(
    request: Request, problem_id: str, actor: Actor = Depends(signed_in())
) -> Response:
    """One problem: what is known, its incidents, services, fixing changes, items, postmortems."""
    with _db(request).reader() as session:
        detail = problems.detail(session, problems.get_problem(session, problem_id))
    can_act = Role(actor.role).allows(Role.engineer)
    moves = {
        ProblemStatus.open: [("known_error", "Record as known error"), ("resolved", "Resolve")],
        ProblemStatus.known_error: [("resolved", "Resolve"), ("open", "Reopen")],
        ProblemStatus.resolved: [("open", "Reopen")],
    }[ProblemStatus(detail.status)]
    context = {"problem": detail, "can_act": can_act, "moves": moves if can_act else []}
    return render(request, "problems/detail.html", context)


@router.post("/problems/{problem_id}/transition")
def problem_transition(
    request: Request,
    problem_id: str,
    status: ProblemStatus = Form(...),
    actor: Actor = Depends(signed_in(Role.engineer)),
) -> Response:
    """Move the problem from its page."""
    _check_origin(request)
    with _db(request).unit_of_work() as session:
        problems.transition(session, actor, problem_id, status)
    return RedirectResponse(f"/problems/{problem_id}", status_code=303)

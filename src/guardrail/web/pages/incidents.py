"""Incidents: the board (open incidents by status) and list, one incident with its timeline,
and the acknowledge / resolve / note forms."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from guardrail.errors import Forbidden
from guardrail.identity.enums import Role
from guardrail.incidents import annotate, reads, service
from guardrail.incidents.enums import IncidentStatus
from guardrail.incidents.schemas import IncidentDetail
from guardrail.kit.context import Actor
from guardrail.problems import service as problems
from guardrail.problems.postmortems import find_for_incident
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import same_origin, signed_in

router = web_router()
BOARD_COLUMNS = ("triggered", "acknowledged", "mitigated")
RECENT = 25


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/incidents")
def incident_board(request: Request, _: Actor = Depends(signed_in())) -> Response:
    """Open incidents as a board by status, and the most recent resolved ones."""
    with _db(request).reader() as session:
        open_items, _count = reads.list_incidents(session, statuses=list(BOARD_COLUMNS), limit=200)
        done, _count = reads.list_incidents(session, statuses=["resolved", "closed"], limit=RECENT)
    board = {status: [i for i in open_items if i.status == status] for status in BOARD_COLUMNS}
    return render(request, "incidents/board.html", {"board": board, "done": done})


@router.get("/incidents/{incident_id}")
def incident_detail(
    request: Request, incident_id: str, actor: Actor = Depends(signed_in())
) -> Response:
    """One incident: status, roles, runbook, suspects, alerts, causes, budget and timeline."""
    with _db(request).reader() as session:
        incident = reads.detail(session, service.get_incident(session, incident_id))
        known = _problem_context(session, incident)
    can_act = Role(actor.role).allows(Role.engineer)
    status = IncidentStatus(incident.status)
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "can_act": can_act,
            "can_ack": can_act and status is IncidentStatus.triggered,
            "can_resolve": can_act and status.rank < IncidentStatus.resolved.rank,
            **known,
        },
    )


def _problem_context(session: Session, incident: IncidentDetail) -> dict[str, Any]:
    """Known errors matching the title and service ("seen before?"); the incident's problems and
    postmortem."""
    linked = problems.problems_of_incident(session, incident.id)
    seen = problems.seen_before(
        session, incident.title, incident.service, exclude={p.id for p in linked}
    )
    return {
        "seen_before": seen,
        "problems": linked,
        "postmortem": find_for_incident(session, incident.id),
    }


def _act(request: Request, incident_id: str) -> RedirectResponse:
    if not same_origin(request, request.app.state.settings):
        raise Forbidden("act on incidents from guardrail's own pages")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(
    request: Request, incident_id: str, actor: Actor = Depends(signed_in(Role.engineer))
) -> Response:
    """Acknowledge from the page."""
    answer = _act(request, incident_id)
    with _db(request).unit_of_work() as session:
        service.acknowledge(session, actor, incident_id, via="web")
    return answer


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    request: Request,
    incident_id: str,
    note: str = Form(""),
    actor: Actor = Depends(signed_in(Role.engineer)),
) -> Response:
    """Resolve from the page."""
    answer = _act(request, incident_id)
    with _db(request).unit_of_work() as session:
        service.resolve(session, actor, incident_id, via="web", note=note.strip()[:4000])
    return answer


@router.post("/incidents/{incident_id}/notes")
def add_note(
    request: Request,
    incident_id: str,
    text: str = Form(...),
    actor: Actor = Depends(signed_in(Role.engineer)),
) -> Response:
    """Add a note from the page."""
    answer = _act(request, incident_id)
    with _db(request).unit_of_work() as session:
        annotate.add_note(session, actor, incident_id, text.strip()[:4000])
    return answer

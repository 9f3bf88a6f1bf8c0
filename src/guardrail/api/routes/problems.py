"""Problems over HTTP: list, search the known errors, open, detail, edit, transition, links."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.problems import service
from guardrail.problems.enums import ProblemStatus
from guardrail.problems.schemas import (
    LinkIn,
    ProblemCreate,
    ProblemDetail,
    ProblemOut,
    ProblemUpdate,
    SearchHit,
    TransitionIn,
)
from guardrail.store.session import Database

router = APIRouter(prefix="/problems", tags=["problems"])


@router.get("", summary="List problems")
def list_problems(
    status_: list[ProblemStatus] | None = Query(None, alias="status"),
    service_: str | None = Query(None, alias="service", max_length=63),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[ProblemOut]:
    """Problems, most recently updated first; filter by status (repeatable) and service."""
    with db.reader() as session:
        rows, total = service.list_problems(
            session,
            statuses=[s.value for s in status_ or []],
            service=service_,
            limit=limit,
            offset=offset,
        )
        items = [ProblemOut.model_validate(r) for r in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/search", summary="Search the known-error database")
def search_problems(
    q: str = Query(..., min_length=1, max_length=500),
    status_: list[ProblemStatus] | None = Query(None, alias="status"),
    any_: bool = Query(False, alias="any", description="Match any word instead of all"),
    limit: int = Query(20, ge=1, le=100),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> list[SearchHit]:
    """Problems whose title, root cause, workaround or description match ``q``, best first."""
    with db.reader() as session:
        statuses = [s.value for s in status_ or []] or None
        return service.search_problems(session, q, statuses=statuses, match_any=any_, limit=limit)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open a problem")
def create_problem(
    data: ProblemCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ProblemDetail:
    """Open a problem from incidents (their services are linked too), or proactively."""
    with db.unit_of_work() as session:
        return service.detail(session, service.create_problem(session, actor, data))


@router.get("/{problem_id}", summary="Get a problem")
def get_problem(
    problem_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ProblemDetail:
    """One problem with its incidents, services, fixing changes, action items and postmortems."""
    with db.reader() as session:
        return service.detail(session, service.get_problem(session, problem_id))


@router.patch("/{problem_id}", summary="Edit a problem")
def update_problem(
    problem_id: str,
    data: ProblemUpdate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ProblemDetail:
    """Change the title, description, root cause or workaround."""
    with db.unit_of_work() as session:
        return service.detail(session, service.update_problem(session, actor, problem_id, data))


@router.post("/{problem_id}/transition", summary="Move a problem")
def transition(
    problem_id: str,
    data: TransitionIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ProblemDetail:
    """open -> known_error (needs a root cause or workaround) -> resolved; back to open."""
    with db.unit_of_work() as session:
        row = service.transition(session, actor, problem_id, data.status, data.note)
        return service.detail(session, row)


@router.post("/{problem_id}/links", summary="Link an incident, service or fixing change")
def add_link(
    problem_id: str,
    data: LinkIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ProblemDetail:
    """``inc_…`` links an incident (and its service), ``chg_…`` a change that fixes the problem,
    anything else names a service. Linking twice changes nothing."""
    with db.unit_of_work() as session:
        service.add_link(session, actor, problem_id, data.ref)
        return service.detail(session, service.get_problem(session, problem_id))


@router.delete("/{problem_id}/links/{ref}", summary="Unlink an incident, service or change")
def remove_link(
    problem_id: str,
    ref: str,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ProblemDetail:
    """Remove one link."""
    with db.unit_of_work() as session:
        service.remove_link(session, actor, problem_id, ref)
        return service.detail(session, service.get_problem(session, problem_id))

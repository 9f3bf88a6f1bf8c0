"""The improvement register over HTTP: list, create, detail, edit, actions, review, follow-up."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.improvements import service, views
from guardrail.improvements.enums import ImprovementStatus
from guardrail.improvements.schemas import (
    ActionIn,
    ActionOut,
    FollowUpIn,
    ImprovementCreate,
    ImprovementDetail,
    ImprovementOut,
    ImprovementPatch,
    ReviewIn,
    ReviewResult,
)
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.store.session import Database

router = APIRouter(prefix="/improvements", tags=["improvements"])


@router.get("", summary="List improvements")
def list_improvements(
    status_: list[ImprovementStatus] | None = Query(None, alias="status"),
    service_: str | None = Query(None, alias="service", max_length=63),
    team: str | None = Query(None, max_length=63),
    metric: str | None = Query(None, max_length=60),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[ImprovementOut]:
    """Improvements, newest first; filter by status (repeatable), service, team and metric."""
    with db.reader() as session:
        rows, total = service.list_improvements(
            session,
            statuses=[s.value for s in status_ or []],
            service=service_,
            team=team,
            metric=metric,
            limit=limit,
            offset=offset,
        )
        items = [views.to_out(row) for row in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register an improvement")
def create_improvement(
    data: ImprovementCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ImprovementDetail:
    """Register an improvement; guardrail measures its baseline from the scoreboard now."""
    with db.unit_of_work() as session:
        row = service.create_improvement(session, actor, data)
        return views.detail(session, row)


@router.get("/{improvement_id}", summary="Get an improvement")
def get_improvement(
    improvement_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ImprovementDetail:
    """One improvement: the seven questions, the metric now, actions, reviews and follow-ups."""
    with db.reader() as session:
        return views.detail(session, service.get_improvement(session, improvement_id))


@router.patch("/{improvement_id}", summary="Edit an improvement")
def patch_improvement(
    improvement_id: str,
    data: ImprovementPatch,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ImprovementDetail:
    """Edit the words any time; the target, review date and status while it is open."""
    with db.unit_of_work() as session:
        row = service.update_improvement(session, actor, improvement_id, data)
        return views.detail(session, row)


@router.post(
    "/{improvement_id}/actions", status_code=status.HTTP_201_CREATED, summary="Log an action"
)
def add_action(
    improvement_id: str,
    data: ActionIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ActionOut:
    """Log a step taken, with plain references to action items, changes or deployments."""
    with db.unit_of_work() as session:
        return ActionOut.model_validate(service.add_action(session, actor, improvement_id, data))


@router.post("/{improvement_id}/review", summary="Review an improvement")
def review(
    improvement_id: str,
    data: ReviewIn | None = None,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ReviewResult:
    """Measure "did we get there?" at the review date (``early`` measures now); a date that was
    reviewed already is answered from its record, not measured twice."""
    early = data.early if data else False
    with db.unit_of_work() as session:
        entry, recorded = service.review(session, actor, improvement_id, early=early)
        row = service.get_improvement(session, improvement_id)
        return ReviewResult(
            recorded=recorded,
            review=views.review_out(entry, row.unit),
            improvement=views.detail(session, row),
        )


@router.post(
    "/{improvement_id}/follow-up",
    status_code=status.HTTP_201_CREATED,
    summary="Follow up an improvement not achieved",
)
def follow_up(
    improvement_id: str,
    data: FollowUpIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ImprovementDetail:
    """A new improvement on the same metric and scope, with a fresh baseline."""
    with db.unit_of_work() as session:
        row = service.follow_up(session, actor, improvement_id, data)
        return views.detail(session, row)

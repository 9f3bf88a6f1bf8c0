"""Action items over HTTP: list, create, update, export to CSV / JSON / GitHub / GitLab."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response, status

from guardrail.api.deps import get_db, require
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.problems import actions, trackers
from guardrail.problems.enums import ActionStatus, Priority
from guardrail.problems.schemas import (
    ActionItemCreate,
    ActionItemOut,
    ActionItemUpdate,
    ExportIn,
    ExportOut,
)
from guardrail.store.session import Database

router = APIRouter(prefix="/action-items", tags=["action items"])


@router.get("", summary="List action items")
def list_items(
    status_: list[ActionStatus] | None = Query(None, alias="status"),
    service_: str | None = Query(None, alias="service", max_length=63),
    priority: Priority | None = None,
    overdue: bool = False,
    postmortem: str | None = Query(None, max_length=40),
    problem: str | None = Query(None, max_length=40),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[ActionItemOut]:
    """Action items by priority and due date; filter by status, service, priority, overdue."""
    with db.reader() as session:
        rows, total = actions.list_items(
            session,
            statuses=[s.value for s in status_ or []],
            service=service_,
            priority=priority.value if priority else None,
            overdue=overdue,
            postmortem=postmortem,
            problem=problem,
            limit=limit,
            offset=offset,
        )
        return Page(items=actions.to_out(session, rows), total=total, limit=limit, offset=offset)


@router.get("/export", summary="Export action items as CSV or JSON")
def export_file(
    format_: Literal["csv", "json"] = Query("json", alias="format"),
    status_: list[ActionStatus] | None = Query(None, alias="status"),
    service_: str | None = Query(None, alias="service", max_length=63),
    overdue: bool = False,
    item: list[str] | None = Query(None, description="Only these act_… ids (repeatable)"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Response:
    """Every matching item as a CSV or JSON file (flat rows, one per item)."""
    with db.reader() as session:
        rows, _total = actions.list_items(
            session,
            statuses=[s.value for s in status_ or []],
            service=service_,
            overdue=overdue,
            ids=item or None,
            limit=100_000,
        )
        flat = actions.export_rows(session, rows)
    if format_ == "csv":
        return Response(actions.to_csv(flat), media_type="text/csv; charset=utf-8")
    return Response(actions.to_json(flat), media_type="application/json")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an action item")
def create_item(
    data: ActionItemCreate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ActionItemOut:
    """Record an action item (its service defaults to its postmortem's incident's)."""
    with db.unit_of_work() as session:
        return actions.to_out(session, [actions.create_item(session, actor, data)])[0]


@router.post("/tracker-export", summary="Export action items to GitHub or GitLab")
def export_tracker(
    data: ExportIn,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ExportOut:
    """Open an issue per item through the outbox (retried when the tracker is down), or with
    ``dry_run`` return the exact requests and send nothing."""
    with db.unit_of_work() as session:
        return trackers.export(
            session,
            actor,
            data.items,
            data.tracker,
            repository=data.repository,
            dry_run=data.dry_run,
        )


@router.get("/{item_id}", summary="Get an action item")
def get_item(
    item_id: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ActionItemOut:
    """One action item, with where its export stands."""
    with db.reader() as session:
        return actions.to_out(session, [actions.get_item(session, item_id)])[0]


@router.patch("/{item_id}", summary="Update an action item")
def update_item(
    item_id: str,
    data: ActionItemUpdate,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ActionItemOut:
    """Change owner, priority, due date (null clears it), status or text."""
    with db.unit_of_work() as session:
        return actions.to_out(session, [actions.update_item(session, actor, item_id, data)])[0]

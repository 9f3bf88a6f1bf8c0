"""Every query of the problems practice (the full-text search is in search.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from guardrail.problems.enums import OPEN_ACTION_STATUSES, LinkKind
from guardrail.problems.models import ActionItem, Postmortem, Problem, ProblemLink

# The gate asks this on every decision: a Core statement built once on the table (building an
# ORM select per call costs about as much as running it).
_ITEMS = ActionItem.__table__
_OPEN_ITEMS = (
    select(_ITEMS.c.id, _ITEMS.c.priority, _ITEMS.c.due_at, _ITEMS.c.title)
    .where(
        _ITEMS.c.service_id == bindparam("service_id"),
        _ITEMS.c.status.in_(OPEN_ACTION_STATUSES),
    )
    .order_by(_ITEMS.c.priority, _ITEMS.c.due_at)
)


def problem(session: Session, problem_id: str, *, lock: bool = False) -> Problem | None:
    if not lock:
        return session.get(Problem, problem_id)
    return session.scalars(
        select(Problem).where(Problem.id == problem_id).with_for_update()
    ).first()


def list_problems(
    session: Session,
    *,
    statuses: list[str] | None,
    service_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Problem], int]:
    query = select(Problem)
    if statuses:
        query = query.where(Problem.status.in_(statuses))
    if service_id:
        linked = select(ProblemLink.problem_id).where(
            ProblemLink.kind == LinkKind.service.value, ProblemLink.ref_id == service_id
        )
        query = query.where(Problem.id.in_(linked))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Problem.updated_at.desc(), Problem.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def problems_by_ids(session: Session, ids: Sequence[str]) -> list[Problem]:
    if not ids:
        return []
    return list(session.scalars(select(Problem).where(Problem.id.in_(list(ids)))))


def links(session: Session, problem_id: str) -> list[ProblemLink]:
    return list(
        session.scalars(
            select(ProblemLink)
            .where(ProblemLink.problem_id == problem_id)
            .order_by(ProblemLink.kind, ProblemLink.created_at, ProblemLink.id)
        )
    )


def link(session: Session, problem_id: str, kind: str, ref_id: str) -> ProblemLink | None:
    return session.scalars(
        select(ProblemLink).where(
            ProblemLink.problem_id == problem_id,
            ProblemLink.kind == kind,
            ProblemLink.ref_id == ref_id,
        )
    ).first()


def problems_linked_to(session: Session, kind: str, ref_id: str) -> list[Problem]:
    linked = select(ProblemLink.problem_id).where(
        ProblemLink.kind == kind, ProblemLink.ref_id == ref_id
    )
    return list(session.scalars(select(Problem).where(Problem.id.in_(linked))))


def problem_spans(session: Session) -> list[tuple[datetime, datetime | None, set[str]]]:
    """(created_at, resolved_at, linked service ids) of every problem."""
    services: dict[str, set[str]] = {}
    linked = select(ProblemLink.problem_id, ProblemLink.ref_id).where(
        ProblemLink.kind == LinkKind.service.value
    )
    for problem_id, service_id in session.execute(linked):
        services.setdefault(problem_id, set()).add(service_id)
    rows = session.execute(select(Problem.id, Problem.created_at, Problem.resolved_at))
    return [(created, resolved, services.get(pid, set())) for pid, created, resolved in rows]


# --- postmortems ---------------------------------------------------------------------------------


def postmortem(session: Session, postmortem_id: str, *, lock: bool = False) -> Postmortem | None:
    if not lock:
        return session.get(Postmortem, postmortem_id)
    query = select(Postmortem).where(Postmortem.id == postmortem_id).with_for_update()
    return session.scalars(query).first()


def postmortem_of_incident(session: Session, incident_id: str) -> Postmortem | None:
    return session.scalars(select(Postmortem).where(Postmortem.incident_id == incident_id)).first()


def postmortems_of_problem(session: Session, problem_id: str) -> list[Postmortem]:
    return list(
        session.scalars(
            select(Postmortem)
            .where(Postmortem.problem_id == problem_id)
            .order_by(Postmortem.created_at)
        )
    )


def list_postmortems(
    session: Session, *, status: str | None, required: bool | None, limit: int, offset: int
) -> tuple[list[Postmortem], int]:
    query = select(Postmortem)
    if status:
        query = query.where(Postmortem.status == status)
    if required is not None:
        query = query.where(Postmortem.required == required)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Postmortem.created_at.desc(), Postmortem.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def incidents_with_required_postmortem(session: Session, incident_ids: list[str]) -> set[str]:
    if not incident_ids:
        return set()
    query = select(Postmortem.incident_id).where(
        Postmortem.incident_id.in_(incident_ids), Postmortem.required.is_(True)
    )
    return set(session.scalars(query))


# --- action items -------------------------------------------------------------------------------


def action_item(session: Session, item_id: str, *, lock: bool = False) -> ActionItem | None:
    if not lock:
        return session.get(ActionItem, item_id)
    query = select(ActionItem).where(ActionItem.id == item_id).with_for_update()
    return session.scalars(query).first()


def action_items_by_ids(session: Session, ids: Sequence[str]) -> list[ActionItem]:
    if not ids:
        return []
    query = select(ActionItem).where(ActionItem.id.in_(list(ids))).order_by(ActionItem.id)
    return list(session.scalars(query))


def list_action_items(
    session: Session,
    *,
    statuses: list[str] | None,
    service_id: str | None,
    priority: str | None,
    overdue_at: datetime | None,
    postmortem_id: str | None,
    problem_id: str | None,
    limit: int,
    offset: int,
    ids: list[str] | None = None,
) -> tuple[list[ActionItem], int]:
    query = select(ActionItem)
    if ids:
        query = query.where(ActionItem.id.in_(ids))
    if statuses:
        query = query.where(ActionItem.status.in_(statuses))
    if service_id:
        query = query.where(ActionItem.service_id == service_id)
    if priority:
        query = query.where(ActionItem.priority == priority)
    if overdue_at is not None:
        query = query.where(
            ActionItem.status.in_(OPEN_ACTION_STATUSES), ActionItem.due_at < overdue_at
        )
    if postmortem_id:
        query = query.where(ActionItem.postmortem_id == postmortem_id)
    if problem_id:
        query = query.where(ActionItem.problem_id == problem_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (ActionItem.priority, ActionItem.due_at.is_(None), ActionItem.due_at, ActionItem.id)
    rows = session.scalars(query.order_by(*order).limit(limit).offset(offset))
    return list(rows), total


def open_items_of_service(session: Session, service_id: str) -> list[tuple[Any, ...]]:
    """(id, priority, due_at, title) of the service's open items: the gate's one query, served
    by ix_action_items_gate (service_id, status, priority, due_at)."""
    return [tuple(row) for row in session.execute(_OPEN_ITEMS, {"service_id": service_id})]


def action_spans(session: Session) -> list[tuple[Any, ...]]:
    """(created_at, due_at, closed_at, service_id) of every item with a due date."""
    query = select(
        ActionItem.created_at, ActionItem.due_at, ActionItem.closed_at, ActionItem.service_id
    ).where(ActionItem.due_at.is_not(None))
    return [tuple(row) for row in session.execute(query)]


def item_by_external(session: Session, tracker: str, refs: list[str]) -> ActionItem | None:
    """The item exported as one of ``refs`` to ``tracker``."""
    query = select(ActionItem).where(
        and_(ActionItem.tracker == tracker, or_(*(ActionItem.external_ref == r for r in refs)))
    )
    return session.scalars(query.with_for_update()).first()

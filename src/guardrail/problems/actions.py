"""Action items: owner, priority P0-P3, due date, status; what the gate and the scoreboard read.

Status runs open -> in_progress -> done | wont_do, and back to open (a tracker reopened the issue).
Flushes, never commits; every write is audited.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import NotFound
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, isoformat, utcnow
from guardrail.problems import repository
from guardrail.problems.enums import OPEN_ACTION_STATUSES, ActionStatus, ExportStatus
from guardrail.problems.models import ActionItem
from guardrail.problems.schemas import ActionItemCreate, ActionItemOut, ActionItemUpdate
from guardrail.store import outbox

EXPORT_COLUMNS = (
    "id",
    "title",
    "owner",
    "priority",
    "status",
    "due_at",
    "overdue",
    "service",
    "postmortem_id",
    "problem_id",
    "tracker",
    "external_url",
    "export_status",
    "created_at",
    "closed_at",
    "description",
)


def get_item(session: Session, item_id: str, *, lock: bool = False) -> ActionItem:
    """One action item by id."""
    row = repository.action_item(session, item_id, lock=lock)
    if row is None:
        raise NotFound(
            f"there is no action item {item_id!r}; list them with `guardrail action-item list`"
        )
    return row


def _view(row: ActionItem) -> dict[str, Any]:
    return {
        "title": row.title,
        "owner": row.owner,
        "priority": row.priority,
        "status": row.status,
        "due_at": isoformat(row.due_at) if row.due_at else None,
        "service_id": row.service_id,
    }


def create_item(session: Session, actor: Actor, data: ActionItemCreate) -> ActionItem:
    """Record an action item; its service defaults to its postmortem's incident's service."""
    from guardrail.problems import postmortems
    from guardrail.problems import service as problems

    postmortem = postmortems.get_postmortem(session, data.postmortem) if data.postmortem else None
    problem = problems.get_problem(session, data.problem) if data.problem else None
    service_id = cmdb.get_service(session, data.service).id if data.service else None
    if service_id is None and postmortem is not None:
        service_id = postmortems.service_of(session, postmortem)
    if problem is None and postmortem is not None and postmortem.problem_id:
        problem = problems.get_problem(session, postmortem.problem_id)
    now = utcnow()
    item = ActionItem(
        title=data.title,
        description=data.description,
        owner=data.owner,
        priority=data.priority.value,
        status=ActionStatus.open.value,
        due_at=as_utc(data.due_at) if data.due_at else None,
        postmortem_id=postmortem.id if postmortem else None,
        problem_id=problem.id if problem else None,
        service_id=service_id,
        export_status=ExportStatus.none.value,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    audit_service.record(
        session, actor, "action_item.create", "action_item", item.id, after=_view(item)
    )
    return item


def update_item(session: Session, actor: Actor, item_id: str, data: ActionItemUpdate) -> ActionItem:
    """Change an item's fields or status."""
    item = get_item(session, item_id, lock=True)
    before = _view(item)
    values = data.model_dump(exclude_unset=True)
    status = values.pop("status", None)
    for field, value in values.items():
        if field == "due_at":
            value = as_utc(value) if value else None  # null clears the due date
        elif value is None:
            continue
        setattr(item, field, value if field == "due_at" else str(value))  # str enums to str
    if status is not None:
        _set_status(item, ActionStatus(status))
    item.updated_at = utcnow()
    session.flush()
    audit_service.record(
        session,
        actor,
        "action_item.update",
        "action_item",
        item.id,
        before=before,
        after=_view(item),
    )
    return item


def _set_status(item: ActionItem, status: ActionStatus) -> None:
    item.status = status.value
    closed = status in (ActionStatus.done, ActionStatus.wont_do)
    item.closed_at = (item.closed_at or utcnow()) if closed else None


def set_status(
    session: Session, actor: Actor, item: ActionItem, status: ActionStatus, why: str
) -> bool:
    """Move an item to ``status`` (a tracker closed or reopened its issue); False if already so."""
    if item.status == status.value:
        return False
    before = _view(item)
    _set_status(item, status)
    item.updated_at = utcnow()
    session.flush()
    audit_service.record(
        session,
        actor,
        "action_item.sync",
        "action_item",
        item.id,
        before=before,
        after={**_view(item), "why": why},
    )
    return True


# --- reading -------------------------------------------------------------------------------------


def list_items(
    session: Session,
    *,
    statuses: list[str] | None = None,
    service: str | None = None,
    priority: str | None = None,
    overdue: bool = False,
    postmortem: str | None = None,
    problem: str | None = None,
    ids: list[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ActionItem], int]:
    """Action items by priority then due date, filtered."""
    service_id = cmdb.get_service(session, service).id if service else None
    return repository.list_action_items(
        session,
        statuses=statuses,
        service_id=service_id,
        priority=priority,
        overdue_at=utcnow() if overdue else None,
        postmortem_id=postmortem,
        problem_id=problem,
        ids=ids,
        limit=limit,
        offset=offset,
    )


def is_overdue(item: ActionItem, now: datetime) -> bool:
    return bool(
        item.due_at is not None
        and item.status in OPEN_ACTION_STATUSES
        and as_utc(item.due_at) < now
    )


def export_note(session: Session, item: ActionItem) -> str:
    """Where the item's export stands, for a person ("export pending, retry 2 at …")."""
    if item.export_status == ExportStatus.exported:
        return f"exported to {item.tracker}: {item.external_url or item.external_ref}"
    job = outbox.get_job(session, item.export_job_id) if item.export_job_id else None
    if item.export_status == ExportStatus.pending and job is not None:
        if job.status == outbox.JobStatus.dead:
            return (
                f"export to {item.tracker} failed after {job.attempts} attempts: {job.last_error}"
            )
        if job.attempts:
            return (
                f"export pending, retry {job.attempts} at {isoformat(job.run_at)} "
                f"({(job.last_error or '').strip()[:200]})"
            )
        return f"export to {item.tracker} pending"
    if item.export_status == ExportStatus.failed:
        return f"export to {item.tracker} failed: {item.export_error or ''}"
    return ""


def to_out(session: Session, items: list[ActionItem]) -> list[ActionItemOut]:
    """Items with their service's name, overdue flag and export note."""
    names = _service_names(session, {i.service_id for i in items if i.service_id})
    now = utcnow()
    return [
        ActionItemOut.model_validate(item).model_copy(
            update={
                "service": names.get(item.service_id or ""),
                "overdue": is_overdue(item, now),
                "export_note": export_note(session, item),
            }
        )
        for item in items
    ]


def _service_names(session: Session, ids: set[str]) -> dict[str, str]:
    out = {}
    for service_id in ids:
        found = cmdb.find_service(session, service_id)
        if found is not None:
            out[service_id] = found.name
    return out


def export_rows(session: Session, items: list[ActionItem]) -> list[dict[str, Any]]:
    """Items as flat rows (the CSV and JSON exports)."""
    rows = []
    for out in to_out(session, items):
        data = out.model_dump(mode="json")
        rows.append({key: data.get(key) for key in EXPORT_COLUMNS})
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


# --- what the change gate and the scoreboard read -------------------------------------------------


def open_items_of_service(session: Session, service_id: str) -> list[dict[str, Any]]:
    """The service's open action items (id, priority, due_at, title), in one indexed query."""
    return [
        {
            "id": row[0],
            "priority": row[1],
            "due_at": as_utc(row[2]) if row[2] else None,
            "title": row[3],
        }
        for row in repository.open_items_of_service(session, service_id)
    ]


class ProblemSpan(NamedTuple):
    created_at: datetime
    resolved_at: datetime | None
    service_ids: frozenset[str]


class ActionSpan(NamedTuple):
    created_at: datetime
    due_at: datetime
    closed_at: datetime | None
    service_id: str | None


def scoreboard_spans(session: Session) -> tuple[list[ProblemSpan], list[ActionSpan]]:
    """When each problem was open (and its services), and when each item with a due date was
    open: what the scoreboard counts open problems and overdue items from, at any instant."""
    problems = [
        ProblemSpan(as_utc(created), as_utc(resolved) if resolved else None, frozenset(ids))
        for created, resolved, ids in repository.problem_spans(session)
    ]
    items = [
        ActionSpan(as_utc(created), as_utc(due), as_utc(closed) if closed else None, service_id)
        for created, due, closed, service_id in repository.action_spans(session)
    ]
    return problems, items

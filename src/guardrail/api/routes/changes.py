"""Change enablement over HTTP: the gate, evidence, decisions (long-polled), approvals."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from guardrail.api.deps import get_db, require
from guardrail.api.routes import change_policies
from guardrail.changes import chat as chat_service
from guardrail.changes import lifecycle, service, views
from guardrail.changes.enums import WAIT_STATES, ChangeState
from guardrail.changes.models import Change
from guardrail.changes.repository import change_state
from guardrail.changes.schemas import (
    ApprovalIn,
    ChangeOut,
    ChatLink,
    CompleteIn,
    DecisionOut,
    EvidenceIn,
    GateRequest,
    ReviewIn,
)
from guardrail.errors import NotFound
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.store.session import Database

router = APIRouter()
changes = APIRouter(prefix="/changes", tags=["changes"])
POLL_SECONDS = 0.25
MAX_WAIT = 60


def base_url(request: Request) -> str:
    """Where people reach guardrail (GUARDRAIL_PUBLIC_URL, else the address this request used)."""
    return request.app.state.settings.public_url or str(request.base_url)


@changes.post("", status_code=status.HTTP_201_CREATED, summary="Gate: request a change")
def gate(
    data: GateRequest,
    request: Request,
    response: Response,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> ChangeOut:
    """Record a change (or find it by idempotency key), decide it, and answer at once."""
    # Read and decide first without the write lock; then write (SQLite has one writer).
    with db.reader() as session:
        worked_out = service.prepare_gate(session, actor, data)
        if isinstance(worked_out, Change):
            response.status_code = status.HTTP_200_OK
            return views.to_out(session, worked_out, base_url(request), created=False)
    with db.unit_of_work() as session:
        change, created = service.record_gate(session, actor, worked_out)
        if not created:
            response.status_code = status.HTTP_200_OK
        return views.to_out(session, change, base_url(request), created=created)


@changes.get("", summary="List changes")
def list_changes(
    request: Request,
    service_name: str | None = Query(None, alias="service", max_length=63),
    state: list[ChangeState] | None = Query(None),
    environment: str | None = Query(None, max_length=63),
    needs_review: bool | None = None,
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[dict[str, Any]]:
    """Changes, newest first, filtered by service, state, environment and review flag."""
    with db.reader() as session:
        rows, total = views.list_changes(
            session,
            service=service_name,
            states=[s.value for s in state] if state else None,
            environment=environment,
            needs_review=needs_review,
            limit=limit,
            offset=offset,
        )
        return Page(items=views.summaries(session, rows), total=total, limit=limit, offset=offset)


@changes.get("/inbox", summary="Changes waiting for my approval")
def inbox(
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.approver)),
) -> list[ChangeOut]:
    """Changes waiting for an approval the caller may give, with evidence and risk."""
    with db.reader() as session:
        return [views.to_out(session, c, base_url(request)) for c in views.inbox(session, actor)]


@changes.post("/chat-identities", summary="Link a chat user to a person")
def link_chat(
    data: ChatLink, db: Database = Depends(get_db), actor: Actor = Depends(require(Role.admin))
) -> dict[str, str]:
    """Say which person a Slack user is, so their approve/reject buttons count as theirs."""
    with db.unit_of_work() as session:
        row = chat_service.link(session, actor, data)
        return {
            "provider": row.provider,
            "external_id": row.external_id,
            "person_id": row.person_id,
        }


@changes.get("/{change_id}", summary="Get a change")
def get_change(
    change_id: str,
    request: Request,
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> ChangeOut:
    """One change with its decision, risk factors, evidence and approvals."""
    with db.reader() as session:
        return views.to_out(session, service.get_change(session, change_id), base_url(request))


def _state(db: Database, change_id: str) -> str:
    with db.reader() as session:
        found = change_state(session, change_id)
    if found is None:
        raise NotFound(f"no change {change_id!r}")
    return found[0]


def _decision(db: Database, change_id: str, url: str) -> DecisionOut:
    with db.reader() as session:
        return views.decision_out(session, service.get_change(session, change_id), url)


@changes.get("/{change_id}/decision", summary="The decision, waiting for it to change")
async def decision(
    change_id: str,
    request: Request,
    wait: float = Query(0, ge=0, le=MAX_WAIT, description="Seconds to hold while it is pending"),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> DecisionOut:
    """The gate's answer; with ``wait``, held until the state changes or the time is up."""
    # Polls the database, not memory, so any replica sees an approval given through another.
    first = await run_in_threadpool(_state, db, change_id)
    deadline = time.monotonic() + wait
    while ChangeState(first) in WAIT_STATES and time.monotonic() < deadline:
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        if await run_in_threadpool(_state, db, change_id) != first:
            break
    return await run_in_threadpool(_decision, db, change_id, base_url(request))


@changes.post("/{change_id}/evidence", summary="Attach evidence")
def attach_evidence(
    change_id: str,
    data: EvidenceIn,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> ChangeOut:
    """Attach JUnit, SARIF, numstat files or facts; an undeployed change is decided again."""
    with db.unit_of_work() as session:
        change = service.attach_evidence(session, actor, change_id, data.files, data.facts)
        return views.to_out(session, change, base_url(request))


@changes.post("/{change_id}/approve", summary="Approve a change")
def approve(
    change_id: str,
    data: ApprovalIn,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.approver)),
) -> ChangeOut:
    """Approve (not your own change, nor one with your commits); decides the change again."""
    with db.unit_of_work() as session:
        change = service.approve(session, actor, change_id, data.comment)
        return views.to_out(session, change, base_url(request))


@changes.post("/{change_id}/reject", summary="Reject a change")
def reject(
    change_id: str,
    data: ApprovalIn,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.approver)),
) -> ChangeOut:
    """Reject a change; it ends there."""
    with db.unit_of_work() as session:
        change = service.reject(session, actor, change_id, data.comment)
        return views.to_out(session, change, base_url(request))


@changes.post("/{change_id}/start", summary="Start implementing a change")
def start(
    change_id: str,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> ChangeOut:
    """Mark an approved change as being deployed (approvals are re-checked)."""
    with db.unit_of_work() as session:
        change = lifecycle.start(session, actor, change_id)
        return views.to_out(session, change, base_url(request))


@changes.post("/{change_id}/complete", summary="Complete a change")
def complete(
    change_id: str,
    data: CompleteIn,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> ChangeOut:
    """Close a change as completed, failed or rolled back."""
    with db.unit_of_work() as session:
        change = lifecycle.complete(session, actor, change_id, data.status, data.comment)
        return views.to_out(session, change, base_url(request))


@changes.post("/{change_id}/cancel", summary="Cancel a change")
def cancel(
    change_id: str,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.pipeline)),
) -> ChangeOut:
    """Withdraw a change that has not started."""
    with db.unit_of_work() as session:
        change = lifecycle.cancel(session, actor, change_id)
        return views.to_out(session, change, base_url(request))


@changes.post("/{change_id}/review", summary="Record a retrospective review")
def review(
    change_id: str,
    data: ReviewIn,
    request: Request,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.approver)),
) -> ChangeOut:
    """Close the retrospective review of an emergency change."""
    with db.unit_of_work() as session:
        change = lifecycle.review(session, actor, change_id, data.note)
        return views.to_out(session, change, base_url(request))


router.include_router(change_policies.router)
router.include_router(changes)

"""Reading changes: output models, the decision summary, lists and the approver's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.changes import approvals as approvals_module
from guardrail.changes import repository
from guardrail.changes.enums import PROCEED_STATES, WAIT_STATES, ChangeState
from guardrail.changes.models import Change
from guardrail.changes.schemas import ApprovalOut, ChangeOut, DecisionOut, EvidenceOut
from guardrail.changes.service import NEW_EVIDENCE
from guardrail.cmdb import service as cmdb
from guardrail.kit.context import Actor


def change_url(base_url: str, change_id: str) -> str:
    return f"{base_url.rstrip('/')}/changes/{change_id}"


def to_out(session: Session, change: Change, base_url: str, *, created: bool = False) -> ChangeOut:
    """A change with its evidence, approvals and who can approve it now."""
    directory = approvals_module.Directory(session)
    new_rows = session.info.get(NEW_EVIDENCE, {}).get(change.id) if created else None
    if new_rows is not None:
        # Created by this session's gate a moment ago: its evidence is what the gate wrote, no
        # approval can exist yet, and the service's name was read for the decision.
        name, evidence, approvals = change.context["service"]["name"], new_rows, []
    else:
        service = cmdb.find_service(session, change.service_id)
        name = service.name if service else change.service_id
        evidence = repository.evidence_of(session, [change.id])
        approvals = repository.approvals_of(session, [change.id])
    return ChangeOut(
        **{k: getattr(change, k) for k in _FIELDS},
        service=name,
        proceed=ChangeState(change.state) in PROCEED_STATES,
        can_approve=_can_approve(change, directory),
        policy=_policy(change),
        evidence=[EvidenceOut.model_validate(e) for e in evidence],
        approvals=[ApprovalOut.model_validate(a) for a in approvals],
        url=change_url(base_url, change.id),
        created=created,
    )


_FIELDS = (
    "id",
    "service_id",
    "environment",
    "type",
    "model",
    "state",
    "title",
    "description",
    "commit_sha",
    "version",
    "links",
    "authors",
    "requester",
    "idempotency_key",
    "planned_start",
    "planned_end",
    "risk_score",
    "risk_level",
    "risk_factors",
    "decision",
    "reasons",
    "trace",
    "approvals_required",
    "needs_review",
    "review_note",
    "reviewed_by",
    "reviewed_at",
    "created_at",
    "updated_at",
    "decided_at",
    "started_at",
    "completed_at",
)


def _policy(change: Change) -> dict[str, Any]:
    """The guardrails version that decided the change."""
    return {
        "id": change.policy_id,
        "scope": change.policy_scope,
        "version": change.policy_version,
        "digest": change.policy_digest,
    }


def _can_approve(change: Change, directory: approvals_module.Directory) -> list[str]:
    if change.state != ChangeState.pending_approval:
        return []
    return approvals_module.eligible(change, directory)


def decision_out(session: Session, change: Change, base_url: str) -> DecisionOut:
    """What the pipeline needs: proceed or not, final or not, why, and who can approve."""
    state = ChangeState(change.state)
    service = cmdb.find_service(session, change.service_id)
    return DecisionOut(
        id=change.id,
        state=change.state,
        decision=change.decision,
        proceed=state in PROCEED_STATES,
        final=state not in WAIT_STATES,
        service=service.name if service else change.service_id,
        environment=change.environment,
        risk_level=change.risk_level,
        risk_score=change.risk_score,
        risk_factors=change.risk_factors,
        reasons=change.reasons,
        can_approve=_can_approve(change, approvals_module.Directory(session)),
        needs_review=change.needs_review,
        policy=_policy(change),
        url=change_url(base_url, change.id),
        updated_at=change.updated_at,
    )


def list_changes(
    session: Session,
    *,
    service: str | None = None,
    states: list[str] | None = None,
    environment: str | None = None,
    needs_review: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Change], int]:
    """Changes, newest first, filtered."""
    filters: dict[str, Any] = {
        "service_id": cmdb.get_service(session, service).id if service else None,
        "states": states,
        "environment": environment,
        "needs_review": needs_review,
    }
    return repository.list_changes(session, filters, limit=limit, offset=offset)


def inbox(session: Session, actor: Actor, limit: int = 100) -> list[Change]:
    """Changes waiting for an approval this person may give (and emergencies to review)."""
    rows, _ = repository.list_changes(
        session, {"states": ["pending_approval"]}, limit=limit, offset=0
    )
    directory = approvals_module.Directory(session)
    person = directory.person(actor.person_id)
    if person is None:
        return rows
    mine = []
    for change in rows:
        if approvals_module.conflict_of_interest(change, person, actor.token_id) is None and (
            approvals_module.fits_any(person, change, directory)
        ):
            mine.append(change)
    return mine


def summaries(session: Session, changes: list[Change]) -> list[dict[str, Any]]:
    """Short rows for lists: id, service name, state, risk, when."""
    names = {c.service_id: c.service_id for c in changes}
    for service_id in names:
        service = cmdb.find_service(session, service_id)
        names[service_id] = service.name if service else service_id
    return [
        {
            "id": c.id,
            "service": names[c.service_id],
            "environment": c.environment,
            "type": c.type,
            "state": c.state,
            "risk_level": c.risk_level,
            "risk_score": c.risk_score,
            "title": c.title,
            "commit": c.commit_sha,
            "needs_review": c.needs_review,
            "created_at": c.created_at,
            "reasons": c.reasons,
        }
        for c in changes
    ]


@dataclass(frozen=True)
class ChangeFacts:
    """What the scoreboard reads about one change: its type, outcome, times and approvals."""

    id: str
    service_id: str
    environment: str
    type: str
    state: str
    created_at: datetime
    decided_at: datetime | None
    completed_at: datetime | None
    approvals: tuple[tuple[str, datetime], ...]  # (approve | reject, when), oldest first


def change_facts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    service_ids: list[str] | None = None,
    environment: str | None = None,
) -> list[ChangeFacts]:
    """Changes created in [start, end) (optionally of some services and one environment)."""
    wanted = set(service_ids) if service_ids is not None else None
    rows = [
        r
        for r in repository.change_facts_rows(session, start, end, environment)
        if wanted is None or r.service_id in wanted
    ]
    given: dict[str, list[tuple[str, datetime]]] = {}
    for change_id, decision, at in repository.approval_times(session, [r.id for r in rows]):
        given.setdefault(change_id, []).append((decision, at))
    return [
        ChangeFacts(
            id=r.id,
            service_id=r.service_id,
            environment=r.environment,
            type=r.type,
            state=r.state,
            created_at=r.created_at,
            decided_at=r.decided_at,
            completed_at=r.completed_at,
            approvals=tuple(given.get(r.id, [])),
        )
        for r in rows
    ]

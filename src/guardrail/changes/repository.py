"""Every query of the change practice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from guardrail.changes.models import Approval, Change, ChatIdentity, Evidence, FreezeWindow
from guardrail.changes.models import PolicyVersion as Policy

# The gate's hot queries are written on the tables, not the ORM entities, where they return
# plain values: that skips the ORM's per-statement bookkeeping (a few hundred µs each).
_CHANGES = cast(Table, Change.__table__)
_POLICIES = cast(Table, Policy.__table__)
_FREEZES = cast(Table, FreezeWindow.__table__)
# ...and built once, with parameters: building a statement and its cache key costs about as
# much as running it.
_NEWEST_POLICY = (
    select(_POLICIES.c.id, _POLICIES.c.digest)
    .where(_POLICIES.c.scope.in_([bindparam("scope"), bindparam("fallback")]))
    .order_by(
        case((_POLICIES.c.scope == bindparam("scope"), 0), else_=1), _POLICIES.c.version.desc()
    )
    .limit(1)
)
_CHANGE_BY_KEY = select(_CHANGES.c.id).where(_CHANGES.c.idempotency_key == bindparam("key"))
_OUTCOMES = (
    select(_CHANGES.c.state, func.count())
    .where(
        _CHANGES.c.service_id == bindparam("service_id"),
        _CHANGES.c.completed_at >= bindparam("since"),
        _CHANGES.c.state.in_(("completed", "failed", "rolled_back")),
    )
    .group_by(_CHANGES.c.state)
)
_ANY_LIVE_FREEZE = (
    select(_FREEZES.c.id)
    .where(
        _FREEZES.c.cancelled_at.is_(None),
        or_(_FREEZES.c.rrule.is_not(None), _FREEZES.c.ends_at > bindparam("now")),
    )
    .limit(1)
)


def latest_policy(session: Session, scope: str) -> Policy | None:
    return session.scalars(
        select(Policy).where(Policy.scope == scope).order_by(Policy.version.desc()).limit(1)
    ).first()


def newest_policy_ref(session: Session, scope: str, fallback: str) -> tuple[str, str] | None:
    """(id, digest) of the newest version in ``scope``, else in ``fallback``: one indexed query
    of two short columns (the document itself comes from a cache by id)."""
    row = session.execute(_NEWEST_POLICY, {"scope": scope, "fallback": fallback}).first()
    return (row[0], row[1]) if row else None


def policy_versions(session: Session, scope: str | None, limit: int) -> list[Policy]:
    query = select(Policy)
    if scope is not None:
        query = query.where(Policy.scope == scope)
    return list(
        session.scalars(
            query.order_by(Policy.created_at.desc(), Policy.version.desc()).limit(limit)
        )
    )


def policy(session: Session, policy_id: str) -> Policy | None:
    return session.get(Policy, policy_id)


def change(session: Session, change_id: str, *, lock: bool = False) -> Change | None:
    if lock:
        query = select(Change).where(Change.id == change_id).with_for_update()
        return session.scalars(query).first()
    return session.get(Change, change_id)


def change_by_key(session: Session, key: str) -> Change | None:
    # Nearly every gate call brings a new key: ask for the id only, load the change when found.
    found = session.execute(select(_CHANGES.c.id).where(_CHANGES.c.idempotency_key == key)).scalar()
    return session.get(Change, found) if found is not None else None


def change_state(session: Session, change_id: str) -> tuple[str, datetime] | None:
    """A change's state and last update, read cheaply (the long poll asks often)."""
    row = session.execute(
        select(Change.state, Change.updated_at).where(Change.id == change_id)
    ).first()
    return (row[0], row[1]) if row else None


def list_changes(
    session: Session, filters: dict[str, Any], *, limit: int, offset: int
) -> tuple[list[Change], int]:
    query = select(Change)
    for key in ("service_id", "environment", "type", "risk_level"):
        if filters.get(key):
            query = query.where(getattr(Change, key) == filters[key])
    if filters.get("states"):
        query = query.where(Change.state.in_(filters["states"]))
    if filters.get("needs_review") is not None:
        query = query.where(Change.needs_review == filters["needs_review"])
    if filters.get("since"):
        query = query.where(Change.created_at >= filters["since"])
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Change.created_at.desc(), Change.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def evidence_of(session: Session, change_ids: list[str]) -> list[Evidence]:
    if not change_ids:
        return []
    return list(
        session.scalars(
            select(Evidence).where(Evidence.change_id.in_(change_ids)).order_by(Evidence.created_at)
        )
    )


def approvals_of(session: Session, change_ids: list[str]) -> list[Approval]:
    if not change_ids:
        return []
    return list(
        session.scalars(
            select(Approval).where(Approval.change_id.in_(change_ids)).order_by(Approval.created_at)
        )
    )


def outcome_counts(session: Session, service_id: str, since: datetime) -> dict[str, int]:
    """Completed, failed and rolled-back changes of a service since ``since``, by state."""
    rows = session.execute(_OUTCOMES, {"service_id": service_id, "since": since}).all()
    return {state: count for state, count in rows}


def live_freezes(session: Session, now: datetime) -> list[FreezeWindow]:
    """Windows not cancelled that are recurring or not over yet."""
    # Most decisions meet no freeze at all: a plain query says so before any window is loaded.
    if session.execute(_ANY_LIVE_FREEZE, {"now": now}).first() is None:
        return []
    return list(
        session.scalars(
            select(FreezeWindow)
            .where(
                FreezeWindow.cancelled_at.is_(None),
                or_(FreezeWindow.rrule.is_not(None), FreezeWindow.ends_at > now),
            )
            .order_by(FreezeWindow.starts_at)
        )
    )


def all_freezes(session: Session, include_cancelled: bool) -> list[FreezeWindow]:
    query = select(FreezeWindow)
    if not include_cancelled:
        query = query.where(FreezeWindow.cancelled_at.is_(None))
    return list(session.scalars(query.order_by(FreezeWindow.starts_at)))


def freeze(session: Session, freeze_id: str) -> FreezeWindow | None:
    return session.get(FreezeWindow, freeze_id)


def changes_between(session: Session, start: datetime, end: datetime) -> list[Change]:
    """Changes planned or created in [start, end)."""
    planned = (Change.planned_start < end) & (
        func.coalesce(Change.planned_end, Change.planned_start) >= start
    )
    created = (
        Change.planned_start.is_(None) & (Change.created_at >= start) & (Change.created_at < end)
    )
    return list(
        session.scalars(
            select(Change).where(or_(planned, created)).order_by(Change.created_at).limit(2000)
        )
    )


def approved_waiting(session: Session) -> list[Change]:
    """Approved changes that have not started (their approvals may expire)."""
    return list(
        session.scalars(
            select(Change).where(Change.state == "approved", Change.started_at.is_(None)).limit(500)
        )
    )


def chat_person(session: Session, provider: str, external_id: str) -> str | None:
    return session.scalar(
        select(ChatIdentity.person_id).where(
            ChatIdentity.provider == provider, ChatIdentity.external_id == external_id
        )
    )


def chat_identity(session: Session, provider: str, external_id: str) -> ChatIdentity | None:
    return session.scalars(
        select(ChatIdentity).where(
            ChatIdentity.provider == provider, ChatIdentity.external_id == external_id
        )
    ).first()


def change_facts_rows(
    session: Session, since: datetime, until: datetime, environment: str | None
) -> list[Any]:
    """The few columns the scoreboard reads, for changes created in [since, until)."""
    query = select(
        Change.id,
        Change.service_id,
        Change.environment,
        Change.type,
        Change.state,
        Change.created_at,
        Change.decided_at,
        Change.completed_at,
    ).where(Change.created_at >= since, Change.created_at < until)
    if environment:
        query = query.where(Change.environment == environment)
    return list(session.execute(query.order_by(Change.created_at)).all())


def approval_times(session: Session, change_ids: list[str]) -> list[Any]:
    """(change id, decision, when) of the approvals and rejections of these changes."""
    if not change_ids:
        return []
    query = select(Approval.change_id, Approval.decision, Approval.created_at)
    return list(
        session.execute(
            query.where(Approval.change_id.in_(change_ids)).order_by(Approval.created_at)
        ).all()
    )

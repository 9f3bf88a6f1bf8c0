"""Every query of the improvement register."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from guardrail.improvements.models import Improvement, ImprovementAction, ImprovementReview


def improvement(session: Session, improvement_id: str, *, lock: bool = False) -> Improvement | None:
    if not lock:
        return session.get(Improvement, improvement_id)
    return session.scalars(
        select(Improvement).where(Improvement.id == improvement_id).with_for_update()
    ).first()


def list_improvements(
    session: Session,
    *,
    statuses: list[str] | None,
    service: str | None,
    team: str | None,
    metric: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Improvement], int]:
    query = select(Improvement)
    if statuses:
        query = query.where(Improvement.status.in_(statuses))
    if service:
        query = query.where(Improvement.service == service)
    if team:
        query = query.where(Improvement.team == team)
    if metric:
        query = query.where(Improvement.metric == metric)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Improvement.created_at.desc(), Improvement.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def actions(session: Session, improvement_id: str) -> list[ImprovementAction]:
    return list(
        session.scalars(
            select(ImprovementAction)
            .where(ImprovementAction.improvement_id == improvement_id)
            .order_by(ImprovementAction.at, ImprovementAction.id)
        )
    )


def reviews(session: Session, improvement_id: str) -> list[ImprovementReview]:
    return list(
        session.scalars(
            select(ImprovementReview)
            .where(ImprovementReview.improvement_id == improvement_id)
            .order_by(ImprovementReview.review_at, ImprovementReview.id)
        )
    )


def review_at(session: Session, improvement_id: str, at: datetime) -> ImprovementReview | None:
    return session.scalars(
        select(ImprovementReview).where(
            ImprovementReview.improvement_id == improvement_id,
            ImprovementReview.review_at == at,
        )
    ).first()


def follow_ups(session: Session, improvement_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Improvement.id)
            .where(Improvement.follows_id == improvement_id)
            .order_by(Improvement.created_at)
        )
    )


def claim_due(
    session: Session, statuses: list[str], now: datetime, limit: int
) -> list[Improvement]:
    """Open improvements past their review date with no review for that date, locked for this
    worker (other workers skip them)."""
    reviewed = exists().where(
        and_(
            ImprovementReview.improvement_id == Improvement.id,
            ImprovementReview.review_at == Improvement.review_at,
        )
    )
    return list(
        session.scalars(
            select(Improvement)
            .where(Improvement.status.in_(statuses), Improvement.review_at <= now, ~reviewed)
            .order_by(Improvement.review_at, Improvement.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Improvement)
        )
    )

"""Every query of the slo practice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from guardrail.slo.models import BudgetPolicy, Slo, SloAlert, SloEvent, SloSnapshot, SpecRevision


def slo_by_id(session: Session, slo_id: str) -> Slo | None:
    return session.get(Slo, slo_id)


def slo_by_name(session: Session, service_id: str, name: str) -> Slo | None:
    return session.scalars(
        select(Slo).where(Slo.service_id == service_id, Slo.name == name)
    ).first()


def slos_named(session: Session, name: str) -> list[Slo]:
    return list(session.scalars(select(Slo).where(Slo.name == name).limit(5)))


def slos_of_service(session: Session, service_id: str) -> list[Slo]:
    return list(session.scalars(select(Slo).where(Slo.service_id == service_id).order_by(Slo.name)))


def list_slos(
    session: Session, *, service_id: str | None, limit: int, offset: int
) -> tuple[list[Slo], int]:
    query = select(Slo)
    if service_id:
        query = query.where(Slo.service_id == service_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Slo.service_id, Slo.name).limit(limit).offset(offset))
    return list(rows), total


def all_slos(session: Session) -> list[Slo]:
    return list(session.scalars(select(Slo).order_by(Slo.id)))


def policy_by_name(session: Session, service_id: str, name: str) -> BudgetPolicy | None:
    return session.scalars(
        select(BudgetPolicy).where(BudgetPolicy.service_id == service_id, BudgetPolicy.name == name)
    ).first()


def policies_of_service(session: Session, service_id: str) -> list[BudgetPolicy]:
    return list(
        session.scalars(
            select(BudgetPolicy)
            .where(BudgetPolicy.service_id == service_id)
            .order_by(BudgetPolicy.name)
        )
    )


def all_policies(session: Session) -> list[BudgetPolicy]:
    return list(session.scalars(select(BudgetPolicy)))


def add_revision(session: Session, **values: Any) -> None:
    session.add(SpecRevision(**values))


def revisions(session: Session, object_id: str) -> list[SpecRevision]:
    return list(
        session.scalars(
            select(SpecRevision)
            .where(SpecRevision.object_id == object_id)
            .order_by(SpecRevision.version.desc())
        )
    )


def events_at(session: Session, slo_id: str, starts: list[datetime]) -> dict[datetime, SloEvent]:
    """The stored intervals of an SLO among ``starts``."""
    if not starts:
        return {}
    rows = session.scalars(
        select(SloEvent).where(SloEvent.slo_id == slo_id, SloEvent.interval_start.in_(starts))
    )
    return {row.interval_start: row for row in rows}


def event_totals(
    session: Session, slo_id: str, start: datetime, end: datetime
) -> tuple[int, int, int, int]:
    """Intervals, good, total and bad slices of an SLO with a start in [start, end)."""
    slo = session.get(Slo, slo_id)
    target = slo.timeslice_target if slo else None
    rows = session.execute(
        select(SloEvent.good, SloEvent.total).where(
            SloEvent.slo_id == slo_id,
            SloEvent.interval_start >= start,
            SloEvent.interval_start < end,
        )
    ).all()
    good = sum(r[0] for r in rows)
    total = sum(r[1] for r in rows)
    bad_slices = sum(1 for g, t in rows if target is not None and t > 0 and g < t * target)
    return len(rows), good, total, bad_slices


def open_alerts(session: Session, slo_ids: list[str] | None = None) -> list[SloAlert]:
    query = select(SloAlert).where(SloAlert.open_key.is_not(None))
    if slo_ids is not None:
        query = query.where(SloAlert.slo_id.in_(slo_ids))
    return list(session.scalars(query.order_by(SloAlert.fired_at)))


def alerts_of(session: Session, slo_id: str, limit: int = 20) -> list[SloAlert]:
    return list(
        session.scalars(
            select(SloAlert)
            .where(SloAlert.slo_id == slo_id)
            .order_by(SloAlert.fired_at.desc())
            .limit(limit)
        )
    )


def add_snapshots(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SloSnapshot), rows)


def snapshots(session: Session, slo_id: str, since: datetime) -> list[SloSnapshot]:
    return list(
        session.scalars(
            select(SloSnapshot)
            .where(SloSnapshot.slo_id == slo_id, SloSnapshot.at >= since)
            .order_by(SloSnapshot.at)
        )
    )


def event_rows(
    session: Session, slo_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, int, int]]:
    """(interval start, good, total) of an SLO's intervals starting in [start, end)."""
    rows = session.execute(
        select(SloEvent.interval_start, SloEvent.good, SloEvent.total).where(
            SloEvent.slo_id == slo_id,
            SloEvent.interval_start >= start,
            SloEvent.interval_start < end,
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]

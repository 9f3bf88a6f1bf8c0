"""Every query on the audit trail."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guardrail.audit.models import GENESIS_HASH, AuditEvent, AuditHead


def lock_head(session: Session) -> AuditHead:
    """The chain head, locked for this transaction (created on first use)."""
    query = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = session.scalars(query).first()
    if head is not None:
        return head
    try:
        # Two first writers may race to create the head: the loser's insert fails in its
        # savepoint and it then waits on the winner's row lock like any later writer.
        with session.begin_nested():
            session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
    except IntegrityError:
        pass
    return session.scalars(query.execution_options(populate_existing=True)).one()


def get_head(session: Session) -> AuditHead | None:
    return session.get(AuditHead, 1)


def iter_events(session: Session, batch: int = 2000) -> Iterator[AuditEvent]:
    """Every event in sequence order, fetched in batches."""
    last = -1
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def list_events(
    session: Session,
    *,
    object_id: str | None,
    action: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEvent], int]:
    query = select(AuditEvent)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if action:
        query = query.where(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit).offset(offset)).all()
    return list(rows), total

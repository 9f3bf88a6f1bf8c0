"""Every query on the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guardrail.audit.models import GENESIS_HASH, AuditEvent, AuditHead

_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = cast(Table, AuditHead.__table__)
# Built once: every write appends, and building a statement and its cache key costs more than
# running it. Plain table statements: nothing here needs the ORM's bookkeeping.
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_CREATE_HEAD = insert(_HEAD).values(id=1, seq=0, hash=GENESIS_HASH)
_INSERT_EVENTS = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def lock_head(session: Session) -> AuditHead:
    """The chain head, locked for this transaction (created on first use)."""
    lock_head_row(session)
    query = select(AuditHead).where(AuditHead.id == 1)
    # The appends below write the head with plain SQL: never trust a copy loaded earlier.
    return session.scalars(query.execution_options(populate_existing=True)).one()


def lock_head_row(session: Session) -> tuple[int, str]:
    """The chain head's sequence number and hash, locked for this transaction (created on first
    use); read as plain columns, without loading an ORM object."""
    row = session.execute(_LOCK_HEAD).first()
    if row is not None:
        return int(row[0]), str(row[1])
    try:
        # Two first writers may race to create the head: the loser's insert fails in its
        # savepoint and it then waits on the winner's row lock like any later writer.
        with session.begin_nested():
            session.execute(_CREATE_HEAD)
    except IntegrityError:
        pass
    seq, hash_ = session.execute(_LOCK_HEAD).one()
    return int(seq), str(hash_)


def append(session: Session, rows: list[dict[str, object]], seq: int, hash_: str) -> None:
    """Insert events (one statement, batched) and move the locked head to the newest one."""
    session.execute(_INSERT_EVENTS, rows)
    session.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": hash_})


def get_head(session: Session) -> AuditHead | None:
    # populate_existing: appends move the head with plain SQL, so a loaded copy may be old.
    return session.get(AuditHead, 1, populate_existing=True)


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

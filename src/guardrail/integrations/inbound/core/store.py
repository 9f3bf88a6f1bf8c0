"""The raw-event store: deliveries stored once each, with their processing jobs, in plain SQL.

Every delivery costs two inserts (its event and its job) and, for a replay, one update. Not the
ORM: this runs for every webhook and PagerDuty event, and the unit of work's bookkeeping cost more
than the statements; the two inserts even run on the driver's cursor (see ``driver``). Several
deliveries (a group commit, see ``batch``) share one statement of each kind. The table's unique
key (integration, delivery key) decides what a replay is, so concurrent requests and several
replicas can never store one delivery twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from guardrail.integrations.inbound.core.driver import DriverInsert
from guardrail.integrations.models import InboundEvent
from guardrail.kit.ids import new_id
from guardrail.kit.time import utcnow
from guardrail.store.outbox import Job, JobStatus

PROCESS_JOB = "inbound.process"

_EVENTS = cast(Table, InboundEvent.__table__)
_JOBS = cast(Table, Job.__table__)

_EVENT_COLUMNS = (
    "id",
    "integration_id",
    "source",
    "event_type",
    "dedup_key",
    "headers",
    "body",
    "received_at",
    "status",
    "replays",
)
_JOB_COLUMNS = (
    "id",
    "kind",
    "payload",
    "status",
    "attempts",
    "max_attempts",
    "run_at",
    "created_at",
)
# The two inserts of every delivery run on the driver's cursor (see ``driver``), compiled once.
_INSERT_EVENTS = {
    is_postgres: DriverInsert(
        dialect.insert(_EVENTS)
        .on_conflict_do_nothing(index_elements=["integration_id", "dedup_key"])
        .returning(_EVENTS.c.id),
        _EVENT_COLUMNS,
    )
    for is_postgres, dialect in ((False, sqlite), (True, postgresql))
}
_INSERT_JOBS = DriverInsert(_JOBS.insert(), _JOB_COLUMNS)
_COUNT_REPLAYS = (
    update(_EVENTS)
    .where(_EVENTS.c.integration_id == bindparam("i"), _EVENTS.c.dedup_key == bindparam("k"))
    .values(replays=_EVENTS.c.replays + bindparam("n"))
    .returning(_EVENTS.c.id, _EVENTS.c.event_type, _EVENTS.c.status)
)


@dataclass(frozen=True)
class Pending:
    """A verified, described delivery waiting to be stored."""

    integration_id: str
    source: str
    event_type: str
    dedup_key: str
    headers: dict[str, str]
    body: str

    @property
    def key(self) -> tuple[str, str]:
        return self.integration_id, self.dedup_key


@dataclass(frozen=True)
class Stored:
    """What storing one delivery did: its event, and whether it was a replay."""

    event_id: str
    event_type: str
    duplicate: bool
    status: str


def store_many(session: Session, items: Sequence[Pending]) -> list[Stored]:
    """Store each delivery not stored yet and enqueue its processing; count replays.

    Writes no ORM objects of its own and never commits: the caller's transaction holds it all.
    """
    now = utcnow()
    # Core statements on the session's connection (the ORM's execute path adds nothing here);
    # whatever the caller has pending goes first, as autoflush would do.
    session.flush()
    conn = session.connection()
    counts = Counter(item.key for item in items)
    first: dict[tuple[str, str], Pending] = {}
    for item in items:
        first.setdefault(item.key, item)
    ids = {key: new_id(InboundEvent.id_prefix) for key in first}
    inserted = _insert_events(conn, first, ids, counts, now)
    if inserted:
        _insert_jobs(conn, [ids[key] for key in first if ids[key] in inserted], now)
    stored: dict[tuple[str, str], Stored] = {}
    for key, item in first.items():
        if ids[key] in inserted:
            stored[key] = Stored(ids[key], item.event_type, False, "received")
        else:  # stored before (or by a concurrent request a moment ago): a replay
            stored[key] = _count_replays(conn, key, counts[key])
    out = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        result = stored[item.key]
        if item.key in seen and not result.duplicate:  # the batch itself repeated a delivery
            result = Stored(result.event_id, result.event_type, True, result.status)
        seen.add(item.key)
        out.append(result)
    return out


def _insert_events(
    conn: Connection,
    first: dict[tuple[str, str], Pending],
    ids: dict[tuple[str, str], str],
    counts: Counter[tuple[str, str]],
    now: Any,
) -> set[str]:
    rows = [
        {
            "id": ids[key],
            "integration_id": item.integration_id,
            "source": item.source,
            "event_type": item.event_type,
            "dedup_key": item.dedup_key,
            "headers": item.headers,
            "body": item.body,
            "received_at": now,
            "status": "received",
            # Copies of this delivery in the same batch are replays of it.
            "replays": counts[key] - 1,
        }
        for key, item in first.items()
    ]
    insert = _INSERT_EVENTS[conn.dialect.name == "postgresql"]
    return {row[0] for row in insert.execute(conn, rows)}


def _insert_jobs(conn: Connection, event_ids: list[str], now: Any) -> None:
    rows = [
        {
            "id": new_id(Job.id_prefix),
            "kind": PROCESS_JOB,
            "payload": {"event_id": event_id},
            "status": JobStatus.queued,
            "attempts": 0,
            "max_attempts": 8,
            "run_at": now,
            "created_at": now,
        }
        for event_id in event_ids
    ]
    _INSERT_JOBS.execute(conn, rows)


def _count_replays(conn: Connection, key: tuple[str, str], count: int) -> Stored:
    integration_id, dedup_key = key
    row = conn.execute(_COUNT_REPLAYS, {"i": integration_id, "k": dedup_key, "n": count}).one()
    return Stored(row.id, row.event_type, True, row.status)

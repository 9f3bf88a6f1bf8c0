"""The raw-event store: deliveries stored once each, with their processing jobs, in plain SQL.

Every delivery costs an event row and a job row and, for a replay, one update. Not the ORM: this
runs for every webhook and PagerDuty event, and the unit of work's bookkeeping cost more than the
statements. Several deliveries (a group commit, see ``batch``) share each statement:

- PostgreSQL: one statement stores a batch (``_PG_STORE``): the rows travel as one JSON document,
  so the statement text and its parameters never change with the batch size (psycopg parses it
  once and the server prepares it; a multi-row VALUES list of a few hundred parameters was parsed
  again for every batch), and data-modifying CTEs insert the new events and their jobs. One round
  trip, atomic by itself. Replays, if the batch has any, are counted by one more statement.
- SQLite: one multi-row insert per table on the driver's cursor (see ``driver``), replays counted
  one update each; in-process calls, so round trips cost little there.

The table's unique key (integration, delivery key) decides what a replay is, so concurrent
requests and several replicas can never store one delivery twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from guardrail.integrations.inbound.core.driver import DriverInsert
from guardrail.integrations.models import InboundEvent
from guardrail.kit.ids import new_id
from guardrail.kit.time import utcnow
from guardrail.store.outbox import Job, JobStatus

PROCESS_JOB = "inbound.process"
_MAX_ATTEMPTS = 8

_EVENTS = cast(Table, InboundEvent.__table__)
_JOBS = cast(Table, Job.__table__)

Key = tuple[str, str]  # (integration id, delivery key)


def _event_id() -> str:
    return new_id(InboundEvent.id_prefix)


def _job_id() -> str:
    return new_id(Job.id_prefix)


@dataclass(frozen=True)
class Pending:
    """A verified, described delivery waiting to be stored.

    Its ids are chosen once, with the delivery: every attempt to store it (a retry on a new
    connection, one by one after a failed batch) writes the same ids, so a row that an earlier
    attempt committed before its answer was lost is recognised as this delivery's own, not as a
    replay of it.
    """

    integration_id: str
    source: str
    event_type: str
    dedup_key: str
    headers: dict[str, str]
    body: str
    event_id: str = field(default_factory=_event_id)
    job_id: str = field(default_factory=_job_id)

    @property
    def key(self) -> Key:
        return self.integration_id, self.dedup_key


@dataclass(frozen=True)
class Stored:
    """What storing one delivery did: its event, and whether it was a replay."""

    event_id: str
    event_type: str
    duplicate: bool
    status: str


@dataclass(frozen=True)
class _Batch:
    """The distinct deliveries of a batch, each with its new ids and how often it came."""

    now: datetime
    first: dict[Key, Pending]
    counts: Counter[Key]
    event_ids: dict[Key, str]
    job_ids: dict[Key, str]


def store_many(session: Session, items: Sequence[Pending]) -> list[Stored]:
    """Store each delivery not stored yet and enqueue its processing; count replays.

    Writes no ORM objects of its own and never commits: the caller's transaction holds it all.
    """
    # Whatever the caller has pending goes first, as autoflush would do.
    session.flush()
    return store_on(session.connection(), items)


def store_on(conn: Connection, items: Sequence[Pending]) -> list[Stored]:
    """``store_many`` on a connection, in its transaction (the group commit's SQLite writer; on
    PostgreSQL it uses ``store_postgresql_async``)."""
    write = _store_postgresql if conn.dialect.name == "postgresql" else _store_sqlite
    return _answers(items, write(conn, _batch(items)))


def _batch(items: Sequence[Pending]) -> _Batch:
    counts = Counter(item.key for item in items)
    first: dict[Key, Pending] = {}
    for item in items:
        first.setdefault(item.key, item)
    return _Batch(
        now=utcnow(),
        first=first,
        counts=counts,
        event_ids={key: item.event_id for key, item in first.items()},
        job_ids={key: item.job_id for key, item in first.items()},
    )


def _answers(items: Sequence[Pending], stored: dict[Key, Stored]) -> list[Stored]:
    out = []
    seen: set[Key] = set()
    for item in items:
        result = stored[item.key]
        if item.key in seen and not result.duplicate:  # the batch itself repeated a delivery
            result = Stored(result.event_id, result.event_type, True, result.status)
        seen.add(item.key)
        out.append(result)
    return out


# -- PostgreSQL: one statement a batch --------------------------------------------------------

# ``r`` is the batch; ``ins`` the events it stores (a key stored before is left alone by ON
# CONFLICT, which always goes through the unique index); ``jobs`` one processing job per stored
# event. Nothing here joins the events table itself, so no plan the server caches for this
# prepared statement (a generic plan made while the table was empty, say) can turn it into a
# scan. Values are written as SQLAlchemy would write them (JSON as the JSON type's text); the
# tests compare the rows.
_PG_STORE = f"""
WITH r AS (
    SELECT * FROM json_to_recordset(%(rows)s::json) AS r(
        event_id varchar, job_id varchar, integration_id varchar, source varchar,
        event_type varchar, dedup_key varchar, headers text, body text, payload text, n int
    )
), ins AS (
    INSERT INTO inbound_events
        (id, integration_id, source, event_type, dedup_key, headers, body, received_at, status,
         replays)
    SELECT event_id, integration_id, source, event_type, dedup_key, headers::json, body,
           %(now)s, 'received', n - 1
    FROM r
    ON CONFLICT (integration_id, dedup_key) DO NOTHING
    RETURNING id
), jobs AS (
    INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at)
    SELECT r.job_id, '{PROCESS_JOB}', r.payload::json, '{JobStatus.queued}', 0, {_MAX_ATTEMPTS},
           %(now)s, %(now)s
    FROM r JOIN ins ON ins.id = r.event_id
)
SELECT id FROM ins
"""
# The replays of a batch, counted in one statement that is planned for each use (not prepared):
# it joins the events table, and a generic plan cached while that table was small would scan it.
# A statement of its own also sees keys a concurrent transaction committed meanwhile. A row with
# the batch's own event id was stored by an earlier attempt at this very batch (autocommit: its
# statement committed, then the answer was lost); it already counts this batch's copies.
_PG_REPLAYS = """
UPDATE inbound_events AS e
SET replays = e.replays + CASE WHEN e.id = r.event_id THEN 0 ELSE r.n END
FROM json_to_recordset(%(rows)s::json)
    AS r(integration_id varchar, dedup_key varchar, event_id varchar, n int)
WHERE e.integration_id = r.integration_id AND e.dedup_key = r.dedup_key
RETURNING e.integration_id, e.dedup_key, e.id, e.event_type, e.status, e.id = r.event_id
"""


def _store_postgresql(conn: Connection, batch: _Batch) -> dict[Key, Stored]:
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        rows = cursor.execute(_PG_STORE, _pg_params(batch)).fetchall()
        stored, replayed = _pg_inserted(batch, rows)
        if replayed:
            replays = cursor.execute(_PG_REPLAYS, _pg_replay_params(batch, replayed), prepare=False)
            stored.update(_pg_replays(replays.fetchall()))
    return stored


async def store_postgresql_async(
    conn: psycopg.AsyncConnection[Any], items: Sequence[Pending]
) -> list[Stored]:
    """``store_on`` for PostgreSQL on an asynchronous psycopg connection in autocommit (the
    group commit's, which waits for the server on the event loop instead of in a thread)."""
    batch = _batch(items)
    async with conn.cursor() as cursor:
        await cursor.execute(_PG_STORE, _pg_params(batch))
        stored, replayed = _pg_inserted(batch, await cursor.fetchall())
        if replayed:
            await cursor.execute(_PG_REPLAYS, _pg_replay_params(batch, replayed), prepare=False)
            stored.update(_pg_replays(await cursor.fetchall()))
    return _answers(items, stored)


def _pg_params(batch: _Batch) -> dict[str, Any]:
    # The batch travels as one JSON document: json.dumps is C code, where psycopg's dumping of
    # ten text arrays (escaping every element) cost more than the server's work. The JSON
    # columns' text is json.dumps's, as SQLAlchemy's bind processing writes it (make_engine sets
    # no other serializer). Sorted keys: batches that share keys lock them in one order.
    rows = [
        {
            "event_id": batch.event_ids[key],
            "job_id": batch.job_ids[key],
            "integration_id": item.integration_id,
            "source": item.source,
            "event_type": item.event_type,
            "dedup_key": item.dedup_key,
            "headers": json.dumps(item.headers),
            "body": item.body,
            "payload": json.dumps({"event_id": batch.event_ids[key]}),
            "n": batch.counts[key],
        }
        for key, item in sorted(batch.first.items())
    ]
    return {"rows": json.dumps(rows), "now": batch.now}


def _pg_inserted(
    batch: _Batch, rows: Sequence[Sequence[Any]]
) -> tuple[dict[Key, Stored], list[Key]]:
    """What ``_PG_STORE`` stored, and the keys it found stored already (replays)."""
    inserted = {row[0] for row in rows}
    stored: dict[Key, Stored] = {}
    replayed: list[Key] = []
    for key in sorted(batch.first):
        if batch.event_ids[key] in inserted:
            stored[key] = Stored(
                batch.event_ids[key], batch.first[key].event_type, False, "received"
            )
        else:
            replayed.append(key)
    return stored, replayed


def _pg_replay_params(batch: _Batch, replayed: list[Key]) -> dict[str, Any]:
    rows = [
        {"integration_id": i, "dedup_key": k, "event_id": batch.event_ids[(i, k)], "n": n}
        for i, k in replayed
        for n in (batch.counts[(i, k)],)
    ]
    return {"rows": json.dumps(rows)}


def _pg_replays(rows: Sequence[Sequence[Any]]) -> dict[Key, Stored]:
    return {
        (integration_id, dedup_key): Stored(event_id, event_type, not ours, status)
        for integration_id, dedup_key, event_id, event_type, status, ours in rows
    }


# -- SQLite: a multi-row insert per table -----------------------------------------------------

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
_INSERT_EVENTS = DriverInsert(
    sqlite.insert(_EVENTS)
    .on_conflict_do_nothing(index_elements=["integration_id", "dedup_key"])
    .returning(_EVENTS.c.id),
    _EVENT_COLUMNS,
)
_INSERT_JOBS = DriverInsert(_JOBS.insert(), _JOB_COLUMNS)
# On the driver's cursor too: a replay burst (a sender retrying) costs one cheap statement each.
# A row with the delivery's own id is its own, stored by an earlier attempt (see ``Pending``).
_SQLITE_REPLAY = (
    "UPDATE inbound_events SET replays = replays + CASE WHEN id = ? THEN 0 ELSE ? END"
    " WHERE integration_id = ? AND dedup_key = ? RETURNING id, event_type, status"
)


def _store_sqlite(conn: Connection, batch: _Batch) -> dict[Key, Stored]:
    rows = [
        {
            "id": batch.event_ids[key],
            "integration_id": item.integration_id,
            "source": item.source,
            "event_type": item.event_type,
            "dedup_key": item.dedup_key,
            "headers": item.headers,
            "body": item.body,
            "received_at": batch.now,
            "status": "received",
            # Copies of this delivery in the same batch are replays of it.
            "replays": batch.counts[key] - 1,
        }
        for key, item in sorted(batch.first.items())
    ]
    inserted = {row[0] for row in _INSERT_EVENTS.execute(conn, rows)}
    new = [key for key in batch.first if batch.event_ids[key] in inserted]
    if new:
        _INSERT_JOBS.execute(conn, [_job_row(batch, key) for key in new])
    stored = {
        key: Stored(batch.event_ids[key], batch.first[key].event_type, False, "received")
        for key in new
    }
    for key in batch.first.keys() - stored.keys():
        stored[key] = _count_replays(conn, key, batch.event_ids[key], batch.counts[key])
    return stored


def _job_row(batch: _Batch, key: Key) -> dict[str, Any]:
    return {
        "id": batch.job_ids[key],
        "kind": PROCESS_JOB,
        "payload": {"event_id": batch.event_ids[key]},
        "status": JobStatus.queued,
        "attempts": 0,
        "max_attempts": _MAX_ATTEMPTS,
        "run_at": batch.now,
        "created_at": batch.now,
    }


def _count_replays(conn: Connection, key: Key, own_id: str, count: int) -> Stored:
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.execute(_SQLITE_REPLAY, (own_id, count, *key))
    try:
        event_id, event_type, status = cursor.fetchone()
    finally:
        cursor.close()
    return Stored(event_id, event_type, event_id != own_id, status)

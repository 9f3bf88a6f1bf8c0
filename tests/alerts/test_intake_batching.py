"""The fast intake path: the raw store in plain SQL, group commit, and the routing-key cache."""

from __future__ import annotations

import asyncio
import json
import logging
import threading

import pytest
from alert_helpers import create_integration, pd_event
from sqlalchemy import func, select, text

from guardrail.integrations.inbound.core import routing
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.batch import GroupCommit
from guardrail.integrations.inbound.core.store import PROCESS_JOB, Pending, Stored, store_many
from guardrail.integrations.models import InboundEvent
from guardrail.store.outbox import Job
from guardrail.store.session import Database


def _pending(integration_id: str, key: str) -> Pending:
    return Pending(
        integration_id=integration_id,
        source="pagerduty",
        event_type="pagerduty.trigger",
        dedup_key=key,
        headers={"content-type": "application/json"},
        body=json.dumps({"key": key}),
    )


def _counts(db: Database) -> tuple[int, int, int]:
    with db.reader() as session:
        events = session.scalar(select(func.count()).select_from(InboundEvent)) or 0
        replays = session.scalar(select(func.sum(InboundEvent.replays))) or 0
        jobs = session.scalar(select(func.count()).where(Job.kind == PROCESS_JOB)) or 0
    return events, replays, jobs


def test_a_batch_stores_each_delivery_once_and_counts_every_repeat(client, auth, db):
    integration = create_integration(client, auth, "pagerduty")
    with db.unit_of_work() as session:
        (first,) = store_many(session, [_pending(integration["id"], "a")])
    assert not first.duplicate
    batch = [_pending(integration["id"], k) for k in ("a", "b", "b", "c", "a")]
    with db.unit_of_work() as session:
        results = store_many(session, batch)
    assert [r.duplicate for r in results] == [True, False, True, False, True]
    assert results[0].event_id == results[4].event_id == first.event_id
    assert results[1].event_id == results[2].event_id != results[3].event_id
    # Three deliveries, one job each; "a" was repeated twice, "b" once.
    assert _counts(db) == (3, 3, 3)


def test_storing_a_batch_again_recognises_its_own_rows(client, auth, db):
    """A batch committed whose answer was lost (a dropped connection) is stored again by the
    retry: its deliveries are answered as stored, not as replays, and no replay is counted."""
    integration = create_integration(client, auth, "pagerduty")
    batch = [_pending(integration["id"], k) for k in ("a", "b", "a")]
    with db.unit_of_work() as session:
        first = store_many(session, batch)
    assert [r.duplicate for r in first] == [False, False, True]
    assert _counts(db) == (2, 1, 2)
    with db.unit_of_work() as session:
        again = store_many(session, batch)
    assert again == first
    assert _counts(db) == (2, 1, 2)
    # A real replay (the same delivery, sent again) is still one.
    with db.unit_of_work() as session:
        (replay,) = store_many(session, [_pending(integration["id"], "a")])
    assert replay.duplicate and replay.event_id == first[0].event_id
    assert _counts(db) == (2, 2, 2)


def test_group_commit_answers_only_after_its_commit(client, auth, db):
    integration = create_integration(client, auth, "pagerduty")
    writer = GroupCommit(db)
    keys = [f"k{n % 40}" for n in range(120)]  # each key three times, concurrently

    async def send() -> list[Stored]:
        async def one(key: str) -> Stored:
            stored = await writer.store(_pending(integration["id"], key))
            with db.reader() as session:  # committed before the answer: visible to anyone
                assert session.get(InboundEvent, stored.event_id) is not None
            return stored

        return await asyncio.gather(*(one(k) for k in keys))

    results = asyncio.run(send())
    assert sum(not r.duplicate for r in results) == 40
    assert len({r.event_id for r in results}) == 40
    assert _counts(db) == (40, 80, 40)


def test_a_failing_delivery_fails_alone(client, auth, db):
    integration = create_integration(client, auth, "pagerduty")
    writer = GroupCommit(db)

    async def send() -> list[Stored | BaseException]:
        items = [_pending(integration["id"], "good"), _pending("int_missing", "bad")]
        items += [_pending(integration["id"], "also-good")]
        return await asyncio.gather(*(writer.store(i) for i in items), return_exceptions=True)

    good, bad, also_good = asyncio.run(send())
    assert isinstance(good, Stored) and isinstance(also_good, Stored)
    assert isinstance(bad, Exception)  # no such integration: the foreign key refuses it
    assert _counts(db) == (2, 0, 2)


def test_revoking_forgets_a_cached_routing_key(client, auth):
    integration = create_integration(client, auth, "pagerduty")
    key = integration["routing_key"]
    assert client.post("/v2/enqueue", json=pd_event(key)).status_code == 202  # now cached
    revoked = client.post(f"/api/v1/integrations/{integration['id']}/revoke", headers=auth)
    assert revoked.status_code == 200
    response = client.post("/v2/enqueue", json=pd_event(key, dedup_key="another"))
    assert response.status_code == 400
    assert "Invalid routing key" in response.json()["errors"][0]


def test_the_cache_keeps_a_route_for_its_ttl_only(client, auth, db, monkeypatch):
    integration = create_integration(client, auth, "pagerduty")
    key = integration["routing_key"]
    with db.reader() as session:
        route = inbound.route_for(session, "pagerduty", key)
    assert route is not None and route.integration_id == integration["id"]
    assert routing.cached(db.engine, key) == route
    later = routing.time.monotonic() + routing.TTL_SECONDS + 1
    monkeypatch.setattr(routing.time, "monotonic", lambda: later)
    assert routing.cached(db.engine, key) is None
    with db.reader() as session:
        assert inbound.route_for(session, "alertmanager", key) is None  # wrong type


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
def test_a_body_that_is_not_utf8_is_refused_and_not_stored(client, auth, db, path):
    integration = create_integration(client, auth, "pagerduty", service=None)
    body = json.dumps(pd_event(integration["routing_key"])).encode("utf-16")
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert _counts(db) == (0, 0, 0)


def _raw_rows(db: Database, table: str, columns: str, where: str) -> list[tuple[object, ...]]:
    with db.reader() as session:
        return [
            tuple(row) for row in session.execute(text(f"SELECT {columns} FROM {table} {where}"))
        ]


def test_the_store_writes_the_rows_the_orm_would(client, auth, db):
    # The raw store bypasses the ORM (on PostgreSQL the rows travel as one JSON document); what
    # it writes must read back exactly as rows the ORM wrote.
    integration = create_integration(client, auth, "pagerduty")
    delivery = _pending(integration["id"], "by-store")
    delivery = Pending(
        **{**delivery.__dict__, "headers": {"content-type": "application/json", "x-note": "héllo"}}
    )
    with db.unit_of_work() as session:
        (stored,) = store_many(session, [delivery])
    with db.unit_of_work() as session:
        event = InboundEvent(
            integration_id=integration["id"],
            source="pagerduty",
            event_type="pagerduty.trigger",
            dedup_key="by-orm",
            headers=delivery.headers,
            body=delivery.body,
        )
        session.add(event)
        session.flush()
        session.add(Job(kind=PROCESS_JOB, payload={"event_id": event.id}))
        orm_id = event.id
    # The JSON columns as their stored text, so a different serialisation would show.
    columns = (
        "source, event_type, CAST(headers AS TEXT), body, status, replays, error, processed_at"
    )
    by_store, by_orm = (
        _raw_rows(db, "inbound_events", columns, f"WHERE id = '{event_id}'")
        for event_id in (stored.event_id, orm_id)
    )
    assert by_store == by_orm
    jobs = {
        row[0]: row[1:]
        for row in _raw_rows(
            db, "jobs", "CAST(payload AS TEXT), kind, status, attempts, max_attempts", ""
        )
    }
    assert jobs[json.dumps({"event_id": stored.event_id})] == jobs[json.dumps({"event_id": orm_id})]
    with db.reader() as session:
        kept = session.get(InboundEvent, stored.event_id)
        assert kept is not None and kept.headers == delivery.headers
        assert kept.received_at.tzinfo is not None


def test_a_busy_sqlite_write_lock_is_waited_for_off_the_event_loop(client, auth, db, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's write lock; PostgreSQL has row locks")
    integration = create_integration(client, auth, "pagerduty")
    writer = GroupCommit(db)
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:  # the worker, say, in a long transaction
        with db.unit_of_work():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(5)

    async def send() -> tuple[Stored, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        asyncio.get_running_loop().call_later(0.3, release.set)
        stored = await writer.store(_pending(integration["id"], "waited"))
        ticking.cancel()
        return stored, ticks

    stored, ticks = asyncio.run(send())
    thread.join()
    assert not stored.duplicate
    assert ticks >= 10  # the loop kept running while the delivery waited for the lock
    assert _counts(db) == (1, 0, 1)


def test_a_dropped_postgresql_connection_is_replaced(client, auth, db, is_postgres, caplog):
    if not is_postgres:
        pytest.skip("the asynchronous PostgreSQL connection of the group commit")
    integration = create_integration(client, auth, "pagerduty")
    writer = GroupCommit(db)

    async def send() -> list[Stored]:
        first = await writer.store(_pending(integration["id"], "before"))
        with db.engine.connect() as conn:  # the server drops the writer's connection
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND query LIKE '%inbound_events%'"
                )
            )
        await asyncio.sleep(0.1)
        second = await writer.store(_pending(integration["id"], "after"))
        await writer.aclose()
        return [first, second]

    with caplog.at_level(logging.INFO, logger="guardrail.integrations.inbound.core.batch"):
        results = asyncio.run(send())
    assert "connection was lost; reconnecting" in caplog.text  # the kept one was really dropped
    assert [r.duplicate for r in results] == [False, False]
    assert _counts(db) == (2, 0, 2)

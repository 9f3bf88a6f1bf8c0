"""Running jobs: done, retried with backoff, buried, lost claims and expired leases."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from guardrail.audit.service import record
from guardrail.kit.context import Actor
from guardrail.store import outbox
from guardrail.store.outbox import HANDLERS, Job, JobStatus, enqueue
from guardrail.worker import selftest
from guardrail.worker.runner import Outcome, backoff, describe

SYSTEM = Actor.system("tests")


def _ticks(db, count: int = 1) -> list[str]:
    with db.unit_of_work() as session:
        return selftest.enqueue_ticks(session, SYSTEM, count)


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Register ``test.fail``: writes an audit event, then raises."""
    calls: list[dict[str, Any]] = []

    def fail(session: Session, payload: dict[str, Any]) -> None:
        calls.append(payload)
        record(session, Actor.system("worker"), "test.fail", "job", payload["id"])
        raise RuntimeError("downstream said\nno")

    monkeypatch.setitem(HANDLERS, "test.fail", fail)
    return calls


def test_job_runs_once_and_is_done(db, make_worker, job, tick_counts):
    [job_id] = _ticks(db)
    worker = make_worker()
    assert worker.run_once() == 1
    done = job(job_id)
    assert (done.status, done.attempts, done.locked_by) == (JobStatus.done, 1, "test:w1")
    assert done.finished_at is not None and done.locked_until is None
    assert tick_counts() == {job_id: 1}
    assert worker.run_once() == 0


def test_job_enqueued_in_a_rolled_back_write_never_runs(db, make_worker):
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        enqueue(session, selftest.KIND, {"id": "x"})
        raise RuntimeError("the write failed")
    assert make_worker().run_once() == 0


def test_failure_retries_with_backoff_then_dies_with_its_error(
    db, make_worker, clock, failing, job, tick_counts
):
    with db.unit_of_work() as session:
        job_id = enqueue(session, "test.fail", {"id": "j"}).id  # type: ignore[union-attr]
    worker = make_worker(job_max_attempts=3)

    assert worker.run_once() == 1
    first = job(job_id)
    assert (first.status, first.attempts, first.locked_by) == (JobStatus.queued, 1, "test:w1")
    assert first.last_error == "RuntimeError: downstream said no"
    assert clock.now + timedelta(seconds=1) <= first.run_at <= clock.now + timedelta(seconds=2)
    assert worker.run_once() == 0  # not due before its backoff has passed

    clock.now = first.run_at
    assert worker.run_once() == 1
    second = job(job_id)
    assert (second.status, second.attempts) == (JobStatus.queued, 2)
    assert clock.now + timedelta(seconds=2) <= second.run_at <= clock.now + timedelta(seconds=4)

    clock.now = second.run_at
    assert worker.run_once() == 1
    dead = job(job_id)
    assert (dead.status, dead.attempts) == (JobStatus.dead, 3)
    assert dead.last_error == "RuntimeError: downstream said no"
    assert dead.finished_at is not None
    assert len(failing) == 3
    # Each failed attempt's own writes were rolled back with it.
    assert tick_counts() == {}
    clock.advance(hours=2)
    assert worker.run_once() == 0


def test_job_max_attempts_is_respected(db, make_worker, failing, job):
    with db.unit_of_work() as session:
        job_id = enqueue(session, "test.fail", {"id": "j"}, max_attempts=1).id  # type: ignore[union-attr]
    make_worker().run_once()
    assert job(job_id).status == JobStatus.dead


def test_unknown_kind_dies_with_a_clear_error(db, make_worker, clock, job):
    with db.unit_of_work() as session:
        job_id = enqueue(session, "nope.kind", {}, max_attempts=2).id  # type: ignore[union-attr]
    worker = make_worker()
    assert worker.run_once() == 1
    assert job(job_id).status == JobStatus.queued  # a newer release may know the kind
    clock.advance(hours=1)
    assert worker.run_once() == 1
    dead = job(job_id)
    assert dead.status == JobStatus.dead
    assert dead.last_error is not None
    assert dead.last_error.startswith(
        "UnknownJobKind: no handler is registered for job kind 'nope.kind'"
    )
    assert "guardrail.worker.registry.JOB_MODULES" in dead.last_error


def test_lost_claim_is_not_completed_twice(db, make_worker, clock, job, tick_counts):
    [job_id] = _ticks(db)
    slow, other = make_worker("slow"), make_worker("other")
    claims = slow.claim()
    assert [c.id for c in claims] == [job_id]

    clock.advance(seconds=301)  # slow's lease ran out before it got to the job
    assert other.run_once() == 1
    assert slow.run_claims(claims) == 1
    assert slow.counts[Outcome.lost] == 1 and slow.counts[Outcome.done] == 0

    done = job(job_id)
    assert (done.status, done.locked_by, done.attempts) == (JobStatus.done, "test:other", 2)
    assert tick_counts() == {job_id: 1}


def test_stale_lease_is_reclaimed_only_after_it_expires(db, make_worker, clock, job, tick_counts):
    [job_id] = _ticks(db)
    crashed, rescuer = make_worker("crashed"), make_worker("rescuer")
    assert len(crashed.claim()) == 1  # and then the process died
    running = job(job_id)
    assert running.status == JobStatus.running and running.locked_by == "test:crashed"

    clock.advance(seconds=299)
    assert rescuer.run_once() == 0
    clock.advance(seconds=2)
    assert rescuer.run_once() == 1
    done = job(job_id)
    assert (done.status, done.locked_by, done.attempts) == (JobStatus.done, "test:rescuer", 2)
    assert tick_counts() == {job_id: 1}


def test_job_that_keeps_killing_its_worker_is_buried(db, make_worker, clock, job):
    with db.unit_of_work() as session:
        job_id = enqueue(session, selftest.KIND, {"id": "x"}, max_attempts=2).id  # type: ignore[union-attr]
    for name in ("a", "b"):
        assert len(make_worker(name).claim()) == 1
        clock.advance(seconds=301)
    assert make_worker("c").run_once() == 0
    dead = job(job_id)
    assert (dead.status, dead.attempts) == (JobStatus.dead, 2)
    assert dead.last_error is not None and dead.last_error.startswith("LeaseExpired: worker test:b")


def test_stop_gives_back_claimed_jobs_it_did_not_start(db, make_worker, job):
    ids = _ticks(db, 3)
    worker = make_worker()
    claims = worker.claim()
    worker.stop()
    assert worker.run_claims(claims) == 0
    for job_id in ids:
        row = job(job_id)
        assert (row.status, row.attempts, row.locked_by) == (JobStatus.queued, 0, None)
    assert make_worker("next").run_once() == 3


def test_claims_respect_the_batch_size_and_run_order(db, make_worker, tick_counts):
    ids = _ticks(db, 5)
    worker = make_worker(worker_batch_size=2)
    first = worker.claim()
    assert len(first) == 2
    assert {c.id for c in first} <= set(ids)
    assert worker.run_claims(first) == 2
    assert worker.run_until_empty() == 3
    assert tick_counts() == dict.fromkeys(ids, 1)


def test_selftest_job_without_an_id_fails_clearly(db, make_worker, job):
    with db.unit_of_work() as session:
        job_id = enqueue(session, selftest.KIND, {}, max_attempts=1).id  # type: ignore[union-attr]
    make_worker().run_once()
    dead = job(job_id)
    assert dead.status == JobStatus.dead
    assert dead.last_error is not None and "needs its id in the payload" in dead.last_error


def test_backoff_grows_jittered_and_capped():
    rng = random.Random(7)
    for attempts in range(1, 40):
        ceiling = min(3600.0, 2.0**attempts)
        delay = backoff(attempts, rng).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


def test_errors_are_one_line_and_truncated():
    assert describe(ValueError("a\n  b")) == "ValueError: a b"
    assert len(describe(ValueError("x" * 10_000))) == outbox.ERROR_LIMIT


def test_postgres_claims_skip_rows_another_worker_holds(db, make_worker, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises claims with BEGIN IMMEDIATE instead of row locks")
    ids = _ticks(db, 2)
    holder = db.session()
    try:
        from sqlalchemy import select

        held = holder.scalars(
            select(Job).where(Job.id == ids[0]).with_for_update()
        ).one()  # a claim transaction still in flight elsewhere
        claims = make_worker().claim()
        assert [c.id for c in claims] == [ids[1]]
        assert held.status == JobStatus.queued
    finally:
        holder.rollback()
        holder.close()

"""Periodic jobs run once per period, however many workers tick."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from guardrail.store import outbox
from guardrail.store.outbox import HANDLERS, PERIODICS, Job, JobStatus, Periodic, Schedule

NAME = "test.every_minute"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch, clock) -> list[dict[str, Any]]:
    """Register a periodic job every 60 s; put the clock 10 s into a minute."""
    calls: list[dict[str, Any]] = []

    def every_minute(session: Session, payload: dict[str, Any]) -> None:
        calls.append(payload)

    monkeypatch.setitem(PERIODICS, NAME, Periodic(NAME, timedelta(seconds=60), every_minute))
    monkeypatch.setitem(HANDLERS, NAME, every_minute)
    clock.now = outbox.period_start(clock.now, 60) + timedelta(minutes=1, seconds=10)
    return calls


def _jobs(db) -> list[tuple[str, str | None]]:
    """(status, dedup_key) of each periodic job, oldest first."""
    with db.reader() as session:
        rows = session.scalars(select(Job).where(Job.kind == NAME).order_by(Job.run_at))
        return [(j.status, j.dedup_key) for j in rows]


def test_periodic_job_runs_once_per_period_across_workers(db, make_worker, clock, runs):
    a, b = make_worker("a"), make_worker("b")
    minute = outbox.period_start(clock.now, 60)
    for worker in (a, b, a, b):
        worker.run_once()
    assert [r["period_start"] for r in runs] == [minute.isoformat().replace("+00:00", "Z")]

    clock.advance(seconds=40)  # same minute: nothing new
    for worker in (b, a):
        worker.run_once()
    assert len(runs) == 1

    clock.advance(seconds=15)  # next minute
    for worker in (b, a, b):
        worker.run_once()
    assert len(runs) == 2
    assert _jobs(db) == [
        (JobStatus.done, f"{NAME}:{(minute + timedelta(seconds=s)).isoformat()[:19]}Z")
        for s in (0, 60)
    ]


def test_schedule_advances_to_the_next_period(db, make_worker, clock, runs):
    make_worker().tick_schedules()
    with db.reader() as session:
        schedule = session.get(Schedule, NAME)
        assert schedule is not None
        assert schedule.every_seconds == 60
        assert schedule.next_run_at == outbox.period_start(clock.now, 60) + timedelta(minutes=1)
        assert schedule.last_run_at == clock.now


def test_a_period_already_enqueued_is_not_enqueued_again(db, make_worker, clock, runs):
    worker = make_worker("a")
    assert worker.tick_schedules() == 1
    # As if a second worker read the schedule before the first one advanced it.
    with db.unit_of_work() as session:
        schedule = session.get(Schedule, NAME)
        assert schedule is not None
        schedule.next_run_at = clock.now - timedelta(seconds=5)
    assert make_worker("b").tick_schedules() == 0
    assert len(_jobs(db)) == 1
    with db.reader() as session:
        schedule = session.get(Schedule, NAME)
        assert schedule is not None and schedule.next_run_at > clock.now


def test_missed_periods_run_once_not_once_each(db, make_worker, clock, runs):
    worker = make_worker()
    worker.run_once()
    clock.advance(hours=3)  # every worker was down for three hours
    worker.run_once()
    assert len(runs) == 2


def test_period_start_is_aligned_to_the_epoch(clock):
    start = outbox.period_start(clock.now, 3600)
    assert start <= clock.now < start + timedelta(hours=1)
    assert (start.minute, start.second, start.microsecond) == (0, 0, 0)

"""Worker fixtures: a clock the test moves, and workers bound to the test database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from guardrail.audit.models import AuditEvent
from guardrail.config import Settings
from guardrail.kit.time import utcnow
from guardrail.store.outbox import PERIODICS, Job
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def _no_practice_periodics(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count the jobs they make; the practices' periodic jobs would add their own."""
    load_job_modules()
    for name in list(PERIODICS):
        monkeypatch.delitem(PERIODICS, name)


@pytest.fixture
def clock() -> FakeClock:
    # A little ahead of the real time, so jobs enqueued with run_at=utcnow() are due.
    return FakeClock(utcnow() + timedelta(seconds=1))


@pytest.fixture
def make_worker(db: Database, settings: Settings, clock: FakeClock) -> Callable[..., Worker]:
    load_job_modules()

    def make(name: str = "w1", **overrides: object) -> Worker:
        conf = settings.model_copy(update=overrides) if overrides else settings
        return Worker(db, conf, worker_id=f"test:{name}", clock=clock)

    return make


@pytest.fixture
def job(db: Database) -> Callable[[str], Job]:
    """Read a job as it is now."""

    def read(job_id: str) -> Job:
        with db.reader() as session:
            row = session.get(Job, job_id)
            assert row is not None
            session.expunge(row)  # keep its loaded values past the reader's rollback
            return row

    return read


@pytest.fixture
def tick_counts(db: Database) -> Callable[[], dict[str, int]]:
    """How many selftest.tick audit events each job id has."""

    def count() -> dict[str, int]:
        with db.reader() as session:
            rows = session.execute(
                select(AuditEvent.object_id, func.count())
                .where(AuditEvent.action == "selftest.tick")
                .group_by(AuditEvent.object_id)
            ).all()
        return {object_id: n for object_id, n in rows}

    return count

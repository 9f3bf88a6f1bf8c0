"""The outbox: side effects are enqueued as jobs in the writer's transaction and run after commit.

Handlers register by kind (``@handler("notify.slack")``) from their practice's ``jobs.py``; periodic
work registers with ``@periodic("slo.evaluate", every=60)``. The worker (``guardrail.worker``)
claims, runs, retries and buries jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin


class JobStatus:
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"


class Job(PublicIdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_at", "status", "run_at"),)
    id_prefix = "job"

    kind: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.queued)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Schedule(Base):
    """A periodic job's next due time; claiming the row makes each period run once."""

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    every_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)


Handler = Callable[[Session, dict[str, Any]], None]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    handler: Handler


HANDLERS: dict[str, Handler] = {}
PERIODICS: dict[str, Periodic] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def periodic(name: str, *, every: timedelta) -> Callable[[Handler], Handler]:
    """Register a job that runs once per ``every`` across all workers."""

    def register(fn: Handler) -> Handler:
        PERIODICS[name] = Periodic(name, every, fn)
        HANDLERS[name] = fn
        return fn

    return register


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    dedup_key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job | None:
    """Add a job in the caller's transaction. With a ``dedup_key`` already queued, add nothing."""
    if dedup_key is not None:
        existing = session.scalars(select(Job).where(Job.dedup_key == dedup_key)).first()
        if existing is not None:
            return None
    job = Job(
        kind=kind,
        payload=payload or {},
        dedup_key=dedup_key,
        run_at=run_at or utcnow(),
        max_attempts=max_attempts,
    )
    session.add(job)
    session.flush()
    return job

"""The outbox: side effects are enqueued as jobs in the writer's transaction and run after commit.

Handlers register by kind (``@handler("notify.slack")``) from their practice's ``jobs.py``; periodic
work registers with ``@periodic("slo.evaluate", every=60)``. The worker (``guardrail.worker``)
claims, runs, retries and buries jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    CursorResult,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
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


# --- queries the worker and the jobs admin commands run (every one flushes, none commits) ---

ERROR_LIMIT = 2000


@dataclass(frozen=True)
class Claim:
    """A job this worker holds: enough to run it without touching the row again."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def _due(now: datetime) -> ColumnElement[bool]:
    # Queued work that is due, and running work whose worker's lease ran out (it crashed or hung).
    return or_(
        and_(Job.status == JobStatus.queued, Job.run_at <= now),
        and_(Job.status == JobStatus.running, Job.locked_until < now),
    )


_JOBS = cast(Table, Job.__table__)


def _update_held(
    session: Session, job_ids: list[str], worker_id: str, values: dict[str, Any]
) -> int:
    """Update jobs only while ``worker_id`` still holds them; return how many it held.

    Core rather than an ORM-enabled UPDATE: this runs twice for every job, and Core costs less.
    """
    held = _JOBS.c.id == job_ids[0] if len(job_ids) == 1 else _JOBS.c.id.in_(job_ids)
    statement = (
        update(_JOBS)
        .where(held, _JOBS.c.locked_by == worker_id, _JOBS.c.status == JobStatus.running)
        .values(values)
    )
    result = session.execute(statement)
    return cast(CursorResult[Any], result).rowcount


def claim_due(
    session: Session,
    worker_id: str,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    max_attempts: int,
) -> list[Claim]:
    """Lock up to ``limit`` due jobs (skipping rows other workers hold) and lease them to us.

    A reclaimed job that already used its attempts is buried instead: its worker died on it
    every time, so running it again would only kill the next one.
    """
    rows = session.scalars(
        select(Job)
        .where(_due(now))
        .order_by(Job.run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claims = []
    for job in rows:
        if job.status == JobStatus.running and job.attempts >= min(job.max_attempts, max_attempts):
            _bury_abandoned(job, now)
            continue
        job.status, job.locked_by, job.locked_until = JobStatus.running, worker_id, now + lease
        job.attempts += 1
        claims.append(Claim(job.id, job.kind, dict(job.payload), job.attempts, job.max_attempts))
    session.flush()
    return claims


def _bury_abandoned(job: Job, now: datetime) -> None:
    job.status, job.finished_at, job.locked_until = JobStatus.dead, now, None
    job.last_error = (
        f"LeaseExpired: worker {job.locked_by} stopped while running attempt {job.attempts} "
        f"of {job.max_attempts} (crash, kill or a handler longer than the lease)"
    )


def confirm_claim(
    session: Session, job_id: str, worker_id: str, *, now: datetime, lease: timedelta
) -> bool:
    """Re-check that we still hold the job and renew the lease; on PostgreSQL this locks the row
    until the caller's transaction ends, so no other worker can reclaim it meanwhile."""
    return _update_held(session, [job_id], worker_id, {"locked_until": now + lease}) == 1


def complete(session: Session, job_id: str, worker_id: str, *, now: datetime) -> bool:
    """Mark a held job done (in the transaction that holds its effects)."""
    values = {"status": JobStatus.done, "finished_at": now, "locked_until": None}
    return _update_held(session, [job_id], worker_id, values) == 1


def record_failure(
    session: Session,
    job_id: str,
    worker_id: str,
    *,
    error: str,
    now: datetime,
    retry_at: datetime | None,
) -> bool:
    """Record a failed attempt: queue it for ``retry_at``, or bury it when that is None."""
    values: dict[str, Any] = {"last_error": error[:ERROR_LIMIT], "locked_until": None}
    if retry_at is None:
        values.update(status=JobStatus.dead, finished_at=now)
    else:
        values.update(status=JobStatus.queued, run_at=retry_at)
    return _update_held(session, [job_id], worker_id, values) == 1


def release(session: Session, job_ids: list[str], worker_id: str) -> int:
    """Give back jobs we claimed but did not start (graceful stop); their attempt is not counted."""
    if not job_ids:
        return 0
    values = {
        "status": JobStatus.queued,
        "locked_by": None,
        "locked_until": None,
        "attempts": _JOBS.c.attempts - 1,
    }
    return _update_held(session, job_ids, worker_id, values)


def has_due(session: Session, *, now: datetime) -> bool:
    """Whether any job is due now, including ones another worker is claiming at this moment."""
    return session.scalar(select(Job.id).where(_due(now)).limit(1)) is not None


def ensure_schedules(session: Session, periodics: list[Periodic], *, now: datetime) -> None:
    """Create the schedule row of every registered periodic job that has none (due at once)."""
    existing = {s.name: s for s in session.scalars(select(Schedule)).all()}
    for item in periodics:
        every = max(1, int(item.every.total_seconds()))
        row = existing.get(item.name)
        if row is not None:
            row.every_seconds = every
            continue
        try:
            # Another worker may insert the same row at the same moment; the loser keeps going.
            with session.begin_nested():
                session.add(Schedule(name=item.name, every_seconds=every, next_run_at=now))
        except IntegrityError:
            pass
    session.flush()


def claim_due_schedules(session: Session, names: list[str], *, now: datetime) -> list[Schedule]:
    """Lock the due schedules among ``names`` (skipping rows another worker holds)."""
    if not names:
        return []
    return list(
        session.scalars(
            select(Schedule)
            .where(Schedule.name.in_(names), Schedule.next_run_at <= now)
            .order_by(Schedule.name)
            .with_for_update(skip_locked=True)
        ).all()
    )


def period_start(now: datetime, every_seconds: int) -> datetime:
    """The start of the period containing ``now``, periods counted from the Unix epoch."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    elapsed = int((now - epoch).total_seconds())
    return epoch + timedelta(seconds=elapsed - elapsed % every_seconds)


def enqueue_once(session: Session, kind: str, payload: dict[str, Any], dedup_key: str) -> bool:
    """Enqueue unless a job with ``dedup_key`` exists, also when another writer races us."""
    try:
        with session.begin_nested():
            return enqueue(session, kind, payload, dedup_key=dedup_key) is not None
    except IntegrityError:
        return False


def get_job(session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def list_jobs(session: Session, *, status: str | None, kind: str | None, limit: int) -> list[Job]:
    """Jobs, newest first, optionally of one status and kind."""
    query = select(Job)
    if status:
        query = query.where(Job.status == status)
    if kind:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: count for status, count in rows}

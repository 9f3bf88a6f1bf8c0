"""What operators do with jobs: list them, retry a dead one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit.service import record
from guardrail.errors import Conflict, NotFound
from guardrail.kit.context import Actor
from guardrail.kit.time import isoformat, utcnow
from guardrail.store import outbox
from guardrail.store.outbox import Job, JobStatus

STATUSES = (JobStatus.queued, JobStatus.running, JobStatus.done, JobStatus.dead)


def list_jobs(
    session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[Job]:
    """Jobs, newest first, optionally of one status and kind."""
    return outbox.list_jobs(session, status=status, kind=kind, limit=limit)


def retry(session: Session, actor: Actor, job_id: str) -> Job:
    """Queue a dead job again with a fresh set of attempts; its last error stays visible."""
    job = outbox.get_job(session, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}; list them with `guardrail jobs list`")
    if job.status != JobStatus.dead:
        raise Conflict(f"job {job_id} is {job.status}; only dead jobs can be retried")
    before = {"status": job.status, "attempts": job.attempts}
    job.status, job.attempts, job.run_at = JobStatus.queued, 0, utcnow()
    job.locked_by, job.locked_until, job.finished_at = None, None, None
    session.flush()
    record(
        session,
        actor,
        "job.retry",
        "job",
        job.id,
        before=before,
        after={"status": job.status, "attempts": 0},
    )
    return job


def to_dict(job: Job) -> dict[str, Any]:
    """A job as JSON-ready values."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": isoformat(job.run_at),
        "created_at": isoformat(job.created_at),
        "finished_at": isoformat(job.finished_at),
        "locked_by": job.locked_by,
        "locked_until": isoformat(job.locked_until),
        "dedup_key": job.dedup_key,
        "payload": job.payload,
        "last_error": job.last_error,
    }

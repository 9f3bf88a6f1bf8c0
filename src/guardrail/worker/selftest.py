"""``selftest.tick``: a diagnostic job whose every run leaves one audit event.

Counting the ``selftest.tick`` events per job id shows whether the worker ran each job exactly once
(``guardrail jobs selftest N``, then ``guardrail worker --until-empty``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit.service import record
from guardrail.errors import InvalidInput
from guardrail.kit.context import Actor
from guardrail.kit.ids import new_id
from guardrail.store.outbox import Job, handler

KIND = "selftest.tick"
MAX_COUNT = 100_000


@handler(KIND)
def tick(session: Session, payload: dict[str, Any]) -> None:
    """Append one audit event naming the job, in the job's own transaction."""
    job_id = payload.get("id")
    if not isinstance(job_id, str) or not job_id:
        raise InvalidInput(f"a {KIND} job needs its id in the payload, got {payload!r}")
    record(session, Actor.system("worker"), KIND, "job", job_id)


def enqueue_ticks(session: Session, actor: Actor, count: int) -> list[str]:
    """Enqueue ``count`` selftest jobs, each carrying its own id; return the ids."""
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(f"the number of selftest jobs must be between 1 and {MAX_COUNT}")
    ids = [new_id(Job.id_prefix) for _ in range(count)]
    # One multi-row insert: enqueue() flushes per job, which is slow for a demo of thousands.
    session.add_all([Job(id=job_id, kind=KIND, payload={"id": job_id}) for job_id in ids])
    session.flush()
    record(session, actor, "selftest.enqueue", "job", ids[0], after={"count": count})
    return ids

"""Several workers on one database run every job exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from guardrail.audit import service as audit
from guardrail.kit.context import Actor
from guardrail.store.outbox import Job, JobStatus
from guardrail.worker import selftest
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Outcome, Worker, run_workers


def test_two_workers_in_threads_run_each_job_exactly_once(db, settings, tick_counts):
    with db.unit_of_work() as session:
        ids = selftest.enqueue_ticks(session, Actor.system("tests"), 300)
    load_job_modules()
    conf = settings.model_copy(update={"worker_batch_size": 7})
    workers = [Worker(db, conf, worker_id=f"test:{n}") for n in ("a", "b")]
    threads = [threading.Thread(target=w.run_until_empty) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert tick_counts() == dict.fromkeys(ids, 1)
    assert sum(w.counts[Outcome.done] for w in workers) == 300
    assert all(w.counts[Outcome.failed] == 0 for w in workers)
    with db.reader() as session:
        statuses = dict(
            session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        )
        assert statuses == {JobStatus.done: 300}
        by_worker = dict(
            session.execute(select(Job.locked_by, func.count()).group_by(Job.locked_by)).all()
        )
        assert by_worker == {
            w.id: w.counts[Outcome.done] for w in workers if w.counts[Outcome.done]
        }
        assert audit.verify(session).ok  # concurrent appends kept the hash chain whole


def test_run_workers_with_concurrency_drains_the_queue(db, settings, tick_counts):
    with db.unit_of_work() as session:
        ids = selftest.enqueue_ticks(session, Actor.system("tests"), 40)
    assert run_workers(db, settings, count=3, until_empty=True) == 40
    assert tick_counts() == dict.fromkeys(ids, 1)

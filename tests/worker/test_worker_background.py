"""The in-process worker that `guardrail serve` starts."""

from __future__ import annotations

import threading
import time

from guardrail.kit.context import Actor
from guardrail.store.outbox import JobStatus
from guardrail.worker import selftest
from guardrail.worker.runner import start_background


def test_background_worker_runs_jobs_and_stops(db, settings, job, tick_counts):
    conf = settings.model_copy(update={"worker_poll_seconds": 0.05})
    stop = start_background(db, conf)
    try:
        with db.unit_of_work() as session:
            [job_id] = selftest.enqueue_ticks(session, Actor.system("tests"), 1)
        deadline = time.monotonic() + 30  # generous: waits for the condition, asserts no timing
        while job(job_id).status != JobStatus.done and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop()
    assert job(job_id).status == JobStatus.done
    assert tick_counts() == {job_id: 1}
    assert not any(t.name == "guardrail-worker" and t.is_alive() for t in threading.enumerate())
    stop()  # stopping twice is harmless

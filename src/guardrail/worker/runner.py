"""The worker loop: claim due jobs with row locks, run each in its own transaction, retry, bury.

Several workers (threads, processes, hosts) may share one database. A claim is a short transaction
that locks due rows with ``FOR UPDATE SKIP LOCKED`` (on SQLite every write transaction is
``BEGIN IMMEDIATE``, so claims are serialised) and leases them to one worker. Each job then runs in
its own transaction that first re-checks the lease and ends by marking the job done, so a job's
database effects and its completion commit together or not at all: exactly once. Effects outside the
database (a webhook, a page) are at least once: a handler that calls out and then fails to commit
calls out again on retry, so such handlers send an idempotency key derived from the job.

Leases and due times use the workers' clocks, which are assumed to agree to well within a lease
(five minutes by default). A job gets ``min(job.max_attempts, GUARDRAIL_JOB_MAX_ATTEMPTS)``
attempts.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from types import FrameType

from sqlalchemy.orm import Session

from guardrail.config import Settings
from guardrail.kit.time import isoformat, utcnow
from guardrail.store import outbox
from guardrail.store.outbox import HANDLERS, PERIODICS, Claim, Handler, Schedule
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules

log = logging.getLogger("guardrail.worker")

BACKOFF_CAP_SECONDS = 3600.0
MAX_ERROR_WAIT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0

Clock = Callable[[], datetime]


class Outcome(StrEnum):
    done = "done"
    failed = "failed"
    lost = "lost"


class UnknownJobKind(LookupError):
    """No handler is registered for a job's kind."""


class _ClaimLost(Exception):
    """Our lease on a job ran out and another worker took it over."""


def new_worker_id() -> str:
    """``host:pid:random``: unique per worker, and says where to look for its logs."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """About 2^attempts seconds (capped at an hour), jittered so a burst of failures spreads out."""
    ceiling = min(BACKOFF_CAP_SECONDS, 2.0 ** min(attempts, 32))
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


def describe(exc: BaseException) -> str:
    """The error as stored on the job: its type and message on one line, truncated."""
    message = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {message}"[: outbox.ERROR_LIMIT]


def find_handler(kind: str) -> Handler:
    """The handler registered for ``kind``."""
    fn = HANDLERS.get(kind)
    if fn is None:
        raise UnknownJobKind(
            f"no handler is registered for job kind {kind!r}; add the module that defines it to "
            "guardrail.worker.registry.JOB_MODULES, or retire the job"
        )
    return fn


class Worker:
    """One worker loop. Thread-safe to run several, each with its own instance."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        worker_id: str | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.id = worker_id or new_worker_id()
        self.batch_size = settings.worker_batch_size
        self.poll_seconds = settings.worker_poll_seconds
        self.lease = timedelta(seconds=settings.job_lease_seconds)
        self.max_attempts = settings.job_max_attempts
        self.stop_event = threading.Event()
        self.counts: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
        self._clock = clock
        self._rng = rng or random.Random()
        self._known_schedules: frozenset[str] = frozenset()
        self._next_schedule_check: datetime | None = None

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def stop(self) -> None:
        """Ask the loop to stop after the job it is running."""
        self.stop_event.set()

    # --- the loop ---

    def run_forever(self, stop_event: threading.Event | None = None) -> None:
        """Run until ``stop_event`` (or ``stop()``) is set; survive database outages."""
        if stop_event is not None:
            self.stop_event = stop_event
        log.info("worker %s started", self.id)
        errors = 0
        while not self.stopping:
            try:
                ran, errors = self.run_once(), 0
            except Exception:
                errors += 1
                log.exception("worker %s: a database call failed (%d in a row)", self.id, errors)
                self.stop_event.wait(self._error_wait(errors))
                continue
            if ran == 0:
                self.stop_event.wait(self.poll_seconds)
        log.info("worker %s stopped: %s", self.id, self._summary())

    def run_until_empty(self) -> int:
        """Run until no job is due (or a stop is asked for); return how many jobs ran."""
        log.info("worker %s started (until no job is due)", self.id)
        total = 0
        while not self.stopping:
            ran = self.run_once()
            total += ran
            if ran == 0:
                if not self._work_left():
                    break
                # Due rows exist but another worker holds them for a moment; look again shortly.
                self.stop_event.wait(0.05)
        log.info("worker %s: no due work left; %s", self.id, self._summary())
        return total

    def run_once(self) -> int:
        """Enqueue due periodic jobs, then claim one batch and run it; return how many ran."""
        self.tick_schedules()
        return self.run_claims(self.claim())

    def _error_wait(self, errors: int) -> float:
        return min(MAX_ERROR_WAIT_SECONDS, self.poll_seconds * 2 ** min(errors, 10))

    def _work_left(self) -> bool:
        with self.db.reader() as session:
            return outbox.has_due(session, now=self._clock())

    def _summary(self) -> str:
        return ", ".join(f"{outcome} {count}" for outcome, count in self.counts.items())

    # --- jobs ---

    def claim(self) -> list[Claim]:
        """Lease a batch of due jobs to this worker (one short transaction)."""
        with self.db.unit_of_work() as session:
            return outbox.claim_due(
                session,
                self.id,
                now=self._clock(),
                lease=self.lease,
                limit=self.batch_size,
                max_attempts=self.max_attempts,
            )

    def run_claims(self, claims: list[Claim]) -> int:
        """Run claimed jobs in order; on stop, hand the ones not started back to the queue."""
        for index, claim in enumerate(claims):
            if self.stopping:
                self.release(claims[index:])
                return index
            self.run_job(claim)
        return len(claims)

    def release(self, claims: list[Claim]) -> None:
        with self.db.unit_of_work() as session:
            released = outbox.release(session, [c.id for c in claims], self.id)
        log.info("worker %s: stopping, gave back %d claimed jobs", self.id, released)

    def run_job(self, claim: Claim) -> Outcome:
        """Run one job: its effects and its completion commit in one transaction, or neither."""
        try:
            with self.db.unit_of_work() as session:
                self._execute(session, claim)
            outcome = Outcome.done
        except _ClaimLost:
            log.warning(
                "worker %s: lost the lease on job %s (%s); another worker has it",
                self.id,
                claim.id,
                claim.kind,
            )
            outcome = Outcome.lost
        except Exception as exc:
            self._record_failure(claim, exc)
            outcome = Outcome.failed
        self.counts[outcome] += 1
        return outcome

    def _execute(self, session: Session, claim: Claim) -> None:
        now = self._clock()
        # Re-check the claim before acting: our lease may have run out while earlier jobs ran.
        if not outbox.confirm_claim(session, claim.id, self.id, now=now, lease=self.lease):
            raise _ClaimLost(claim.id)
        find_handler(claim.kind)(session, dict(claim.payload))
        if not outbox.complete(session, claim.id, self.id, now=self._clock()):
            raise _ClaimLost(claim.id)

    def _record_failure(self, claim: Claim, exc: Exception) -> None:
        now = self._clock()
        limit = min(claim.max_attempts, self.max_attempts)
        retry_at = None if claim.attempts >= limit else now + backoff(claim.attempts, self._rng)
        with self.db.unit_of_work() as session:
            recorded = outbox.record_failure(
                session, claim.id, self.id, error=describe(exc), now=now, retry_at=retry_at
            )
        if not recorded:
            log.warning("worker %s: job %s failed after its lease was lost", self.id, claim.id)
        elif retry_at is None:
            log.error(
                "job %s (%s) is dead after %d attempts: %s",
                claim.id,
                claim.kind,
                claim.attempts,
                describe(exc),
                exc_info=exc,
            )
        else:
            log.warning(
                "job %s (%s) failed attempt %d of %d, retrying at %s: %s",
                claim.id,
                claim.kind,
                claim.attempts,
                limit,
                isoformat(retry_at),
                describe(exc),
                exc_info=exc,
            )

    # --- periodic jobs ---

    def tick_schedules(self) -> int:
        """Enqueue one job for each registered periodic job whose period has begun."""
        now = self._clock()
        periodics = list(PERIODICS.values())
        if not periodics or (self._next_schedule_check and now < self._next_schedule_check):
            return 0
        names = frozenset(p.name for p in periodics)
        with self.db.unit_of_work() as session:
            if names != self._known_schedules:
                outbox.ensure_schedules(session, periodics, now=now)
            due = outbox.claim_due_schedules(session, sorted(names), now=now)
            enqueued = sum(self._enqueue_period(session, s, now) for s in due)
        self._known_schedules = names
        self._next_schedule_check = now + timedelta(seconds=min(self.poll_seconds, 1.0))
        return enqueued

    def _enqueue_period(self, session: Session, schedule: Schedule, now: datetime) -> bool:
        start = outbox.period_start(now, schedule.every_seconds)
        stamp = isoformat(start)
        # The dedup key makes a period's job unique even if two workers get here at once.
        added = outbox.enqueue_once(
            session, schedule.name, {"period_start": stamp}, f"{schedule.name}:{stamp}"
        )
        schedule.last_run_at = now
        schedule.next_run_at = start + timedelta(seconds=schedule.every_seconds)
        if added:
            log.info("worker %s: enqueued periodic job %s for %s", self.id, schedule.name, stamp)
        return added


# --- running workers ---


def run_workers(
    db: Database,
    settings: Settings,
    *,
    count: int = 1,
    until_empty: bool = False,
    stop_event: threading.Event | None = None,
) -> int:
    """Run ``count`` worker loops (threads beyond the first); return how many jobs they ran."""
    load_job_modules()
    stop_event = stop_event or threading.Event()
    workers = [Worker(db, settings) for _ in range(count)]
    for worker in workers:
        worker.stop_event = stop_event

    def run(worker: Worker) -> None:
        if until_empty:
            worker.run_until_empty()
        else:
            worker.run_forever(stop_event)

    threads = [
        threading.Thread(target=run, args=(w,), name=f"guardrail-worker-{i}", daemon=True)
        for i, w in enumerate(workers[1:], start=1)
    ]
    for thread in threads:
        thread.start()
    try:
        run(workers[0])
    finally:
        for thread in threads:
            thread.join()
    return sum(w.counts[Outcome.done] + w.counts[Outcome.failed] for w in workers)


def start_background(db: Database, settings: Settings) -> Callable[[], None]:
    """Start a worker in a daemon thread (for ``guardrail serve``); return the function that
    stops it, which waits for the job in progress."""
    load_job_modules()
    stop_event = threading.Event()
    worker = Worker(db, settings)
    thread = threading.Thread(
        target=worker.run_forever, args=(stop_event,), name="guardrail-worker", daemon=True
    )
    thread.start()

    def stop() -> None:
        stop_event.set()
        thread.join(STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            log.warning(
                "worker %s still busy after %ss; its lease will expire and another "
                "worker will retry the job",
                worker.id,
                STOP_TIMEOUT_SECONDS,
            )

    return stop


def install_signal_handlers(stop_event: threading.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT ask for a graceful stop; a second one stops at once. Returns a restorer."""
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.getsignal(sig) for sig in signals}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop_event.is_set():
            raise KeyboardInterrupt
        log.info(
            "received %s: finishing the current job, then stopping (again to force)",
            signal.Signals(signum).name,
        )
        stop_event.set()

    for sig in signals:
        signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore

"""Group commit: deliveries that arrive together are stored in one transaction, then answered.

A request hands its verified delivery to the process's writer and waits for it. The writer takes
whatever is waiting (up to ``MAX_BATCH``; while it commits one batch the next one gathers, so under
load batches grow by themselves and, when idle, a delivery is written at once), stores the lot with
one insert per table (``store.store_many``) in one unit of work, commits, and only then releases
the requests: a 2xx still means "committed". When a batch fails, each of its deliveries is retried
in a transaction of its own, so one bad delivery fails alone.

The writer is per app (a thread, started on demand, that ends after a short idle spell). Replicas
each batch their own requests; the database's unique key keeps deduplicating across them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

from guardrail.integrations.inbound.core.store import Pending, Stored, store_many
from guardrail.store.session import Database

log = logging.getLogger(__name__)

MAX_BATCH = 200
IDLE_SECONDS = 2.0


@dataclass
class _Work:
    item: Pending
    future: asyncio.Future[Stored]


Outcome = tuple[asyncio.Future[Stored], Stored | None, BaseException | None]


def _settle(outcomes: list[Outcome]) -> None:
    # Runs on the requests' event loop; a request that went away has a cancelled future (its
    # delivery is stored anyway: the sender's retry will be recognised as a replay).
    for future, result, exc in outcomes:
        if future.done():
            continue
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)  # type: ignore[arg-type]


class GroupCommit:
    """The writer of one app for one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    async def store(self, item: Pending) -> Stored:
        """Store ``item`` (or recognise it as a replay); returns once its commit is done."""
        work = _Work(item, asyncio.get_running_loop().create_future())
        with self._lock:
            self._queue.put(work)
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="inbound-writer", daemon=True).start()
        return await work.future

    def _run(self) -> None:
        try:
            while self._next_batch():
                pass
        except BaseException:
            with self._lock:  # after an unexpected error, the next submit starts a new writer
                self._running = False
            raise

    def _next_batch(self) -> bool:
        try:
            first = self._queue.get(timeout=IDLE_SECONDS)
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._running = False
                    return False
            return True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        self._write(batch)
        return True

    def _write(self, batch: list[_Work]) -> None:
        outcomes = self._commit(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for work, outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(work.future.get_loop(), []).append(outcome)
        for loop, settled in by_loop.items():
            # One wake-up per loop and batch, not one per request; a closed loop has no waiters.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, settled)

    def _commit(self, batch: list[_Work]) -> list[Outcome]:
        try:
            with self.db.unit_of_work() as session:
                results = store_many(session, [w.item for w in batch])
        except Exception as exc:
            if len(batch) == 1:
                return [(batch[0].future, None, exc)]
            log.warning("a batch of %d deliveries failed; storing them one by one", len(batch))
            return [outcome for work in batch for outcome in self._commit([work])]
        return [(w.future, r, None) for w, r in zip(batch, results, strict=True)]

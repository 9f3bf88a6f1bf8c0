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
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from guardrail.integrations.inbound.core.store import Pending, Stored, store_many
from guardrail.store.session import Database

log = logging.getLogger(__name__)

MAX_BATCH = 200
IDLE_SECONDS = 2.0


@dataclass
class _Work:
    item: Pending
    future: Future[Stored] = field(default_factory=Future)
    waited: bool = True  # False once its request went away (the delivery is stored anyway)

    def take(self) -> _Work:
        self.waited = self.future.set_running_or_notify_cancel()
        return self

    def done(self, result: Stored | None, exc: BaseException | None = None) -> None:
        if not self.waited:
            return
        if exc is not None:
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)  # type: ignore[arg-type]


class GroupCommit:
    """The writer of one process for one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    async def store(self, item: Pending) -> Stored:
        """Store ``item`` (or recognise it as a replay); returns once its commit is done."""
        return await asyncio.wrap_future(self.submit(item))

    def submit(self, item: Pending) -> Future[Stored]:
        """Queue ``item``; the future resolves after the commit that holds it."""
        work = _Work(item)
        with self._lock:
            self._queue.put(work)
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="inbound-writer", daemon=True).start()
        return work.future

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
        batch = [first.take()]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait().take())
            except queue.Empty:
                break
        self._write(batch)
        return True

    def _write(self, batch: list[_Work]) -> None:
        try:
            with self.db.unit_of_work() as session:
                results = store_many(session, [w.item for w in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].done(None, exc)
                return
            log.warning("a batch of %d deliveries failed; storing them one by one", len(batch))
            for work in batch:
                self._write([work])
            return
        for work, result in zip(batch, results, strict=True):
            work.done(result)

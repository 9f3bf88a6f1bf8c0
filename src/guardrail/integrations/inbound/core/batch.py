"""Group commit: deliveries that arrive together are stored in one transaction, then answered.

A request hands its verified delivery to its event loop's writer and waits. The writer takes
whatever is waiting (up to ``MAX_BATCH``; while it commits one batch the next one gathers, so under
load batches grow by themselves and, when idle, a delivery is written at once), stores the lot
(``store``: on PostgreSQL one statement, on SQLite one insert per table), and only then releases
the requests: a 2xx still means "committed". When a batch fails, each of its deliveries is retried
in a transaction of its own, so one bad delivery fails alone.

The writer runs on the event loop, not in a thread of its own. A writer thread and the event loop
handed Python's interpreter lock back and forth at every database call (each waiting up to the
interpreter's switch interval while the other ran), which cost more than the statements:

- PostgreSQL: an asynchronous psycopg connection in autocommit (``HeldAsyncConnection``); the loop
  serves other requests while the server works.
- SQLite: in-process calls that take a fraction of a millisecond, made on the loop when no other
  writer holds the database's write lock; when one does (the worker, another server process), the
  batch waits for it in a thread, so the loop never sleeps on a lock.

Each event loop has its own writer; connections are given back after ``IDLE_SECONDS`` without
work. Replicas each batch their own requests; the database's unique key keeps deduplicating
across them.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

import psycopg

from guardrail.integrations.inbound.core.store import (
    Pending,
    Stored,
    store_on,
    store_postgresql_async,
)
from guardrail.store.session import Database, HeldAsyncConnection, WriterBusy

log = logging.getLogger(__name__)

MAX_BATCH = 200
IDLE_SECONDS = 2.0


@dataclass
class _Work:
    item: Pending
    future: asyncio.Future[Stored]


Outcome = tuple[asyncio.Future[Stored], Stored | None, BaseException | None]


class GroupCommit:
    """The writer of one app for one database (one per event loop that uses it)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWriter] = (
            weakref.WeakKeyDictionary()
        )

    async def store(self, item: Pending) -> Stored:
        """Store ``item`` (or recognise it as a replay); returns once its commit is done."""
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None:
            writer = self._writers[loop] = _LoopWriter(self.db)
        return await writer.store(item)

    async def aclose(self) -> None:
        """Give back this event loop's connections (when the app shuts down)."""
        writer = self._writers.pop(asyncio.get_running_loop(), None)
        if writer is not None:
            await writer.aclose()


class _LoopWriter:
    # Keeps no reference to its loop (it is the value of a weak mapping keyed by the loop); its
    # methods run on that loop.
    def __init__(self, db: Database) -> None:
        self.waiting: list[_Work] = []
        self.task: asyncio.Task[None] | None = None
        self.idle: asyncio.TimerHandle | None = None
        self.closing: asyncio.Task[None] | None = None
        postgres = db.engine.dialect.name == "postgresql"
        self.pg = HeldAsyncConnection(db.engine) if postgres else None
        self.held = None if postgres else db.held_connection()

    async def store(self, item: Pending) -> Stored:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        self.waiting.append(_Work(item, future))
        if self.task is None:
            if self.idle is not None:
                self.idle.cancel()
            self.task = loop.create_task(self._drain())
        # A request that goes away cancels its future; its delivery is stored anyway (the
        # sender's retry is then recognised as a replay).
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                for future, result, exc in await self._commit(batch):
                    if future.done():
                        continue
                    if exc is not None:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)  # type: ignore[arg-type]
                # Let the requests read meanwhile reach ``waiting``: they make the next batch.
                await asyncio.sleep(0)
        finally:
            self.task = None
            self.idle = asyncio.get_running_loop().call_later(IDLE_SECONDS, self._close_idle)

    async def _commit(self, batch: list[_Work]) -> list[Outcome]:
        try:
            results = await self._store([work.item for work in batch])
        except Exception as exc:
            if len(batch) == 1:
                return [(batch[0].future, None, exc)]
            log.warning("a batch of %d deliveries failed; storing them one by one", len(batch))
            return [outcome for work in batch for outcome in await self._commit([work])]
        return [(work.future, result, None) for work, result in zip(batch, results, strict=True)]

    async def _store(self, items: list[Pending]) -> list[Stored]:
        if self.pg is not None:
            return await self._store_postgresql(self.pg, items)
        assert self.held is not None
        try:
            with self.held.transaction(wait=False) as conn:
                return store_on(conn, items)
        except WriterBusy:
            return await asyncio.to_thread(self._store_waiting, items)

    async def _store_postgresql(
        self, pg: HeldAsyncConnection, items: list[Pending]
    ) -> list[Stored]:
        reused = pg.is_open
        try:
            return await store_postgresql_async(await pg.get(), items)
        except psycopg.OperationalError:
            await pg.close()
            if not reused:
                raise
            # A kept connection the server dropped meanwhile (a restart, a failover, an idle
            # timeout): once more on a new one. Had the lost statement committed, its rows carry
            # these deliveries' own ids (chosen with each ``Pending``) and are recognised as theirs.
            log.info("the intake's database connection was lost; reconnecting", exc_info=True)
            return await store_postgresql_async(await pg.get(), items)
        except BaseException:
            await pg.close()  # its state is unknown; the next batch reconnects
            raise

    def _store_waiting(self, items: list[Pending]) -> list[Stored]:
        assert self.held is not None
        with self.held.transaction() as conn:
            return store_on(conn, items)

    def _close_idle(self) -> None:
        self.idle = None
        if self.task is None:  # kept: the loop holds only a weak reference to a task
            self.closing = asyncio.get_running_loop().create_task(self.aclose())

    async def aclose(self) -> None:
        if self.task is not None:
            await self.task  # the batch being written is answered first
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if self.held is not None:
            self.held.close()
        if self.pg is not None:
            await self.pg.close()

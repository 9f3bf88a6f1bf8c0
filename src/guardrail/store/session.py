"""Sessions and the unit of work: services flush, the shell that opened the unit commits."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker


class _SqliteWriters:
    """One writer at a time: a thread lock, then ``flock`` on a file beside the database (a
    blocking kernel lock: waiters sleep until it is released instead of polling)."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        memory = not database or database == ":memory:" or database.startswith("file::memory:")
        self._path = None if memory else f"{database}-writer.lock"
        self._fd: int | None = None
        self._pid = 0  # a forked child opens its own file: flock locks belong to the open file

    def __enter__(self) -> object:
        self.acquire(wait=True)
        return self

    def acquire(self, *, wait: bool) -> bool:
        """Take the lock; without ``wait``, only if no other writer holds it (False if one does)."""
        if not self._threads.acquire(blocking=wait):
            return False
        try:
            if self._path is not None:
                if self._fd is None or self._pid != os.getpid():
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                    self._pid = os.getpid()
                fcntl.flock(self._fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._threads.release()
            return False
        except BaseException:
            self._threads.release()
            raise
        return True

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None


class Database:
    """An engine and the session factories bound to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Writers queue instead of sleep-polling SQLite's busy
        # handler, which starves some writers for seconds under load: threads of this process on
        # a lock, processes sharing the file (`serve --processes N`, a worker) on a kernel lock.
        self._write_lock: AbstractContextManager[object] | None = (
            _SqliteWriters(engine.url.database) if engine.dialect.name == "sqlite" else None
        )
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
        readonly_engine = engine.execution_options(guardrail_readonly=True)
        self._readonly = sessionmaker(bind=readonly_engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        with self._writing():
            session = self._sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def _writing(self) -> AbstractContextManager[object]:
        return self._write_lock if self._write_lock is not None else nullcontext()

    @contextmanager
    def _writing_now(self) -> Iterator[None]:
        """The write lock if no other writer holds it; ``WriterBusy`` at once if one does."""
        lock = self._write_lock
        if isinstance(lock, _SqliteWriters):
            if not lock.acquire(wait=False):
                raise WriterBusy
            try:
                yield
            finally:
                lock.__exit__()
        else:
            yield

    def held_connection(self) -> HeldConnection:
        """A connection for one long-lived writer thread (see ``HeldConnection``)."""
        return HeldConnection(self)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reads only; it never commits and takes no write lock on SQLite."""
        session = self._readonly()
        try:
            yield session
        finally:
            # close() ends the transaction when the connection returns to the pool; an explicit
            # rollback() first would also expire every loaded object, which costs time for nothing.
            session.close()

    def session(self) -> Session:
        """A bare writable session; the caller commits and closes it."""
        return self._sessions()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if isinstance(self._write_lock, _SqliteWriters):
            self._write_lock.close()


class WriterBusy(Exception):
    """Another writer holds SQLite's write lock (see ``HeldConnection.transaction``)."""


SQLITE_CHECKPOINT_PAGES = 1000  # SQLite's default
SQLITE_HOT_CHECKPOINT_PAGES = 10_000  # about 40 MB of WAL


class HeldConnection:
    """A Core connection that one writer thread keeps between its short transactions.

    For a hot writer (the inbound group commit) an ORM session per transaction, a pool checkout
    and PostgreSQL's pre-ping cost more than the statements. The connection is opened on first
    use, kept while the writer is busy, and dropped after any error (the next transaction opens
    a fresh, pinged one) or when the writer goes idle.

    On SQLite (the group commit's only user of it; on PostgreSQL it uses
    ``HeldAsyncConnection``) ``transaction()`` is BEGIN IMMEDIATE under the database's writer
    lock, and the connection leaves WAL checkpoints (which fsync, tens of milliseconds here) to
    the database's other connections (the worker, which processes what this writer stores,
    commits right after it) unless the WAL grows past ``SQLITE_HOT_CHECKPOINT_PAGES``.
    Use it from one thread at a time.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None

    @property
    def _sqlite(self) -> bool:
        return self.db.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, *, wait: bool = True) -> Iterator[Connection]:
        """The connection, in a transaction that commits when the block ends cleanly.

        Without ``wait``, raises ``WriterBusy`` at once when another writer holds SQLite's write
        lock (a caller on an event loop must not sleep on it).
        """
        with self.db._writing() if wait else self.db._writing_now():
            conn = self._conn if self._conn is not None else self._open()
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                self.close(broken=True)
                raise

    def _open(self) -> Connection:
        conn = self.db.engine.connect()
        if self._sqlite:
            _pragma(conn, f"wal_autocheckpoint={SQLITE_HOT_CHECKPOINT_PAGES}")
        self._conn = conn
        return conn

    def close(self, *, broken: bool = False) -> None:
        """Give the connection back (or, after an error, throw it away)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if broken:
            conn.invalidate()
        elif self._sqlite:  # back to SQLite's default for the pool's other users
            _pragma(conn, f"wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
        conn.close()


def _pragma(conn: Connection, setting: str) -> None:
    # On the driver's connection: through SQLAlchemy it would begin a transaction.
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA {setting}")


class HeldAsyncConnection:
    """PostgreSQL: an asynchronous psycopg connection, in autocommit, for one event loop's writer.

    The inbound group commit waits for the server on the event loop with it instead of in a
    thread: a writer thread and the event loop hand Python's interpreter lock back and forth at
    every socket call, which cost more than the statements. Opened on first use from the
    engine's own connection arguments; dropped after an error (the next use reconnects).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: psycopg.AsyncConnection[Any] | None = None

    @property
    def is_open(self) -> bool:
        """Whether a connection is kept (it may still have been dropped by the server)."""
        return self._conn is not None and not self._conn.closed

    async def get(self) -> psycopg.AsyncConnection[Any]:
        """The connection, opened if needed."""
        if self._conn is None or self._conn.closed:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            kwargs.pop("context", None)  # SQLAlchemy's type adapters; plain SQL needs none
            self._conn = await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
        return self._conn

    async def close(self) -> None:
        """Close the connection (the next ``get`` opens another)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

"""Sessions and the unit of work: services flush, the shell that opened the unit commits."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine
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
        self._threads.acquire()
        try:
            if self._path is not None:
                if self._fd is None or self._pid != os.getpid():
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                    self._pid = os.getpid()
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

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

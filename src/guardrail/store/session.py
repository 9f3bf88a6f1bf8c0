"""Sessions and the unit of work: services flush, the shell that opened the unit commits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """An engine and the session factories bound to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Threads of this process queue on a lock instead of
        # sleep-polling SQLite's busy handler, which starves some writers for seconds under load.
        self._write_lock: threading.Lock | None = (
            threading.Lock() if engine.dialect.name == "sqlite" else None
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

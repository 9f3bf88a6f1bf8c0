"""Sessions and the unit of work: services flush, the shell that opened the unit commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """An engine and the session factories bound to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
        readonly_engine = engine.execution_options(guardrail_readonly=True)
        self._readonly = sessionmaker(bind=readonly_engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reads only; it never commits and takes no write lock on SQLite."""
        session = self._readonly()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def session(self) -> Session:
        """A bare writable session; the caller commits and closes it."""
        return self._sessions()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

"""Multi-row inserts run on the driver's cursor, for the raw-event store's hot path.

SQLAlchemy compiles each statement once per dialect and row count, and the columns' own bind
processors convert the values (JSON as text, timestamps as each dialect stores them), so the rows
written are the rows SQLAlchemy would write. What is skipped is its per-execution bookkeeping
(execution context, compiled-cache lookup, result wrapping), which cost more than the inserts
themselves for a group commit of a few events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, row after row, in ``columns`` order
    converts: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position in names, processor)
    order: tuple[int, ...] | None  # a positional driver's order (positions in names); None: by name


class DriverInsert:
    """``statement`` (an INSERT, possibly with ON CONFLICT and RETURNING) for N rows at a time."""

    def __init__(self, statement: Insert, columns: Sequence[str]) -> None:
        self.statement = statement
        self.columns = tuple(columns)
        self._compiled: dict[tuple[type, str, int], _Compiled] = {}
        self._lock = threading.Lock()

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Insert ``rows`` in one statement on ``conn``'s transaction; the RETURNING rows."""
        compiled = self._compile(conn.dialect, len(rows))
        values = [row[column] for row in rows for column in self.columns]
        for position, process in compiled.converts:
            values[position] = process(values[position])
        params: Any
        if compiled.order is None:
            params = dict(zip(compiled.names, values, strict=True))
        else:
            params = [values[position] for position in compiled.order]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect, count: int) -> _Compiled:
        # Dialects of one class and parameter style compile alike and convert values alike.
        key = (type(dialect), dialect.paramstyle, count)
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                found = self._compiled[key] = self._build(dialect, count)
        return found

    def _build(self, dialect: Dialect, count: int) -> _Compiled:
        table_columns = self.statement.table.c
        types = [table_columns[c].type for c in self.columns]
        processors = [t.dialect_impl(dialect).bind_processor(dialect) for t in types]
        names = [f"{c}_{n}" for n in range(count) for c in self.columns]
        values = [
            {c: bindparam(f"{c}_{n}", type_=t) for c, t in zip(self.columns, types, strict=True)}
            for n in range(count)
        ]
        compiled = self.statement.values(values).compile(dialect=dialect)
        index = {name: i for i, name in enumerate(names)}
        order = None
        if compiled.positional:
            order = tuple(index[name] for name in compiled.positiontup or ())
        width = len(self.columns)
        return _Compiled(
            sql=str(compiled),
            names=tuple(names),
            converts=tuple(
                (i, process)
                for i in range(len(names))
                if (process := processors[i % width]) is not None
            ),
            order=order,
        )

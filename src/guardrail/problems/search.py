"""Known-error search: SQLite FTS5 or PostgreSQL full-text search, ranked, behind one function.

The migration (0008) creates the search objects: on SQLite an external-content FTS5 table
``problems_fts`` kept in step by triggers; on PostgreSQL a GIN index over ``PG_DOCUMENT``. The
query below repeats that expression exactly, or PostgreSQL would not use the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

PG_DOCUMENT = (
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', root_cause || ' ' || workaround), 'B') || "
    "setweight(to_tsvector('english', description), 'C')"
)
# bm25 column weights, in the FTS table's column order: title, root_cause, workaround, description
SQLITE_WEIGHTS = "10.0, 4.0, 4.0, 1.0"
MAX_TERMS = 24
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    problem_id: str
    rank: float


def terms(query: str) -> list[str]:
    """The words of a query, lower-cased, at most MAX_TERMS, each once, in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if len(word) > 1 or word.isdigit():
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def search(
    session: Session,
    query: str,
    *,
    match_any: bool = False,
    statuses: list[str] | None = None,
    limit: int = 20,
) -> list[Hit]:
    """Problems whose text matches ``query``, best first.

    All words must match by default (``match_any``: any word, ranked by how many and where —
    what "seen before?" asks with an incident's title)."""
    words = terms(query)
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _postgres(session, query, words, match_any, statuses, limit)
    return _sqlite(session, words, match_any, statuses, limit)


def _status_clause(statuses: list[str] | None, alias: str) -> str:
    return f" AND {alias}.status IN :statuses" if statuses else ""


def _run(
    session: Session, sql: str, params: dict[str, object], statuses: list[str] | None
) -> list[Hit]:
    statement = text(sql)
    if statuses:
        statement = statement.bindparams(bindparam("statuses", expanding=True))
        params = {**params, "statuses": statuses}
    return [Hit(row[0], float(row[1])) for row in session.execute(statement, params)]


def _sqlite(
    session: Session, words: list[str], match_any: bool, statuses: list[str] | None, limit: int
) -> list[Hit]:
    # Every word is quoted, so nothing a person types is read as FTS5 syntax.
    quoted = [f'"{w}"' for w in words]
    if not match_any:
        quoted[-1] += "*"  # the last word may be half typed
    match = (" OR " if match_any else " AND ").join(quoted)
    sql = (
        f"SELECT p.id, -bm25(problems_fts, {SQLITE_WEIGHTS}) AS rank "
        "FROM problems_fts JOIN problems p ON p.rowid = problems_fts.rowid "
        f"WHERE problems_fts MATCH :match{_status_clause(statuses, 'p')} "
        "ORDER BY rank DESC, p.updated_at DESC LIMIT :limit"
    )
    return _run(session, sql, {"match": match, "limit": limit}, statuses)


def _postgres(
    session: Session,
    query: str,
    words: list[str],
    match_any: bool,
    statuses: list[str] | None,
    limit: int,
) -> list[Hit]:
    if match_any:
        parser, argument = "to_tsquery", " | ".join(words)
    else:
        parser, argument = "websearch_to_tsquery", query
    sql = (
        f"SELECT p.id, ts_rank_cd({PG_DOCUMENT}, q) AS rank "
        f"FROM problems p, {parser}('english', :query) q "
        f"WHERE ({PG_DOCUMENT}) @@ q{_status_clause(statuses, 'p')} "
        "ORDER BY rank DESC, p.updated_at DESC LIMIT :limit"
    )
    return _run(session, sql, {"query": argument, "limit": limit}, statuses)

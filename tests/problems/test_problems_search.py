"""The known-error database: full-text search on SQLite (FTS5) and PostgreSQL, ranked, kept in
step with edits; the drift check ignores the search objects; "seen before?" on the incident page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from guardrail.store import migrate
from guardrail.store.session import Database

PROBLEMS = [
    {
        "title": "Connection pool exhaustion under payment load",
        "root_cause": "pool of 10 connections per pod",
        "workaround": "restart the checkout pods",
    },
    {
        "title": "TLS certificate expiry on the edge",
        "root_cause": "manual renewal forgotten",
        "workaround": "renew by hand",
        "description": "payments failed because the certificate expired",
    },
    {"title": "Slow search index rebuild", "description": "nightly job overran"},
]


def _seed(api: Any) -> list[str]:
    return [str(api.call("POST", "/problems", 201, json=p)["id"]) for p in PROBLEMS]


def _search(api: Any, q: str, **params: Any) -> list[str]:
    return [h["id"] for h in api.call("GET", "/problems/search", params={"q": q, **params})]


def test_ranked_search_on_this_database(api: Any) -> None:
    pool, tls, search = _seed(api)
    # Every word must match; stemming finds "connections" for "connection".
    assert _search(api, "connection pool") == [pool]
    assert _search(api, "restart pods") == [pool]
    # A word in the title ranks above the same word in the description.
    assert _search(api, "payment") == [pool, tls]
    # Any word: ranked by how much matches.
    assert _search(api, "certificate renewal nightly", any="true")[0] == tls
    assert set(_search(api, "certificate renewal nightly", any="true")) == {tls, search}
    # What a person types is never read as query syntax.
    for odd in ('"pool" OR (', "pool*:", "NEAR(pool", "-pool AND", "pool's"):
        api.call("GET", "/problems/search", params={"q": odd})
    assert _search(api, "zzzz-nothing") == []


def test_edits_are_searchable_and_status_filters(api: Any) -> None:
    pool, _tls, search = _seed(api)
    api.call("PATCH", f"/problems/{search}", json={"workaround": "throttle the indexer"})
    assert _search(api, "throttle indexer") == [search]
    api.call("PATCH", f"/problems/{pool}", json={"title": "Database pool sizing"})
    assert _search(api, "exhaustion") == []
    assert _search(api, "sizing") == [pool]
    api.call("POST", f"/problems/{search}/transition", json={"status": "known_error"})
    assert _search(api, "throttle", status="known_error") == [search]
    assert _search(api, "throttle", status="open") == []


def test_drift_check_ignores_the_search_objects(db: Database, is_postgres: bool) -> None:
    assert migrate.drift(db.engine) == []
    with db.engine.connect() as conn:
        if is_postgres:
            found = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_problems_search'")
            ).scalar_one()
            assert "gin" in found and "to_tsvector" in found
        else:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'problems_fts%'")
            ).scalars()
            assert {"problems_fts", "problems_fts_ai", "problems_fts_au", "problems_fts_ad"} <= set(
                names
            )


def test_postgres_search_uses_the_gin_index(api: Any, db: Database, is_postgres: bool) -> None:
    """The query's document expression must be the index's, or PostgreSQL scans the table."""
    if not is_postgres:
        assert _search(api, "anything") == []  # SQLite reads the FTS5 table; nothing to plan
        return
    from guardrail.problems.search import PG_DOCUMENT

    _seed(api)
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = conn.execute(
            text(
                f"EXPLAIN SELECT id FROM problems p, websearch_to_tsquery('english', 'pool') q "
                f"WHERE ({PG_DOCUMENT}) @@ q"
            )
        ).scalars()
        assert "ix_problems_search" in "\n".join(plan)


def test_seen_before_on_the_incident_page(api: Any, client: Any, admin_token: str) -> None:
    pool, _tls, _search_id = _seed(api)
    api.call("PATCH", f"/problems/{pool}", json={"description": "checkout 502 errors"})
    api.call("POST", f"/problems/{pool}/transition", json={"status": "known_error"})
    incident = api.incident("checkout 502 errors: connection pool exhausted")
    client.cookies.set("guardrail_token", admin_token)
    page = client.get(f"/incidents/{incident}")
    assert page.status_code == 200
    assert "Seen before?" in page.text and f'href="/problems/{pool}"' in page.text
    assert "restart the checkout pods" in page.text
    # Once linked to that problem, the page shows it as the incident's problem instead.
    api.call("POST", f"/problems/{pool}/links", json={"ref": incident})
    page = client.get(f"/incidents/{incident}")
    assert "Seen before?" not in page.text and "Connection pool exhaustion" in page.text

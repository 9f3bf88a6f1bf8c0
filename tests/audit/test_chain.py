"""The audit trail is append-only and hash-chained: every tampering is detected and named."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from guardrail.audit import service as audit
from guardrail.kit.context import Actor

ACTOR = Actor(name="token:tests", role="admin")


def _append(db, count):
    ids = []
    with db.unit_of_work() as session:
        for i in range(count):
            event = audit.record(
                session, ACTOR, "thing.create", "thing", f"thing_{i}", after={"n": i}
            )
            ids.append(event.id)
    return ids


def _tamper(db, is_postgres, sql, **params):
    """Edit the table behind guardrail's back, as someone with the database file would."""
    with db.engine.begin() as conn:
        if is_postgres:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        for statement in sql if isinstance(sql, list) else [sql]:
            conn.execute(text(statement), params)
        if is_postgres:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def _verify(db):
    with db.reader() as session:
        return audit.verify(session)


def test_intact_chain_verifies(db):
    _append(db, 5)
    result = _verify(db)
    assert result.ok and result.checked == 5


def test_database_refuses_update_and_delete(db):
    _append(db, 2)
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert _verify(db).ok


def test_edited_row_is_named(db, is_postgres):
    ids = _append(db, 5)
    _tamper(db, is_postgres, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    result = _verify(db)
    assert not result.ok
    assert [f.event_id for f in result.findings] == [ids[2]]
    assert "edited" in str(result.findings[0]) and ids[2] in str(result.findings[0])


def test_deleted_row_is_named(db, is_postgres):
    ids = _append(db, 5)
    _tamper(db, is_postgres, "DELETE FROM audit_events WHERE seq = 2")
    problems = [str(f) for f in _verify(db).findings]
    assert any("seq 2 deleted" in p for p in problems)
    assert any(ids[2] in p and "predecessor" in p for p in problems)


def test_deleted_tail_is_detected(db, is_postgres):
    _append(db, 4)
    _tamper(db, is_postgres, "DELETE FROM audit_events WHERE seq = 4")
    problems = [str(f) for f in _verify(db).findings]
    assert len(problems) == 1 and "end of the chain" in problems[0]


def test_reordered_rows_are_detected(db, is_postgres):
    ids = _append(db, 4)
    _tamper(
        db,
        is_postgres,
        [
            "UPDATE audit_events SET seq = 100 WHERE seq = 2",
            "UPDATE audit_events SET seq = 2 WHERE seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE seq = 100",
        ],
    )
    result = _verify(db)
    named = {f.event_id for f in result.findings}
    assert {ids[1], ids[2]} <= named


def test_export_is_json_lines_in_order(db):
    _append(db, 3)
    with db.reader() as session:
        lines = list(audit.export_lines(session))
    assert len(lines) == 3 and '"seq":1' in lines[0] and '"seq":3' in lines[2]


def test_concurrent_writers_keep_one_chain(db):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: _append(db, 5), range(8)))
    result = _verify(db)
    assert result.ok and result.checked == 40


def test_record_many_continues_one_chain(db):
    _append(db, 2)
    with db.unit_of_work() as session:
        entries = [
            audit.Entry("bulk.create", "thing", f"bulk_{i}", after={"i": i}) for i in range(50)
        ]
        assert audit.record_many(session, ACTOR, entries) == 50
        assert audit.record_many(session, ACTOR, []) == 0
    _append(db, 1)
    result = _verify(db)
    assert result.ok and result.checked == 53

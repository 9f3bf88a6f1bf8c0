"""Migrations build the schema the models describe, and run down and up again cleanly."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from guardrail.store import migrate
from guardrail.store.engine import make_engine, normalise_url
from guardrail.store.registry import load_metadata


@pytest.fixture
def empty_url(tmp_path, is_postgres) -> Iterator[str]:
    """A brand-new, empty database (not the suite's shared one)."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = normalise_url(os.environ["GUARDRAIL_TEST_DATABASE_URL"])
    name = f"guardrail_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_models(empty_url):
    engine = make_engine(empty_url)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    assert migrate.drift(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(load_metadata().tables) <= tables
    engine.dispose()


def test_downgrade_to_base_and_up_again(empty_url):
    engine = make_engine(empty_url)
    migrate.upgrade(engine)
    migrate.upgrade_or_downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.drift(engine) == []
    engine.dispose()


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()

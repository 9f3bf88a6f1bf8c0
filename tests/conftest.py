"""Test fixtures: every test gets a database built by the migrations, on SQLite or PostgreSQL.

SQLite (the default): the migrations run once into a template file that each test copies.
PostgreSQL: set GUARDRAIL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test; the
suite creates its own database beside that one, migrates it once, and empties every table between
tests. If that URL is set and PostgreSQL does not answer, the run fails: it never skips.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from guardrail.api.app import create_app
from guardrail.config import Settings, reset_settings
from guardrail.identity import service as identity_service
from guardrail.identity.enums import Role
from guardrail.identity.schemas import TokenCreate
from guardrail.kit.context import Actor
from guardrail.store import migrate
from guardrail.store.engine import make_engine, normalise_url
from guardrail.store.registry import load_metadata
from guardrail.store.session import Database

PG_ENV = "GUARDRAIL_TEST_DATABASE_URL"


def _pg_url() -> str | None:
    url = os.environ.get(PG_ENV)
    return normalise_url(url) if url else None


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite template file, or a PostgreSQL database for the session."""
    pg = _pg_url()
    if pg is None:
        path = tmp_path_factory.mktemp("template") / "guardrail.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        yield str(path)
        return
    yield from _pg_database(pg)


def _pg_database(admin_url: str) -> Iterator[str]:
    name = f"guardrail_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the run must fail, not skip, when PostgreSQL was asked for
        pytest.exit(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", returncode=3)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(_template: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a freshly migrated, empty database for this test."""
    if _pg_url() is None:
        target = tmp_path / "guardrail.db"
        shutil.copyfile(_template, target)
        yield f"sqlite:///{target}"
        return
    _truncate(_template)
    yield _template


def _truncate(url: str) -> None:
    """Empty every table, and undo any test's tampering with the migration stamp."""
    engine = create_engine(url)
    existing = set(inspect(engine).get_table_names())
    tables = [t.name for t in load_metadata().sorted_tables if t.name in existing]
    head = migrate.head_revision(engine)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    engine.dispose()


@pytest.fixture
def is_postgres() -> bool:
    return _pg_url() is not None


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for this test; the environment points at the test database too (for the CLI)."""
    for key in list(os.environ):
        if key.startswith("GUARDRAIL_") and key != PG_ENV:
            monkeypatch.delenv(key)
    monkeypatch.setenv("GUARDRAIL_DATABASE_URL", database_url)
    reset_settings()
    yield Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    reset_settings()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(make_engine(settings.database_url))
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_token(db: Database) -> Callable[..., str]:
    """Create a token with a role and return its secret."""

    def make(role: Role | str = Role.admin, name: str | None = None, **kwargs: object) -> str:
        data = TokenCreate(name=name or f"test {role}", role=Role(role), **kwargs)  # type: ignore[arg-type]
        with db.unit_of_work() as session:
            _, secret = identity_service.create_token(session, Actor.system("tests"), data)
        return secret

    return make


@pytest.fixture
def admin_token(make_token: Callable[..., str]) -> str:
    return make_token(Role.admin, name="test admin")


@pytest.fixture
def auth(admin_token: str) -> dict[str, str]:
    """Headers for an admin token."""
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served by a real uvicorn on a free loopback port, for client commands."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `guardrail …` in-process against the test database; returns the click Result."""
    from typer.testing import CliRunner

    from guardrail.cli.main import app as cli_app

    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        reset_settings()
        return runner.invoke(cli_app, list(args), catch_exceptions=False)

    return run

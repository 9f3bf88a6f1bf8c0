"""`python -m guardrail.store.fresh_check URL`: migrate a new, empty database on the server at URL
and check that the models match the migrations there (used by `make check` for PostgreSQL)."""

from __future__ import annotations

import sys
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from guardrail.store import migrate
from guardrail.store.engine import make_engine, normalise_url


def main(url: str) -> int:
    """Return 0 when a fresh database migrates to head with no drift, else 1."""
    admin_url = normalise_url(url)
    name = f"guardrail_check_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = make_engine(make_url(admin_url).set(database=name).render_as_string(False))
        migrate.upgrade(engine)
        differences = migrate.drift(engine)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for diff in differences:
        print(f"models and migrations disagree: {diff}", file=sys.stderr)
    print(
        f"{'ok' if not differences else 'DRIFT'}: {admin.dialect.name} migrated to head "
        f"({len(differences)} differences)"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m guardrail.store.fresh_check postgresql+psycopg://…")
    sys.exit(main(sys.argv[1]))

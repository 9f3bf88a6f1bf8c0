"""Alembic environment: the engine comes from guardrail (store.migrate), never from an ini file."""

from __future__ import annotations

from alembic import context

from guardrail.config import get_settings
from guardrail.store.engine import make_engine
from guardrail.store.registry import is_modelled, load_metadata

target_metadata = load_metadata()


def run_migrations() -> None:
    engine = context.config.attributes.get("engine") or make_engine(get_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=lambda name, _type, _parents: is_modelled(name),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()

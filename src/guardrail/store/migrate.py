"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from guardrail.store.registry import is_modelled, load_metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on ``engine``'s connections."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration."""
    return current_revision(engine) == head_revision(engine)


def drift(engine: Engine) -> list[Any]:
    """Differences between the models and a database at head (empty when they agree)."""
    metadata = load_metadata()
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": lambda name, _type, _parents: is_modelled(name),
            },
        )
        return list(compare_metadata(context, metadata))


def upgrade_or_downgrade(engine: Engine, revision: str) -> None:
    """Move the database to ``revision`` in whichever direction that is (``base`` empties it)."""
    config = alembic_config(engine)
    current = current_revision(engine)
    script = ScriptDirectory.from_config(config)
    ahead = (
        revision == "head"
        or current is None
        or any(
            rev.revision == revision for rev in script.iterate_revisions("head", current or "base")
        )
    )
    if revision == "base" or not ahead:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)

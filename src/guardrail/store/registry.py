"""Imports every practice's models so that Base.metadata is complete (migrations, checks).

A new practice adds its models module here.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

MODEL_MODULES = (
    "guardrail.identity.models",
    "guardrail.audit.models",
    "guardrail.cmdb.models",
    "guardrail.slo.models",
    "guardrail.changes.models",
    "guardrail.store.outbox",
    "guardrail.integrations.models",
    "guardrail.releases.models",
    "guardrail.oncall.models",
    "guardrail.incidents.models",
    "guardrail.alerts.models",
    "guardrail.problems.models",
    "guardrail.improvements.models",
)

# Objects the migrations create that no model describes (the known-error full-text search: an FTS5
# table and its shadow tables on SQLite, an expression GIN index on PostgreSQL); the drift check
# skips names that start with one of these.
UNMODELLED_PREFIXES = ("problems_fts", "ix_problems_search")


def is_modelled(name: str | None) -> bool:
    """Whether the drift check compares the database object called ``name``."""
    return name is None or not name.startswith(UNMODELLED_PREFIXES)


def load_metadata() -> MetaData:
    """The metadata of every table guardrail defines."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from guardrail.store.base import Base

    return Base.metadata

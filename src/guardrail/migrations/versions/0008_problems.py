"""problems: problems and their links, postmortems, action items, known-error full-text search

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Known-error search. Neither object has a model: store.registry.UNMODELLED_NAMES keeps the drift
# check from reporting them. problems/search.py must use the very same document expression, or
# PostgreSQL will not use the index.
PG_DOCUMENT = (
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', root_cause || ' ' || workaround), 'B') || "
    "setweight(to_tsvector('english', description), 'C')"
)
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE problems_fts USING fts5("
    "title, root_cause, workaround, description, "
    "content='problems', content_rowid='rowid', tokenize='porter unicode61')"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER problems_fts_ai AFTER INSERT ON problems BEGIN "
    "INSERT INTO problems_fts(rowid, title, root_cause, workaround, description) "
    "VALUES (new.rowid, new.title, new.root_cause, new.workaround, new.description); END",
    "CREATE TRIGGER problems_fts_ad AFTER DELETE ON problems BEGIN "
    "INSERT INTO problems_fts(problems_fts, rowid, title, root_cause, workaround, description) "
    "VALUES ('delete', old.rowid, old.title, old.root_cause, old.workaround, old.description); END",
    "CREATE TRIGGER problems_fts_au AFTER UPDATE ON problems BEGIN "
    "INSERT INTO problems_fts(problems_fts, rowid, title, root_cause, workaround, description) "
    "VALUES ('delete', old.rowid, old.title, old.root_cause, old.workaround, old.description); "
    "INSERT INTO problems_fts(rowid, title, root_cause, workaround, description) "
    "VALUES (new.rowid, new.title, new.root_cause, new.workaround, new.description); END",
)


def _create_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO problems_fts(problems_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_problems_search ON problems USING gin (({PG_DOCUMENT}))")


def _drop_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("problems_fts_ai", "problems_fts_ad", "problems_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS problems_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_problems_search")


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("workaround", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("known_error_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    op.create_index(
        "ix_problems_status_updated_at", "problems", ["status", "updated_at"], unique=False
    )

    op.create_table(
        "problem_links",
        sa.Column("problem_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_links_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_links")),
        sa.UniqueConstraint(
            "problem_id", "kind", "ref_id", name=op.f("uq_problem_links_problem_id_kind_ref_id")
        ),
    )
    op.create_index(op.f("ix_problem_links_ref_id"), "problem_links", ["ref_id"], unique=False)

    op.create_table(
        "postmortems",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("problem_id", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("required_reason", sa.String(length=500), nullable=False),
        sa.Column("due_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_postmortems_problem_id_problems"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortems")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_postmortems_incident_id")),
    )
    op.create_index(op.f("ix_postmortems_problem_id"), "postmortems", ["problem_id"], unique=False)

    op.create_table(
        "action_items",
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("postmortem_id", sa.String(length=40), nullable=True),
        sa.Column("problem_id", sa.String(length=40), nullable=True),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("tracker", sa.String(length=10), nullable=True),
        sa.Column("external_ref", sa.String(length=300), nullable=True),
        sa.Column("external_url", sa.String(length=2000), nullable=True),
        sa.Column("export_status", sa.String(length=20), nullable=False),
        sa.Column("export_job_id", sa.String(length=40), nullable=True),
        sa.Column("export_error", sa.String(length=2000), nullable=True),
        sa.Column("closed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_action_items_postmortem_id_postmortems"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_action_items_problem_id_problems"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_action_items_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index(
        "ix_action_items_external", "action_items", ["tracker", "external_ref"], unique=False
    )
    op.create_index(
        "ix_action_items_gate",
        "action_items",
        ["service_id", "status", "priority", "due_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_action_items_postmortem_id"), "action_items", ["postmortem_id"], unique=False
    )
    op.create_index(
        op.f("ix_action_items_problem_id"), "action_items", ["problem_id"], unique=False
    )
    _create_search()


def downgrade() -> None:
    _drop_search()
    op.drop_index(op.f("ix_action_items_problem_id"), table_name="action_items")
    op.drop_index(op.f("ix_action_items_postmortem_id"), table_name="action_items")
    op.drop_index("ix_action_items_gate", table_name="action_items")
    op.drop_index("ix_action_items_external", table_name="action_items")

    op.drop_table("action_items")
    op.drop_index(op.f("ix_postmortems_problem_id"), table_name="postmortems")

    op.drop_table("postmortems")
    op.drop_index(op.f("ix_problem_links_ref_id"), table_name="problem_links")

    op.drop_table("problem_links")
    op.drop_index("ix_problems_status_updated_at", table_name="problems")

    op.drop_table("problems")

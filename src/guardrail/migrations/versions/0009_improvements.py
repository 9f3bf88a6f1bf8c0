"""improvements: the improvement register, actions taken, reviews

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "improvements",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("vision", sa.Text(), nullable=False),
        sa.Column("current_state", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("momentum", sa.Text(), nullable=False),
        sa.Column("next_review_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("metric_label", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("service", sa.String(length=63), nullable=True),
        sa.Column("team", sa.String(length=63), nullable=True),
        sa.Column("environment", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=10), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("baseline_samples", sa.Integer(), nullable=False),
        sa.Column(
            "baseline_start", guardrail.store.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("baseline_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("result", sa.Float(), nullable=True),
        sa.Column("reviewed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follows_id", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["follows_id"],
            ["improvements.id"],
            name=op.f("fk_improvements_follows_id_improvements"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvements")),
    )
    op.create_index(
        op.f("ix_improvements_follows_id"), "improvements", ["follows_id"], unique=False
    )
    op.create_index(
        "ix_improvements_status_review_at", "improvements", ["status", "review_at"], unique=False
    )
    op.create_table(
        "improvement_actions",
        sa.Column("improvement_id", sa.String(length=40), nullable=False),
        sa.Column("at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_improvement_actions_improvement_id_improvements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_actions")),
    )
    op.create_index(
        "ix_improvement_actions_improvement_at",
        "improvement_actions",
        ["improvement_id", "at"],
        unique=False,
    )
    op.create_table(
        "improvement_reviews",
        sa.Column("improvement_id", sa.String(length=40), nullable=False),
        sa.Column("review_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_start", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_improvement_reviews_improvement_id_improvements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_reviews")),
        sa.UniqueConstraint(
            "improvement_id",
            "review_at",
            name=op.f("uq_improvement_reviews_improvement_id_review_at"),
        ),
    )
    op.create_index(
        op.f("ix_improvement_reviews_improvement_id"),
        "improvement_reviews",
        ["improvement_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_improvement_reviews_improvement_id"), table_name="improvement_reviews")
    op.drop_table("improvement_reviews")
    op.drop_index("ix_improvement_actions_improvement_at", table_name="improvement_actions")
    op.drop_table("improvement_actions")
    op.drop_index("ix_improvements_status_review_at", table_name="improvements")
    op.drop_index(op.f("ix_improvements_follows_id"), table_name="improvements")
    op.drop_table("improvements")

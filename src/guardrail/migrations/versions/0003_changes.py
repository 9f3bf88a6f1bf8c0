"""changes: change records, evidence, approvals, guardrails versions, freeze windows

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_freezes",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("starts_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rrule", sa.String(length=500), nullable=True),
        sa.Column("environments", sa.JSON(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("allow_emergency", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_freezes")),
    )
    op.create_table(
        "change_chat_identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_change_chat_identities_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_chat_identities")),
        sa.UniqueConstraint(
            "provider", "external_id", name=op.f("uq_change_chat_identities_provider_external_id")
        ),
    )
    with op.batch_alter_table("change_chat_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_chat_identities_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "change_policies",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_change_policies_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_policies")),
        sa.UniqueConstraint("scope", "version", name=op.f("uq_change_policies_scope_version")),
    )
    with op.batch_alter_table("change_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_policies_scope"), ["scope"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_change_policies_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "changes",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=False),
        sa.Column("environment", sa.String(length=63), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("requester_token_id", sa.String(length=40), nullable=True),
        sa.Column("requester_person_id", sa.String(length=40), nullable=True),
        sa.Column("planned_start", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("planned_end", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=20), nullable=False),
        sa.Column("risk_factors", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("approvals_required", sa.JSON(), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=True),
        sa.Column("policy_scope", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_digest", sa.String(length=64), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("review_note", sa.String(length=2000), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["change_policies.id"],
            name=op.f("fk_changes_policy_id_change_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_changes_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_changes_idempotency_key")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_commit_sha"), ["commit_sha"], unique=False)
        batch_op.create_index(batch_op.f("ix_changes_needs_review"), ["needs_review"], unique=False)
        batch_op.create_index(
            "ix_changes_service_id_created_at", ["service_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_changes_state_created_at", ["state", "created_at"], unique=False)
        batch_op.create_index(
            "ix_changes_service_id_completed_at", ["service_id", "completed_at"], unique=False
        )

    op.create_table(
        "change_approvals",
        sa.Column("change_id", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("token_id", sa.String(length=40), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["changes.id"],
            name=op.f("fk_change_approvals_change_id_changes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_approvals")),
    )
    with op.batch_alter_table("change_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_approvals_change_id"), ["change_id"], unique=False
        )

    op.create_table(
        "change_evidence",
        sa.Column("change_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["changes.id"],
            name=op.f("fk_change_evidence_change_id_changes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_evidence")),
    )
    with op.batch_alter_table("change_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_evidence_change_id"), ["change_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("change_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_evidence_change_id"))

    op.drop_table("change_evidence")
    with op.batch_alter_table("change_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_approvals_change_id"))

    op.drop_table("change_approvals")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_service_id_completed_at")
        batch_op.drop_index("ix_changes_state_created_at")
        batch_op.drop_index("ix_changes_service_id_created_at")
        batch_op.drop_index(batch_op.f("ix_changes_needs_review"))
        batch_op.drop_index(batch_op.f("ix_changes_commit_sha"))

    op.drop_table("changes")
    with op.batch_alter_table("change_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_policies_service_id"))
        batch_op.drop_index(batch_op.f("ix_change_policies_scope"))

    op.drop_table("change_policies")
    with op.batch_alter_table("change_chat_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_chat_identities_person_id"))

    op.drop_table("change_chat_identities")
    op.drop_table("change_freezes")

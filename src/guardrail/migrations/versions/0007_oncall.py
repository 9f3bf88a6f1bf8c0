"""oncall: schedules, overrides, escalation policies and runs, channels, contacts, feeds, deliveries

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_channels",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_oncall_channels_name")),
    )
    op.create_table(
        "oncall_feed_tokens",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oncall_feed_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_oncall_feed_tokens_subject_id"), "oncall_feed_tokens", ["subject_id"], unique=False
    )
    op.create_table(
        "oncall_policies",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_oncall_policies_name")),
    )
    op.create_table(
        "oncall_runs",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("policy_id", sa.String(length=40), nullable=True),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("started_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_paged_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_runs")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_oncall_runs_incident_id")),
    )
    op.create_index(op.f("ix_oncall_runs_service_id"), "oncall_runs", ["service_id"], unique=False)
    op.create_index(op.f("ix_oncall_runs_status"), "oncall_runs", ["status"], unique=False)
    op.create_table(
        "oncall_contacts",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_oncall_contacts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_contacts")),
        sa.UniqueConstraint(
            "person_id", "kind", "address", name=op.f("uq_oncall_contacts_person_id_kind_address")
        ),
    )
    op.create_index(
        op.f("ix_oncall_contacts_person_id"), "oncall_contacts", ["person_id"], unique=False
    )
    op.create_table(
        "oncall_deliveries",
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("sent_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["oncall_runs.id"],
            name=op.f("fk_oncall_deliveries_run_id_oncall_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_deliveries")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_oncall_deliveries_dedup_key")),
    )
    op.create_index(
        "ix_oncall_deliveries_incident_id_created_at",
        "oncall_deliveries",
        ["incident_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "oncall_schedules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=40), nullable=True),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_oncall_schedules_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_oncall_schedules_name")),
    )
    op.create_index(
        op.f("ix_oncall_schedules_team_id"), "oncall_schedules", ["team_id"], unique=False
    )
    op.create_table(
        "oncall_overrides",
        sa.Column("schedule_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("starts_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_oncall_overrides_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_overrides_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    op.create_index(
        op.f("ix_oncall_overrides_person_id"), "oncall_overrides", ["person_id"], unique=False
    )
    op.create_index(
        "ix_oncall_overrides_schedule_id_ends_at",
        "oncall_overrides",
        ["schedule_id", "ends_at"],
        unique=False,
    )
    op.create_table(
        "oncall_service_policies",
        sa.Column("service_id", sa.String(length=40), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["oncall_policies.id"],
            name=op.f("fk_oncall_service_policies_policy_id_oncall_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_oncall_service_policies_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_oncall_service_policies")),
    )
    op.create_index(
        op.f("ix_oncall_service_policies_policy_id"),
        "oncall_service_policies",
        ["policy_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_oncall_service_policies_policy_id"), table_name="oncall_service_policies"
    )
    op.drop_table("oncall_service_policies")
    op.drop_index("ix_oncall_overrides_schedule_id_ends_at", table_name="oncall_overrides")
    op.drop_index(op.f("ix_oncall_overrides_person_id"), table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
    op.drop_index(op.f("ix_oncall_schedules_team_id"), table_name="oncall_schedules")
    op.drop_table("oncall_schedules")
    op.drop_index("ix_oncall_deliveries_incident_id_created_at", table_name="oncall_deliveries")
    op.drop_table("oncall_deliveries")
    op.drop_index(op.f("ix_oncall_contacts_person_id"), table_name="oncall_contacts")
    op.drop_table("oncall_contacts")
    op.drop_index(op.f("ix_oncall_runs_status"), table_name="oncall_runs")
    op.drop_index(op.f("ix_oncall_runs_service_id"), table_name="oncall_runs")
    op.drop_table("oncall_runs")
    op.drop_table("oncall_policies")
    op.drop_index(op.f("ix_oncall_feed_tokens_subject_id"), table_name="oncall_feed_tokens")
    op.drop_table("oncall_feed_tokens")
    op.drop_table("oncall_channels")

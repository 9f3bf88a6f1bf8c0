"""slo: SLOs and budget policies (versioned), pushed events, budget snapshots, burn-rate alerts

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, guardrail.store.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "slo_revisions",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=500), nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        _at("applied_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_revisions")),
        sa.UniqueConstraint(
            "object_id", "version", name=op.f("uq_slo_revisions_object_id_version")
        ),
    )
    op.create_table(
        "slo_policies",
        sa.Column("service_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_slo_policies_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_policies")),
        sa.UniqueConstraint("service_id", "name", name=op.f("uq_slo_policies_service_id_name")),
    )
    op.create_table(
        "slos",
        sa.Column("service_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("timeslice_target", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        _at("evaluated_at", nullable=True),
        _at("data_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        _at("snapshot_at", nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_slos_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slos")),
        sa.UniqueConstraint("service_id", "name", name=op.f("uq_slos_service_id_name")),
    )
    with op.batch_alter_table("slos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slos_source"), ["source"], unique=False)

    op.create_table(
        "slo_alerts",
        sa.Column("slo_id", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("open_key", sa.String(length=60), nullable=True),
        _at("fired_at"),
        _at("resolved_at", nullable=True),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("burn_rates", sa.JSON(), nullable=False),
        sa.Column("peak_burn_rate", sa.Float(), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["slo_id"], ["slos.id"], name=op.f("fk_slo_alerts_slo_id_slos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_slo_alerts_open_key")),
    )
    with op.batch_alter_table("slo_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_slo_alerts_slo_id_fired_at", ["slo_id", "fired_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_slo_alerts_state"), ["state"], unique=False)

    op.create_table(
        "slo_events",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("slo_id", sa.String(length=40), nullable=False),
        _at("interval_start"),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("good", _BIGINT, nullable=False),
        sa.Column("total", _BIGINT, nullable=False),
        _at("received_at"),
        sa.ForeignKeyConstraint(
            ["slo_id"], ["slos.id"], name=op.f("fk_slo_events_slo_id_slos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_events")),
        sa.UniqueConstraint(
            "slo_id", "interval_start", name=op.f("uq_slo_events_slo_id_interval_start")
        ),
    )
    op.create_table(
        "slo_snapshots",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("slo_id", sa.String(length=40), nullable=False),
        _at("at"),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sli", sa.Float(), nullable=True),
        sa.Column("remaining", sa.Float(), nullable=True),
        sa.Column("burn_rates", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["slo_id"],
            ["slos.id"],
            name=op.f("fk_slo_snapshots_slo_id_slos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_snapshots")),
    )
    with op.batch_alter_table("slo_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_slo_snapshots_slo_id_at", ["slo_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slo_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_slo_snapshots_slo_id_at")
    op.drop_table("slo_snapshots")
    op.drop_table("slo_events")
    with op.batch_alter_table("slo_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slo_alerts_state"))
        batch_op.drop_index("ix_slo_alerts_slo_id_fired_at")
    op.drop_table("slo_alerts")
    with op.batch_alter_table("slos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slos_source"))
    op.drop_table("slos")
    op.drop_table("slo_policies")
    op.drop_table("slo_revisions")

"""incidents: alerts, alert settings, incidents, timeline, causes, rollbacks, rollback policies

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=4), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("group_key", sa.String(length=500), nullable=False),
        sa.Column("open_group", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("runbook_url", sa.String(length=2000), nullable=True),
        sa.Column("commander", sa.String(length=200), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("suspects", sa.JSON(), nullable=False),
        sa.Column("escalation_run_id", sa.String(length=40), nullable=True),
        sa.Column("opened_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "acknowledged_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("mitigated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_until", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_incidents_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("open_group", name=op.f("uq_incidents_open_group")),
    )
    op.create_index(op.f("ix_incidents_service_id"), "incidents", ["service_id"], unique=False)
    op.create_index(
        "ix_incidents_status_opened_at", "incidents", ["status", "opened_at"], unique=False
    )
    op.create_table(
        "rollback_policies",
        sa.Column("service_id", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("suspect_window_seconds", sa.Integer(), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_rollback_policies_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollback_policies")),
        sa.UniqueConstraint("service_id", name=op.f("uq_rollback_policies_service_id")),
    )
    op.create_table(
        "alert_settings",
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("group_by", sa.JSON(), nullable=False),
        sa.Column("severity_map", sa.JSON(), nullable=False),
        sa.Column("service_label", sa.String(length=100), nullable=False),
        sa.Column("flap_window_seconds", sa.Integer(), nullable=False),
        sa.Column("flap_threshold", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_alert_settings_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "alerts",
        sa.Column("integration_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=300), nullable=False),
        sa.Column("open_key", sa.String(length=400), nullable=True),
        sa.Column("group_key", sa.String(length=500), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("incident_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=40), nullable=False),
        sa.Column("sev", sa.String(length=4), nullable=False),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("generator_url", sa.String(length=2000), nullable=True),
        sa.Column("runbook_url", sa.String(length=2000), nullable=True),
        sa.Column("starts_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("flaps", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.String(length=40), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_alerts_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_alerts_integration_id_integrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_alerts_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alerts_open_key")),
    )
    op.create_index(op.f("ix_alerts_incident_id"), "alerts", ["incident_id"], unique=False)
    op.create_index(
        "ix_alerts_integration_fingerprint",
        "alerts",
        ["integration_id", "fingerprint"],
        unique=False,
    )
    op.create_index(op.f("ix_alerts_service_id"), "alerts", ["service_id"], unique=False)
    op.create_index(
        "ix_alerts_status_resolved_at", "alerts", ["status", "resolved_at"], unique=False
    )
    op.create_table(
        "incident_causes",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.String(length=40), nullable=False),
        sa.Column("provenance", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_causes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_causes")),
        sa.UniqueConstraint(
            "incident_id", "kind", "ref_id", name=op.f("uq_incident_causes_incident_id_kind_ref_id")
        ),
    )
    op.create_index(
        op.f("ix_incident_causes_incident_id"), "incident_causes", ["incident_id"], unique=False
    )
    op.create_index(op.f("ix_incident_causes_ref_id"), "incident_causes", ["ref_id"], unique=False)
    op.create_table(
        "incident_rollbacks",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("deployment_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("trigger_id", sa.String(length=40), nullable=True),
        sa.Column("change_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_rollbacks_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_rollbacks")),
        sa.UniqueConstraint(
            "incident_id",
            "deployment_id",
            name=op.f("uq_incident_rollbacks_incident_id_deployment_id"),
        ),
    )
    op.create_index(
        op.f("ix_incident_rollbacks_incident_id"),
        "incident_rollbacks",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "incident_timeline",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_timeline_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_timeline")),
    )
    op.create_index(
        "ix_incident_timeline_incident_at", "incident_timeline", ["incident_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_incident_timeline_incident_at", table_name="incident_timeline")
    op.drop_table("incident_timeline")
    op.drop_index(op.f("ix_incident_rollbacks_incident_id"), table_name="incident_rollbacks")
    op.drop_table("incident_rollbacks")
    op.drop_index(op.f("ix_incident_causes_ref_id"), table_name="incident_causes")
    op.drop_index(op.f("ix_incident_causes_incident_id"), table_name="incident_causes")
    op.drop_table("incident_causes")
    op.drop_index("ix_alerts_status_resolved_at", table_name="alerts")
    op.drop_index(op.f("ix_alerts_service_id"), table_name="alerts")
    op.drop_index("ix_alerts_integration_fingerprint", table_name="alerts")
    op.drop_index(op.f("ix_alerts_incident_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("alert_settings")
    op.drop_table("rollback_policies")
    op.drop_index("ix_incidents_status_opened_at", table_name="incidents")
    op.drop_index(op.f("ix_incidents_service_id"), table_name="incidents")
    op.drop_table("incidents")

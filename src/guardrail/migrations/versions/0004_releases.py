"""releases: integrations and raw inbound events, commits, pull requests, deployments and what they
delivered, incident links, releases, pipeline runs, artifacts, pipeline targets

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import guardrail.store.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("purl", sa.String(length=500), nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=True),
        sa.Column("published_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
        sa.UniqueConstraint("purl", name=op.f("uq_artifacts_purl")),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=True),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("conclusion", sa.String(length=30), nullable=True),
        sa.Column("started_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_runs")),
        sa.UniqueConstraint("key", name=op.f("uq_pipeline_runs_key")),
    )
    op.create_index(op.f("ix_pipeline_runs_sha"), "pipeline_runs", ["sha"], unique=False)
    op.create_table(
        "pull_requests",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("head_ref", sa.String(length=200), nullable=False),
        sa.Column("head_sha", sa.String(length=40), nullable=True),
        sa.Column("merge_sha", sa.String(length=40), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("opened_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "first_commit_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_requests")),
        sa.UniqueConstraint("key", name=op.f("uq_pull_requests_key")),
    )
    op.create_index(
        op.f("ix_pull_requests_merge_sha"), "pull_requests", ["merge_sha"], unique=False
    )
    op.create_table(
        "releases",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("service", sa.String(length=63), nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("key", name=op.f("uq_releases_key")),
    )
    op.create_index(op.f("ix_releases_service"), "releases", ["service"], unique=False)
    op.create_table(
        "commits",
        sa.Column("sha", sa.String(length=40), nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("branch", sa.String(length=200), nullable=True),
        sa.Column("parent_sha", sa.String(length=40), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_email", sa.String(length=200), nullable=False),
        sa.Column("authored_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("committed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pull_request_id", sa.String(length=40), nullable=True),
        sa.Column("first_seen_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["pull_request_id"],
            ["pull_requests.id"],
            name=op.f("fk_commits_pull_request_id_pull_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commits")),
        sa.UniqueConstraint("sha", name=op.f("uq_commits_sha")),
    )
    op.create_index(
        op.f("ix_commits_pull_request_id"), "commits", ["pull_request_id"], unique=False
    )
    op.create_index(
        "ix_commits_repository_branch", "commits", ["repository", "branch"], unique=False
    )
    op.create_table(
        "deployments",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=63), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("environment", sa.String(length=63), nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=True),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("started_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deployed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("change_id", sa.String(length=40), nullable=True),
        sa.Column("rollback_of_id", sa.String(length=40), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("attribution", sa.String(length=20), nullable=False),
        sa.Column("missing_sha", sa.String(length=40), nullable=True),
        sa.Column("commit_count", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollback_of_id"],
            ["deployments.id"],
            name=op.f("fk_deployments_rollback_of_id_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_deployments_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("key", name=op.f("uq_deployments_key")),
    )
    op.create_index(op.f("ix_deployments_change_id"), "deployments", ["change_id"], unique=False)
    op.create_index(
        "ix_deployments_env_status_at",
        "deployments",
        ["environment", "status", "deployed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deployments_missing_sha"), "deployments", ["missing_sha"], unique=False
    )
    op.create_index(
        op.f("ix_deployments_rollback_of_id"), "deployments", ["rollback_of_id"], unique=False
    )
    op.create_index(
        "ix_deployments_service_env_status_at",
        "deployments",
        ["service", "environment", "status", "deployed_at"],
        unique=False,
    )
    op.create_index(op.f("ix_deployments_service_id"), "deployments", ["service_id"], unique=False)
    op.create_index(op.f("ix_deployments_sha"), "deployments", ["sha"], unique=False)
    op.create_table(
        "integrations",
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("secret_hint", sa.String(length=12), nullable=False),
        sa.Column("routing_key", sa.String(length=64), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_integrations_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("routing_key", name=op.f("uq_integrations_routing_key")),
    )
    op.create_index(
        op.f("ix_integrations_service_id"), "integrations", ["service_id"], unique=False
    )
    op.create_index(op.f("ix_integrations_type"), "integrations", ["type"], unique=False)
    op.create_table(
        "pipeline_targets",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("repository", sa.String(length=200), nullable=False),
        sa.Column("workflow", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=500), nullable=True),
        sa.Column("service_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_pipeline_targets_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_targets")),
        sa.UniqueConstraint("name", name=op.f("uq_pipeline_targets_name")),
    )
    op.create_index(
        op.f("ix_pipeline_targets_service_id"), "pipeline_targets", ["service_id"], unique=False
    )
    op.create_table(
        "deployment_commits",
        sa.Column("deployment_id", sa.String(length=40), nullable=False),
        sa.Column("commit_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["commit_id"],
            ["commits.id"],
            name=op.f("fk_deployment_commits_commit_id_commits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_commits_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", "commit_id", name=op.f("pk_deployment_commits")),
    )
    op.create_index(
        op.f("ix_deployment_commits_commit_id"), "deployment_commits", ["commit_id"], unique=False
    )
    op.create_table(
        "deployment_incident_links",
        sa.Column("deployment_id", sa.String(length=40), nullable=False),
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("provenance", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("created_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_incident_links_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_incident_links")),
        sa.UniqueConstraint(
            "deployment_id",
            "incident_id",
            "kind",
            name=op.f("uq_deployment_incident_links_deployment_id_incident_id_kind"),
        ),
    )
    op.create_index(
        op.f("ix_deployment_incident_links_deployment_id"),
        "deployment_incident_links",
        ["deployment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deployment_incident_links_incident_id"),
        "deployment_incident_links",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "inbound_events",
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("processed_at", guardrail.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_inbound_events_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_events")),
        sa.UniqueConstraint(
            "integration_id", "dedup_key", name=op.f("uq_inbound_events_integration_id_dedup_key")
        ),
    )
    op.create_index(
        op.f("ix_inbound_events_integration_id"), "inbound_events", ["integration_id"], unique=False
    )
    op.create_index(op.f("ix_inbound_events_status"), "inbound_events", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("inbound_events")
    op.drop_table("deployment_incident_links")
    op.drop_table("deployment_commits")
    op.drop_table("pipeline_targets")
    op.drop_table("integrations")
    op.drop_table("deployments")
    op.drop_table("commits")
    op.drop_table("releases")
    op.drop_table("pull_requests")
    op.drop_table("pipeline_runs")
    op.drop_table("artifacts")

"""Commits, pull requests, deployments and what they delivered, releases, pipeline runs, artifacts,
and the links between deployments and incidents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin, TimestampMixin


class PullRequest(PublicIdMixin, TimestampMixin, Base):
    """A pull or merge request; ``key`` is ``<provider>:<repository>#<number>``."""

    __tablename__ = "pull_requests"
    id_prefix = "pr"

    key: Mapped[str] = mapped_column(String(300), unique=True)
    repository: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(20), default="open")
    head_ref: Mapped[str] = mapped_column(String(200), default="")
    head_sha: Mapped[str | None] = mapped_column(String(40))
    merge_sha: Mapped[str | None] = mapped_column(String(40), index=True)
    author: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    merged_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    first_commit_at: Mapped[datetime | None] = mapped_column(default=None)
    url: Mapped[str | None] = mapped_column(String(2000))


class Commit(PublicIdMixin, Base):
    """A commit; ``parent_sha`` is its first parent on the branch it was pushed to, when known."""

    __tablename__ = "commits"
    __table_args__ = (Index("ix_commits_repository_branch", "repository", "branch"),)
    id_prefix = "cmt"

    sha: Mapped[str] = mapped_column(String(40), unique=True)
    repository: Mapped[str] = mapped_column(String(200), default="")
    branch: Mapped[str | None] = mapped_column(String(200))
    parent_sha: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(1000), default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_email: Mapped[str] = mapped_column(String(200), default="")
    authored_at: Mapped[datetime | None] = mapped_column(default=None)
    committed_at: Mapped[datetime | None] = mapped_column(default=None)
    pull_request_id: Mapped[str | None] = mapped_column(
        ForeignKey("pull_requests.id", ondelete="SET NULL"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deployment(PublicIdMixin, TimestampMixin, Base):
    """One deployment of a service to an environment.

    ``key`` is the deployment's identity in its source (``github:<repo>:<deployment id>``), so the
    events about it (created, statuses, retries, replays) converge on one row in any order.
    ``deployed_at`` orders deployments: finished, else started, else first heard of.
    """

    __tablename__ = "deployments"
    __table_args__ = (
        Index(
            "ix_deployments_service_env_status_at",
            "service",
            "environment",
            "status",
            "deployed_at",
        ),
        Index("ix_deployments_env_status_at", "environment", "status", "deployed_at"),
    )
    id_prefix = "dep"

    key: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(40), default="api")
    service: Mapped[str] = mapped_column(String(63))
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    environment: Mapped[str] = mapped_column(String(63))
    repository: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[str] = mapped_column(String(200), default="")
    sha: Mapped[str | None] = mapped_column(String(40), index=True)
    ref: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_at: Mapped[datetime | None] = mapped_column(default=None)
    strategy: Mapped[str] = mapped_column(String(20), default="rolling")
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    change_id: Mapped[str | None] = mapped_column(String(40), index=True)
    rollback_of_id: Mapped[str | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str | None] = mapped_column(String(2000))
    attribution: Mapped[str] = mapped_column(String(20), default="pending")
    missing_sha: Mapped[str | None] = mapped_column(String(40), index=True)
    commit_count: Mapped[int] = mapped_column(Integer, default=0)


class DeploymentCommit(Base):
    """A commit a deployment delivered: new to that service and environment."""

    __tablename__ = "deployment_commits"

    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True
    )
    commit_id: Mapped[str] = mapped_column(
        ForeignKey("commits.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DeploymentIncidentLink(PublicIdMixin, Base):
    """A deployment caused an incident (``cause``) or was made because of one (``rework``).

    ``incident_id`` is a plain string: the incidents practice owns incidents.
    """

    __tablename__ = "deployment_incident_links"
    __table_args__ = (UniqueConstraint("deployment_id", "incident_id", "kind"),)
    id_prefix = "dil"

    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    provenance: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class Release(PublicIdMixin, TimestampMixin, Base):
    """A named version of a service; it groups the deployments of that version."""

    __tablename__ = "releases"
    id_prefix = "rls"

    key: Mapped[str] = mapped_column(String(300), unique=True)
    service: Mapped[str] = mapped_column(String(63), index=True)
    repository: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    url: Mapped[str | None] = mapped_column(String(2000))


class PipelineRun(PublicIdMixin, TimestampMixin, Base):
    """A CI run (GitHub workflow run or check suite, GitLab pipeline, CDEvents pipelinerun)."""

    __tablename__ = "pipeline_runs"
    id_prefix = "run"

    key: Mapped[str] = mapped_column(String(300), unique=True)
    provider: Mapped[str] = mapped_column(String(40))
    repository: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(300), default="")
    sha: Mapped[str | None] = mapped_column(String(40), index=True)
    ref: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(30), default="")
    conclusion: Mapped[str | None] = mapped_column(String(30))
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    url: Mapped[str | None] = mapped_column(String(2000))


class Artifact(PublicIdMixin, Base):
    """A published artifact (package URL) and the commit it was built from, when known."""

    __tablename__ = "artifacts"
    id_prefix = "art"

    purl: Mapped[str] = mapped_column(String(500), unique=True)
    sha: Mapped[str | None] = mapped_column(String(40))
    published_at: Mapped[datetime | None] = mapped_column(default=None)

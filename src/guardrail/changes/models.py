"""Change records, their evidence and approvals, guardrails versions and freeze windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin, TimestampMixin


class PolicyVersion(PublicIdMixin, Base):
    """One version of a guardrails file: for one service, or the organisation default."""

    __tablename__ = "change_policies"
    __table_args__ = (UniqueConstraint("scope", "version"),)
    id_prefix = "pol"

    # "default" for the organisation default, else the service id; one sequence per scope.
    scope: Mapped[str] = mapped_column(String(40), index=True)
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    modules: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300), default="guardrails.yaml")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Change(PublicIdMixin, TimestampMixin, Base):
    """An ITIL change record, created by a pipeline's gate call or by a person."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_service_id_created_at", "service_id", "created_at"),
        Index("ix_changes_state_created_at", "state", "created_at"),
        # The change failure rate counts a service's changes completed in a window: without this
        # index it reads every change the service ever had.
        Index("ix_changes_service_id_completed_at", "service_id", "completed_at"),
    )
    id_prefix = "chg"

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(20), default="normal")
    model: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="requested")
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(String(4000), default="")
    commit_sha: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[str | None] = mapped_column(String(100))
    links: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    requester: Mapped[str] = mapped_column(String(200))
    requester_token_id: Mapped[str | None] = mapped_column(String(40))
    requester_person_id: Mapped[str | None] = mapped_column(String(40))
    planned_start: Mapped[datetime | None] = mapped_column(default=None)
    planned_end: Mapped[datetime | None] = mapped_column(default=None)
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    risk_level: Mapped[str] = mapped_column(String(20), default="low")
    risk_factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision: Mapped[str | None] = mapped_column(String(20))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    approvals_required: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    policy_id: Mapped[str | None] = mapped_column(
        ForeignKey("change_policies.id", ondelete="SET NULL")
    )
    policy_scope: Mapped[str] = mapped_column(String(40), default="builtin")
    policy_version: Mapped[int] = mapped_column(Integer, default=0)
    policy_digest: Mapped[str] = mapped_column(String(64), default="")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    review_note: Mapped[str | None] = mapped_column(String(2000))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class Evidence(PublicIdMixin, Base):
    """A file or fact the pipeline attached to a change, recognised and summarised."""

    __tablename__ = "change_evidence"
    id_prefix = "evd"

    change_id: Mapped[str] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    digest: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Approval(PublicIdMixin, Base):
    """One person's approval or rejection of a change."""

    __tablename__ = "change_approvals"
    id_prefix = "apr"

    change_id: Mapped[str] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[str | None] = mapped_column(String(40))
    token_id: Mapped[str | None] = mapped_column(String(40))
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    via: Mapped[str] = mapped_column(String(20), default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class FreezeWindow(PublicIdMixin, TimestampMixin, Base):
    """A period when changes stop: once, or recurring by an RFC 5545 RRULE."""

    __tablename__ = "change_freezes"
    id_prefix = "frz"

    name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(2000), default="")
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    rrule: Mapped[str | None] = mapped_column(String(500))
    environments: Mapped[list[str]] = mapped_column(JSON, default=list)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    tiers: Mapped[list[int]] = mapped_column(JSON, default=list)
    allow_emergency: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)


class ChatIdentity(Base):
    """Which guardrail person a chat user (a Slack user id) is, for approve/reject buttons."""

    __tablename__ = "change_chat_identities"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

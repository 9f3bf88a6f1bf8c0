"""Schedules, overrides, escalation policies, channels, contact methods, runs and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin, TimestampMixin


class OnCallSchedule(PublicIdMixin, TimestampMixin, Base):
    """A schedule: layers of rotations (validated ``LayerSpec`` documents) in one time zone."""

    __tablename__ = "oncall_schedules"
    id_prefix = "sch"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    # Later layers override earlier ones where they have someone on call.
    layers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class OnCallOverride(PublicIdMixin, Base):
    """Someone takes a schedule's shift for a while; overrides win over every layer."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule_id_ends_at", "schedule_id", "ends_at"),)
    id_prefix = "ovr"

    schedule_id: Mapped[str] = mapped_column(ForeignKey("oncall_schedules.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationPolicy(PublicIdMixin, TimestampMixin, Base):
    """Ordered levels (delay, targets) and a repeat count; versioned, copied onto each run."""

    __tablename__ = "oncall_policies"
    id_prefix = "esc"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ServicePolicy(Base):
    """Which escalation policy pages for a service (services without one use the default)."""

    __tablename__ = "oncall_service_policies"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[str] = mapped_column(
        ForeignKey("oncall_policies.id", ondelete="CASCADE"), index=True
    )


class NotifyChannel(PublicIdMixin, TimestampMixin, Base):
    """A named destination that is not a person: a Slack channel's webhook, a list, a URL.

    ``address`` is a secret for Slack (the webhook URL is the only credential), so it is never
    written to the audit trail or shown back in full.
    """

    __tablename__ = "oncall_channels"
    id_prefix = "chn"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(200))


class ContactMethod(PublicIdMixin, Base):
    """How to reach a person: an email address, a Slack webhook, a Slack user id, a URL."""

    __tablename__ = "oncall_contacts"
    __table_args__ = (UniqueConstraint("person_id", "kind", "address"),)
    id_prefix = "cm"

    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # slack | email | webhook send; slack_user only says who a Slack user is (interactions).
    kind: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedToken(PublicIdMixin, Base):
    """A secret in an iCalendar feed's URL, so calendar apps can subscribe without a token."""

    __tablename__ = "oncall_feed_tokens"
    id_prefix = "feed"

    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class EscalationRun(PublicIdMixin, Base):
    """One incident's escalation: a snapshot of the policy and where the run stands."""

    __tablename__ = "oncall_runs"
    id_prefix = "escr"

    incident_id: Mapped[str] = mapped_column(String(40), unique=True)
    service_id: Mapped[str | None] = mapped_column(String(40), index=True)
    policy_id: Mapped[str | None] = mapped_column(String(40))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    title: Mapped[str] = mapped_column(String(500), default="")
    severity: Mapped[str] = mapped_column(String(20), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)  # the last level paged; 0 = none yet
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_paged_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    stop_reason: Mapped[str] = mapped_column(String(500), default="")


class Delivery(PublicIdMixin, Base):
    """One notification to one destination: the delivery log row that its outbox job updates."""

    __tablename__ = "oncall_deliveries"
    __table_args__ = (
        Index("ix_oncall_deliveries_incident_id_created_at", "incident_id", "created_at"),
    )
    id_prefix = "dlv"

    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("oncall_runs.id", ondelete="CASCADE"))
    incident_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))  # page | update:<event>
    level: Mapped[int] = mapped_column(Integer, default=0)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[str] = mapped_column(String(300))  # "person:alice", "channel:ops-slack"
    person_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

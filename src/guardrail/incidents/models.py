"""Incidents, their timeline, causes, automated rollbacks, and each service's rollback policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin


class Incident(PublicIdMixin, Base):
    """An incident: what is broken, how badly, who leads, and where it is in its life.

    ``open_group`` is the grouping key while the incident is open (unique), so alerts of one group
    land on one incident even when two workers process them at once; it is cleared on resolve.
    """

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_opened_at", "status", "opened_at"),)
    id_prefix = "inc"

    title: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(20), default="triggered")
    severity: Mapped[str] = mapped_column(String(4), default="SEV3")
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    group_key: Mapped[str] = mapped_column(String(500), default="")
    open_group: Mapped[str | None] = mapped_column(String(500), unique=True)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    description: Mapped[str] = mapped_column(Text, default="")
    runbook_url: Mapped[str | None] = mapped_column(String(2000))
    commander: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    suspects: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    escalation_run_id: Mapped[str | None] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    mitigated_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    hold_until: Mapped[datetime | None] = mapped_column(default=None)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEntry(PublicIdMixin, Base):
    """One thing that happened to an incident, in order."""

    __tablename__ = "incident_timeline"
    __table_args__ = (Index("ix_incident_timeline_incident_at", "incident_id", "at"),)
    id_prefix = "itl"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(4000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(200), default="")


class IncidentCause(PublicIdMixin, Base):
    """A deployment or change named as (one of) the incident's causes."""

    __tablename__ = "incident_causes"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "ref_id"),)
    id_prefix = "icz"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[str] = mapped_column(String(40), index=True)
    provenance: Mapped[str] = mapped_column(String(20), default="explicit")
    note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class IncidentRollback(PublicIdMixin, Base):
    """An automated rollback guardrail started for an incident: at most one per deployment."""

    __tablename__ = "incident_rollbacks"
    __table_args__ = (UniqueConstraint("incident_id", "deployment_id"),)
    id_prefix = "irb"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))  # confirmed | suspected
    target: Mapped[str] = mapped_column(String(100))
    trigger_id: Mapped[str | None] = mapped_column(String(40))
    change_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class RollbackPolicy(PublicIdMixin, Base):
    """A service's automated-rollback policy: when, which pipeline, with what inputs."""

    __tablename__ = "rollback_policies"
    id_prefix = "rbp"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), unique=True
    )
    mode: Mapped[str] = mapped_column(String(20), default="off")
    target: Mapped[str] = mapped_column(String(100), default="")
    ref: Mapped[str | None] = mapped_column(String(200))
    inputs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    suspect_window_seconds: Mapped[int] = mapped_column(Integer, default=1800)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")

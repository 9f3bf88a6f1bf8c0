"""Alerts as guardrail keeps them, and each alert integration's grouping and severity settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin


class Alert(PublicIdMixin, Base):
    """One alert: a problem a sender reported, unique per integration and fingerprint while open.

    ``open_key`` (``<integration>:<fingerprint>``) is set only while the alert is open, so a unique
    index makes "one open alert per fingerprint" hold across replicas; a resolved alert gives it up
    and a later firing either reopens it (a flap, see ``alerts.service``) or opens a new one.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_integration_fingerprint", "integration_id", "fingerprint"),
        Index("ix_alerts_status_resolved_at", "status", "resolved_at"),
    )
    id_prefix = "alr"

    integration_id: Mapped[str | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(300))
    open_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    group_key: Mapped[str] = mapped_column(String(500))
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="firing")
    severity: Mapped[str] = mapped_column(String(40), default="")
    sev: Mapped[str] = mapped_column(String(4), default="SEV3")
    title: Mapped[str] = mapped_column(String(1024), default="")
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    generator_url: Mapped[str | None] = mapped_column(String(2000))
    runbook_url: Mapped[str | None] = mapped_column(String(2000))
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    flaps: Mapped[int] = mapped_column(Integer, default=0)
    last_event_id: Mapped[str | None] = mapped_column(String(40))


class AlertSettings(Base):
    """How one integration's alerts are grouped, routed and ranked (defaults by type when absent).

    ``group_by``: the labels whose values, with the service, make the grouping key.
    ``severity_map``: the sender's severity (lower-cased) to SEV1..SEV4, over the defaults.
    ``service_label``: the label naming the service when the integration speaks for none.
    ``mapping``: for the generic type, where each field is in the JSON the sender posts.
    """

    __tablename__ = "alert_settings"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    group_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    severity_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    service_label: Mapped[str] = mapped_column(String(100), default="service")
    flap_window_seconds: Mapped[int] = mapped_column(Integer, default=900)
    flap_threshold: Mapped[int] = mapped_column(Integer, default=3)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")

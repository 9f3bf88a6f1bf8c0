"""Integrations: the inbound sources that deliver events, the raw deliveries, pipeline targets.

Shared by every practice that takes webhooks (releases now; alerts and incidents later).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin


class Integration(PublicIdMixin, Base):
    """A configured sender: its type, the service it speaks for, and how it proves itself.

    ``secret`` is kept as given only for schemes that need it to compute a signature (HMAC);
    schemes that compare a presented token keep ``secret_hash`` (SHA-256) instead.
    """

    __tablename__ = "integrations"
    id_prefix = "int"

    type: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    secret: Mapped[str | None] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    secret_hint: Mapped[str] = mapped_column(String(12), default="")
    routing_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class InboundEvent(PublicIdMixin, Base):
    """One delivery, stored once as received (raw body), keyed by the source's delivery id."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("integration_id", "dedup_key"),)
    id_prefix = "evt"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(200))
    dedup_key: Mapped[str] = mapped_column(String(300))
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class PipelineTarget(PublicIdMixin, Base):
    """A pipeline guardrail may start: a GitHub workflow, a GitLab trigger, or a webhook.

    ``secret`` (API token, trigger token or signing key) is kept as given: sending needs it.
    """

    __tablename__ = "pipeline_targets"
    id_prefix = "ptg"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(String(2000))
    repository: Mapped[str] = mapped_column(String(200), default="")
    workflow: Mapped[str] = mapped_column(String(200), default="")
    ref: Mapped[str] = mapped_column(String(200), default="main")
    secret: Mapped[str | None] = mapped_column(String(500))
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

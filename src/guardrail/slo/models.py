"""Tables of the slo practice: SLOs and budget policies (versioned), events, snapshots, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin, TimestampMixin

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Slo(PublicIdMixin, TimestampMixin, Base):
    """An SLO of a service: its current spec, and the state of its last evaluation."""

    __tablename__ = "slos"
    __table_args__ = (UniqueConstraint("service_id", "name"),)
    id_prefix = "slo"

    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), index=True)
    objective: Mapped[float] = mapped_column(Float)
    window_seconds: Mapped[int] = mapped_column(Integer)
    timeslice_target: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    digest: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The last evaluation, read by the gate: status, remaining, burn rates, when data was seen.
    status: Mapped[str | None] = mapped_column(String(20))
    evaluated_at: Mapped[datetime | None] = mapped_column(default=None)
    data_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    snapshot_at: Mapped[datetime | None] = mapped_column(default=None)


class BudgetPolicy(PublicIdMixin, TimestampMixin, Base):
    """A service's error-budget policy: rules that stop changes or ask for postmortems."""

    __tablename__ = "slo_policies"
    __table_args__ = (UniqueConstraint("service_id", "name"),)
    id_prefix = "sbp"

    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    digest: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)


class SpecRevision(Base):
    """Every version of an SLO or a policy as it was applied, by whom, from which file."""

    __tablename__ = "slo_revisions"
    __table_args__ = (UniqueConstraint("object_id", "version"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(20))  # slo | policy
    object_id: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(500), default="")
    applied_by: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class SloEvent(Base):
    """Good and total counts of one interval, pushed by a team without Prometheus.

    One row per (SLO, interval start): a second push for the same interval replaces the counts.
    """

    __tablename__ = "slo_events"
    __table_args__ = (UniqueConstraint("slo_id", "interval_start"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    slo_id: Mapped[str] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"))
    interval_start: Mapped[datetime]
    interval_seconds: Mapped[int] = mapped_column(Integer)
    good: Mapped[int] = mapped_column(_BIGINT)
    total: Mapped[int] = mapped_column(_BIGINT)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SloSnapshot(Base):
    """The budget at one moment, kept every few minutes: the burn-down series."""

    __tablename__ = "slo_snapshots"
    __table_args__ = (Index("ix_slo_snapshots_slo_id_at", "slo_id", "at"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    slo_id: Mapped[str] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    sli: Mapped[float | None] = mapped_column(Float)
    remaining: Mapped[float | None] = mapped_column(Float)
    burn_rates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SloAlert(PublicIdMixin, Base):
    """A burn-rate alert: firing until no window pair of its severity fires any more."""

    __tablename__ = "slo_alerts"
    __table_args__ = (Index("ix_slo_alerts_slo_id_fired_at", "slo_id", "fired_at"),)
    id_prefix = "sla"

    slo_id: Mapped[str] = mapped_column(ForeignKey("slos.id", ondelete="CASCADE"))
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), index=True)
    # "<slo>:<severity>" while firing, NULL once resolved: at most one open alert per pair.
    open_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    burn_rates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    peak_burn_rate: Mapped[float | None] = mapped_column(Float)

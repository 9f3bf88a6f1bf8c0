"""Improvements, the actions taken for them, and the reviews that measured them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin


class Improvement(PublicIdMixin, Base):
    """One improvement on ITIL 4's continual improvement model.

    The metric, scope and direction are fixed at creation, with the baseline guardrail measured
    then; the review measures the same metric over the same window length ending at
    ``review_at``. ``outcome`` and ``result`` repeat the latest review for lists.
    """

    __tablename__ = "improvements"
    __table_args__ = (Index("ix_improvements_status_review_at", "status", "review_at"),)
    id_prefix = "imp"

    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200), default="")
    vision: Mapped[str] = mapped_column(Text, default="")
    current_state: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    momentum: Mapped[str] = mapped_column(Text, default="")
    next_review_at: Mapped[datetime | None] = mapped_column(default=None)
    metric: Mapped[str] = mapped_column(String(60))
    metric_label: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(4))
    service: Mapped[str | None] = mapped_column(String(63))
    team: Mapped[str | None] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63), default="production")
    window: Mapped[str] = mapped_column(String(10), default="30d")
    target: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    baseline_samples: Mapped[int] = mapped_column(Integer, default=0)
    baseline_start: Mapped[datetime] = mapped_column()
    baseline_at: Mapped[datetime] = mapped_column()
    review_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    outcome: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[float | None] = mapped_column(Float)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    follows_id: Mapped[str | None] = mapped_column(
        ForeignKey("improvements.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImprovementAction(PublicIdMixin, Base):
    """One step taken ("take action"), with plain references to action items, changes, etc."""

    __tablename__ = "improvement_actions"
    __table_args__ = (Index("ix_improvement_actions_improvement_at", "improvement_id", "at"),)
    id_prefix = "ima"

    improvement_id: Mapped[str] = mapped_column(ForeignKey("improvements.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(String(4000))
    refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(200), default="")


class ImprovementReview(PublicIdMixin, Base):
    """A measurement at a review date ("did we get there?"): one per improvement and date."""

    __tablename__ = "improvement_reviews"
    __table_args__ = (UniqueConstraint("improvement_id", "review_at"),)
    id_prefix = "imr"

    improvement_id: Mapped[str] = mapped_column(
        ForeignKey("improvements.id", ondelete="CASCADE"), index=True
    )
    review_at: Mapped[datetime] = mapped_column()
    window_start: Mapped[datetime] = mapped_column()
    value: Mapped[float | None] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    gap: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")

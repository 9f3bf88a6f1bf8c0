"""The service catalogue."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.store.base import Base, PublicIdMixin, TimestampMixin


class Service(PublicIdMixin, TimestampMixin, Base):
    __tablename__ = "services"
    __table_args__ = (CheckConstraint("tier BETWEEN 1 AND 4", name="tier_range"),)
    id_prefix = "svc"

    name: Mapped[str] = mapped_column(String(63), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    owner_team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    tier: Mapped[int] = mapped_column(Integer, default=3)
    lifecycle: Mapped[str] = mapped_column(String(20), default="production")
    runbook_url: Mapped[str | None] = mapped_column(String(2000))
    repository_url: Mapped[str | None] = mapped_column(String(2000))
    environments: Mapped[list[str]] = mapped_column(JSON, default=list)

"""Problems (and their links to incidents, services and changes), postmortems, action items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
from guardrail.store.base import Base, PublicIdMixin


class Problem(PublicIdMixin, Base):
    """The unknown cause of one or more incidents; a known error once cause and workaround are
    written down; resolved when a change removed the cause."""

    __tablename__ = "problems"
    __table_args__ = (Index("ix_problems_status_updated_at", "status", "updated_at"),)
    id_prefix = "prb"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    known_error_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProblemLink(PublicIdMixin, Base):
    """A problem's incident, service or fixing change (kind + the other record's public id)."""

    __tablename__ = "problem_links"
    __table_args__ = (UniqueConstraint("problem_id", "kind", "ref_id"),)
    id_prefix = "prl"

    problem_id: Mapped[str] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class Postmortem(PublicIdMixin, Base):
    """The blameless write-up of one incident, kept as Markdown; published once it resolved."""

    __tablename__ = "postmortems"
    id_prefix = "pmt"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    problem_id: Mapped[str | None] = mapped_column(
        ForeignKey("problems.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    body: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    required_reason: Mapped[str] = mapped_column(String(500), default="")
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class ActionItem(PublicIdMixin, Base):
    """Work that keeps an incident from happening again, with an owner, a priority and a due date.

    ``export_*`` say where it went (GitHub or GitLab) and how the last attempt fared; the index on
    (service_id, status, priority, due_at) is what the change gate reads, once per decision.
    """

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_gate", "service_id", "status", "priority", "due_at"),
        Index("ix_action_items_external", "tracker", "external_ref"),
    )
    id_prefix = "act"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[str] = mapped_column(String(2), default="P2")
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    postmortem_id: Mapped[str | None] = mapped_column(
        ForeignKey("postmortems.id", ondelete="SET NULL"), index=True
    )
    problem_id: Mapped[str | None] = mapped_column(
        ForeignKey("problems.id", ondelete="SET NULL"), index=True
    )
    service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    tracker: Mapped[str | None] = mapped_column(String(10))
    external_ref: Mapped[str | None] = mapped_column(String(300))
    external_url: Mapped[str | None] = mapped_column(String(2000))
    export_status: Mapped[str] = mapped_column(String(20), default="none")
    export_job_id: Mapped[str | None] = mapped_column(String(40))
    export_error: Mapped[str | None] = mapped_column(String(2000))
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

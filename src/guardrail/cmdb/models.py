"""The service catalogue, configuration items, relations, and the sources that describe them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from guardrail.kit.time import utcnow
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


_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Source(PublicIdMixin, TimestampMixin, Base):
    """A named importer input (``backstage-main``, ``tf-prod``).

    Its newest snapshot is authoritative for the items it describes.
    """

    __tablename__ = "cmdb_sources"
    id_prefix = "src"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(30))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    last_imported_at: Mapped[datetime | None] = mapped_column(default=None)
    last_digest: Mapped[str | None] = mapped_column(String(64))


class ImportRun(PublicIdMixin, Base):
    """One import of a source: what it read, what it changed, what it warned about."""

    __tablename__ = "cmdb_imports"
    id_prefix = "imp"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("cmdb_sources.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ConfigItem(PublicIdMixin, TimestampMixin, Base):
    """A configuration item: the merged view of what every source says about one thing."""

    __tablename__ = "cmdb_items"
    id_prefix = "ci"

    key: Mapped[str] = mapped_column(String(500), unique=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(2000), default="")
    owner: Mapped[str | None] = mapped_column(String(255))
    lifecycle: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    service_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class ItemClaim(Base):
    """What one source says about one item; the item is the merge of its active claims."""

    __tablename__ = "cmdb_item_claims"
    __table_args__ = (UniqueConstraint("source_id", "item_id"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(
        ForeignKey("cmdb_items.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str] = mapped_column(ForeignKey("cmdb_sources.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(500), default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class Relation(Base):
    """A typed relation ``from --type--> to`` as one source states it."""

    __tablename__ = "cmdb_relations"
    __table_args__ = (
        UniqueConstraint("source_id", "from_id", "to_id", "type"),
        Index("ix_cmdb_relations_to_id_type", "to_id", "type"),
        Index("ix_cmdb_relations_from_id_type", "from_id", "type"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("cmdb_sources.id", ondelete="CASCADE"))
    from_id: Mapped[str] = mapped_column(ForeignKey("cmdb_items.id", ondelete="CASCADE"))
    to_id: Mapped[str] = mapped_column(ForeignKey("cmdb_items.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(500), default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)

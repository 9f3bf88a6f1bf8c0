"""Service catalogue and CMDB input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from guardrail.cmdb.enums import Lifecycle

Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=63, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"),
]
EnvName = Annotated[
    str, StringConstraints(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]


class ServiceCreate(BaseModel):
    """A new service. ``name`` is a lowercase slug (letters, digits, dashes), unique."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    display_name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    owner_team: str | None = Field(default=None, max_length=64, description="Team slug or id.")
    tier: int = Field(default=3, ge=1, le=4, description="1 = most critical … 4 = least.")
    lifecycle: Lifecycle = Lifecycle.production
    runbook_url: AnyHttpUrl | None = None
    repository_url: AnyHttpUrl | None = None
    environments: list[EnvName] = Field(default_factory=lambda: ["production"], max_length=50)


class ServiceUpdate(BaseModel):
    """Fields to change on a service; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    owner_team: str | None = Field(default=None, max_length=64)
    tier: int | None = Field(default=None, ge=1, le=4)
    lifecycle: Lifecycle | None = None
    runbook_url: AnyHttpUrl | None = None
    repository_url: AnyHttpUrl | None = None
    environments: list[EnvName] | None = Field(default=None, max_length=50)


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    display_name: str
    description: str
    owner_team_id: str | None
    owner_team: str | None = None
    tier: int
    lifecycle: str
    runbook_url: str | None
    repository_url: str | None
    environments: list[str]
    created_at: datetime
    updated_at: datetime


class ServiceFilter(BaseModel):
    """List filters; every one optional."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(default=None, max_length=64)
    tier: int | None = Field(default=None, ge=1, le=4)
    lifecycle: Lifecycle | None = None
    environment: str | None = Field(default=None, max_length=63)
    q: str | None = Field(default=None, max_length=200, description="Substring of name or title.")


# -- configuration items -------------------------------------------------------------------------


class ImportSummary(BaseModel):
    """What one import changed. Counts are of this source's statements about items and relations."""

    source: str
    import_id: str | None = None
    files: list[str] = Field(default_factory=list)
    created: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0
    unchanged: int = 0
    relations_created: int = 0
    relations_updated: int = 0
    relations_retired: int = 0
    relations_unchanged: int = 0
    services_created: int = 0
    services_updated: int = 0
    warnings: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the import changed anything at all."""
        return any(
            (
                self.created,
                self.updated,
                self.retired,
                self.restored,
                self.relations_created,
                self.relations_updated,
                self.relations_retired,
                self.services_created,
                self.services_updated,
            )
        )


class ImportRequest(BaseModel):
    """One file's content to import as (part of) a named source's newest snapshot."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    filename: str = Field(default="input.yaml", min_length=1, max_length=255)
    content: str = Field(min_length=1, description="The file's text: YAML or JSON.")
    scope: str | None = Field(default=None, max_length=100)
    strict: bool = False
    skip_unknown: bool = False


class ClaimOut(BaseModel):
    """What one source says about an item, and where it said it."""

    source: str
    origin: str
    status: str
    first_seen_at: datetime
    last_seen_at: datetime | None
    data: dict[str, Any]


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    kind: str
    name: str
    title: str
    description: str
    owner: str | None
    lifecycle: str | None
    status: str
    service_id: str | None
    service_ref: str | None
    attributes: dict[str, Any]
    conflicts: list[dict[str, Any]]
    first_seen_at: datetime
    retired_at: datetime | None


class RelationOut(BaseModel):
    """A relation seen from one item: the other end, the type, the direction, the provenance."""

    type: str
    direction: str = Field(description="outgoing: this item is the relation's source")
    item: ItemRef
    source: str
    origin: str
    attributes: dict[str, Any]


class ItemRef(BaseModel):
    id: str
    key: str
    kind: str
    name: str
    status: str = "active"
    service_id: str | None = None


class ItemDetail(ItemOut):
    """An item with its sources' claims and its relations."""

    claims: list[ClaimOut]
    relations: list[RelationOut]
    last_seen_at: datetime | None


class PathStep(BaseModel):
    """One hop of an impact path: ``from --relation--> to`` as a source states it."""

    from_id: str
    relation: str
    to_id: str
    source: str


class ImpactEntry(BaseModel):
    item: ItemRef
    depth: int
    path: list[PathStep]
    explanation: str


class ServiceImpact(BaseModel):
    service_id: str
    name: str
    via: ItemRef
    depth: int
    explanation: str


class ImpactOut(BaseModel):
    """What a change to an item reaches (dependents) and what the item needs (dependencies)."""

    item: ItemRef
    depth: int
    direction: str
    dependents: list[ImpactEntry]
    dependencies: list[ImpactEntry]
    services: list[ServiceImpact]
    truncated: bool = False


class KindCount(BaseModel):
    """How many items of one kind there are, active and retired."""

    kind: str
    active: int = 0
    retired: int = 0


class ImportBrief(BaseModel):
    """A source's newest import, in short."""

    id: str
    at: datetime
    actor: str
    files: int
    summary: dict[str, int]
    warnings: int
    first_warnings: list[str] = Field(
        default_factory=list, description="The first few warnings, each ``where: message``."
    )


class SourceOverview(BaseModel):
    """A source with its merge priority and what its newest import did."""

    id: str
    name: str
    type: str
    priority: int
    last_imported_at: datetime | None
    last_import: ImportBrief | None = None


RelationOut.model_rebuild()

"""Service catalogue input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

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

"""Integrations in and out of the API and CLI."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class IntegrationCreate(BaseModel):
    """A new integration: its type, an optional service it speaks for, and a name."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=2, max_length=40)
    service: str | None = Field(default=None, max_length=63, description="Service name or id")
    name: str | None = Field(default=None, max_length=200)


class IntegrationOut(BaseModel):
    """An integration as listed (never its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    name: str
    service: str | None = None
    secret_hint: str
    routing_key: str | None
    url: str = ""
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class IntegrationCreated(IntegrationOut):
    """The new integration with its secret and setup instructions, shown once."""

    secret: str
    setup: str


class Receipt(BaseModel):
    """What a webhook answers: the stored event, and whether it was a replay."""

    event_id: str
    event_type: str
    duplicate: bool
    status: str

"""Identity input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from guardrail.identity.enums import Role, TeamRole

Handle = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role
    person: str | None = Field(default=None, max_length=64, description="Person handle or id.")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: str
    hint: str
    person_id: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret. It is shown once and cannot be recovered.")


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: Handle
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    timezone: str = Field(default="UTC", max_length=64)


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    handle: str
    name: str
    email: str | None
    timezone: str


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Handle
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person: str = Field(min_length=1, max_length=64, description="Person handle or id.")
    role: TeamRole = TeamRole.member


class MemberOut(BaseModel):
    person_id: str
    handle: str
    name: str
    role: str


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    description: str
    members: list[MemberOut] = Field(default_factory=list)

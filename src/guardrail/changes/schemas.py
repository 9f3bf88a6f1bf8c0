"""Input and output of the change practice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from guardrail.changes.enums import ChangeType, CompletionStatus

LINK_KEYS = ("pull_request", "pipeline_run", "ticket", "merge_request", "commit", "release")
MAX_EVIDENCE_FILES = 20
MAX_EVIDENCE_CHARS = 2_000_000


class EvidenceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300, description="File name, for reasons")
    content: str = Field(max_length=MAX_EVIDENCE_CHARS, description="The file's text")


FactValue = str | int | float | bool


class EvidenceIn(BaseModel):
    """Files (recognised by content) and key/value facts to attach to a change."""

    model_config = ConfigDict(extra="forbid")

    files: list[EvidenceFile] = Field(default_factory=list, max_length=MAX_EVIDENCE_FILES)
    facts: dict[str, FactValue] = Field(default_factory=dict, max_length=100)


class GateRequest(BaseModel):
    """What a pipeline sends to ask whether a change may go ahead."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=63, description="Service name or id")
    environment: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    commit: str | None = Field(default=None, max_length=64, pattern=r"^[0-9A-Za-z._/-]+$")
    version: str | None = Field(default=None, max_length=100)
    type: ChangeType = ChangeType.normal
    model: str | None = Field(default=None, max_length=100, description="Standard change model")
    title: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=4000)
    authors: list[str] = Field(default_factory=list, max_length=100)
    links: dict[str, str] = Field(default_factory=dict)
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    evidence: list[EvidenceFile] = Field(default_factory=list, max_length=MAX_EVIDENCE_FILES)
    facts: dict[str, FactValue] = Field(default_factory=dict, max_length=100)

    @field_validator("links")
    @classmethod
    def _links(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(LINK_KEYS)
        if unknown:
            raise ValueError(f"unknown link {sorted(unknown)}; use {', '.join(LINK_KEYS)}")
        if any(len(v) > 2000 for v in value.values()):
            raise ValueError("links are at most 2000 characters")
        return value

    @field_validator("authors")
    @classmethod
    def _authors(cls, value: list[str]) -> list[str]:
        return [a.strip().lower() for a in value if a.strip()][:100]

    @model_validator(mode="after")
    def _window(self) -> GateRequest:
        if self.planned_end and not self.planned_start:
            raise ValueError("planned_end needs planned_start")
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValueError("planned_end must be after planned_start")
        if self.commit is None and self.version is None and self.idempotency_key is None:
            raise ValueError("give a commit, a version or an idempotency_key")
        return self


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=2000)


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CompletionStatus
    comment: str = Field(default="", max_length=2000)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000)


class PolicyApply(BaseModel):
    """A guardrails file to store, for one service or as the organisation default."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, max_length=63)
    default: bool = False
    source: str = Field(min_length=1, max_length=200_000)
    modules: dict[str, str] = Field(default_factory=dict, max_length=50)
    filename: str = Field(default="guardrails.yaml", max_length=300)

    @model_validator(mode="after")
    def _scope(self) -> PolicyApply:
        if bool(self.service) == self.default:
            raise ValueError("give exactly one of service or default=true")
        return self


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: str
    service_id: str | None
    version: int
    digest: str
    filename: str
    created_by: str
    created_at: datetime
    source: str
    modules: dict[str, str]
    steps: list[dict[str, Any]] = Field(default_factory=list)


class FreezeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)
    starts_at: datetime
    ends_at: datetime
    rrule: str | None = Field(default=None, max_length=500, description="RFC 5545 RRULE")
    environments: list[str] = Field(default_factory=list, max_length=50)
    services: list[str] = Field(default_factory=list, max_length=200)
    tiers: list[int] = Field(default_factory=list, max_length=4)
    allow_emergency: bool = True

    @model_validator(mode="after")
    def _span(self) -> FreezeCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if any(t not in (1, 2, 3, 4) for t in self.tiers):
            raise ValueError("tiers are 1 to 4")
        return self


class FreezeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    environments: list[str]
    services: list[str]
    tiers: list[int]
    allow_emergency: bool
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
    next: list[dict[str, Any]] = Field(default_factory=list)


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name: str
    digest: str
    summary: dict[str, Any]
    added_by: str
    created_at: datetime


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    decision: str
    actor: str
    person_id: str | None
    groups: list[str]
    comment: str
    via: str
    created_at: datetime
    expires_at: datetime | None


class ChangeOut(BaseModel):
    """A change record with its decision, risk, evidence and approvals."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    service: str
    service_id: str
    environment: str
    type: str
    model: str | None
    state: str
    proceed: bool
    title: str
    description: str
    commit_sha: str | None
    version: str | None
    links: dict[str, str]
    authors: list[str]
    requester: str
    idempotency_key: str
    planned_start: datetime | None
    planned_end: datetime | None
    risk_score: int
    risk_level: str
    risk_factors: list[dict[str, Any]]
    decision: str | None
    reasons: list[str]
    trace: list[dict[str, Any]]
    approvals_required: list[dict[str, Any]]
    can_approve: list[str]
    policy: dict[str, Any]
    needs_review: bool
    review_note: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    evidence: list[EvidenceOut]
    approvals: list[ApprovalOut]
    url: str
    created: bool = False


class DecisionOut(BaseModel):
    """The gate's answer, short: what the pipeline does next and why."""

    id: str
    state: str
    decision: str | None
    proceed: bool
    final: bool
    service: str
    environment: str
    risk_level: str
    risk_score: int
    risk_factors: list[dict[str, Any]]
    reasons: list[str]
    can_approve: list[str]
    needs_review: bool
    policy: dict[str, Any]
    url: str
    updated_at: datetime


class ChatLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(default="slack", pattern=r"^slack$")
    external_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Z0-9]+$")
    person: str = Field(min_length=1, max_length=64)

"""Problems, postmortems and action items in and out of the API, CLI and web pages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from guardrail.problems.enums import ActionStatus, Priority, ProblemStatus, Tracker

REF = Field(min_length=4, max_length=40)


class ProblemCreate(BaseModel):
    """Open a problem from incidents (``inc_…``), or proactively with none."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=50000)
    root_cause: str = Field(default="", max_length=50000)
    workaround: str = Field(default="", max_length=50000)
    incidents: list[str] = Field(default_factory=list, max_length=100)
    services: list[str] = Field(
        default_factory=list, max_length=50, description="Service names or ids"
    )


class ProblemUpdate(BaseModel):
    """Change what is known; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=50000)
    root_cause: str | None = Field(default=None, max_length=50000)
    workaround: str | None = Field(default=None, max_length=50000)


class TransitionIn(BaseModel):
    """Move a problem: open -> known_error -> resolved (or back to open)."""

    model_config = ConfigDict(extra="forbid")

    status: ProblemStatus
    note: str = Field(default="", max_length=2000)


class LinkIn(BaseModel):
    """Link an incident (``inc_…``), a service (name or id) or a fixing change (``chg_…``)."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field(min_length=1, max_length=63)


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    ref_id: str
    label: str = ""
    created_at: datetime
    created_by: str


class ProblemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    status: str
    description: str
    root_cause: str
    workaround: str
    known_error_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime


class ProblemDetail(ProblemOut):
    links: list[LinkOut]
    action_items: list[ActionItemOut]
    postmortems: list[str]


class SearchHit(BaseModel):
    """A problem matching a text search, best first."""

    id: str
    title: str
    status: str
    workaround: str
    root_cause: str
    rank: float


class PostmortemDraftIn(BaseModel):
    """Draft (or re-draft) the postmortem of an incident."""

    model_config = ConfigDict(extra="forbid")

    problem: str | None = Field(default=None, max_length=40)
    regenerate: bool = Field(
        default=False, description="Rewrite the body from the incident (discards edits)"
    )


class PostmortemUpdate(BaseModel):
    """Save an edited body; ``version`` is the one edited, so a concurrent edit is refused."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=200000)
    version: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=500)


class PostmortemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    problem_id: str | None
    title: str
    status: str
    body: str
    required: bool
    required_reason: str
    due_at: datetime | None
    version: int
    published_at: datetime | None
    published_by: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str


class ActionItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20000)
    owner: str = Field(default="", max_length=200)
    priority: Priority = Priority.P2
    due_at: datetime | None = None
    postmortem: str | None = Field(default=None, max_length=40)
    problem: str | None = Field(default=None, max_length=40)
    service: str | None = Field(default=None, max_length=63, description="Service name or id")


class ActionItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20000)
    owner: str | None = Field(default=None, max_length=200)
    priority: Priority | None = None
    due_at: datetime | None = None
    status: ActionStatus | None = None


class ActionItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    description: str
    owner: str
    priority: str
    status: str
    due_at: datetime | None
    overdue: bool = False
    postmortem_id: str | None
    problem_id: str | None
    service_id: str | None
    service: str | None = None
    tracker: str | None
    external_ref: str | None
    external_url: str | None
    export_status: str
    export_note: str = ""
    closed_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime


class ExportIn(BaseModel):
    """Export action items to a tracker; ``dry_run`` returns the requests and sends nothing."""

    model_config = ConfigDict(extra="forbid")

    tracker: Tracker
    items: list[str] = Field(min_length=1, max_length=200)
    repository: str | None = Field(
        default=None,
        max_length=300,
        description="owner/name on GitHub, the project path or id on GitLab "
        "(default: from the service's repository URL)",
    )
    dry_run: bool = False


class PlannedRequest(BaseModel):
    """One HTTP request an export sends (the token is never shown)."""

    item: str
    method: str
    url: str
    headers: dict[str, str]
    json_body: dict[str, object] = Field(alias="json")

    model_config = ConfigDict(populate_by_name=True)


class ExportOut(BaseModel):
    dry_run: bool
    requests: list[PlannedRequest]
    queued: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)


ProblemDetail.model_rebuild()

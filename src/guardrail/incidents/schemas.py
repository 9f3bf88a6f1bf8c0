"""Incidents in and out of the API, CLI and web pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardrail.incidents.enums import RollbackMode, Severity


class IncidentCreate(BaseModel):
    """Declare an incident by hand."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=1024)
    severity: Severity = Severity.SEV3
    service: str | None = Field(default=None, max_length=63, description="Service name or id")
    description: str = Field(default="", max_length=20000)
    runbook_url: str | None = Field(default=None, max_length=2000)
    commander: str | None = Field(default=None, max_length=200)
    started_at: datetime | None = None


class ActionIn(BaseModel):
    """An acknowledge / mitigate / resolve / close, with an optional note."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class RolesIn(BaseModel):
    """Name the commander and other roles; an empty name clears a role."""

    model_config = ConfigDict(extra="forbid")

    commander: str | None = Field(default=None, max_length=200)
    roles: dict[str, str] = Field(default_factory=dict, max_length=20)


class SeverityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: Severity
    reason: str = Field(default="", max_length=1000)


class CauseIn(BaseModel):
    """Mark a deployment (``dep_…``) or change (``chg_…``) as the incident's cause."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field(min_length=4, max_length=40)
    note: str = Field(default="", max_length=2000)


class RollbackPolicyIn(BaseModel):
    """A service's automated-rollback policy."""

    model_config = ConfigDict(extra="forbid")

    mode: RollbackMode = RollbackMode.off
    target: str = Field(default="", max_length=100, description="Pipeline target name or id")
    ref: str | None = Field(default=None, max_length=200)
    inputs: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="Pipeline inputs; {service} {environment} {deployment} {version} {sha} "
        "{incident} are filled in",
    )
    suspect_window_minutes: int = Field(default=30, ge=1, le=1440)


class RollbackPolicyOut(BaseModel):
    service: str
    mode: str
    target: str
    ref: str | None
    inputs: dict[str, str]
    suspect_window_minutes: int
    updated_at: datetime
    updated_by: str


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    kind: str
    text: str
    data: dict[str, Any]
    actor: str


class CauseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    ref_id: str
    provenance: str
    note: str
    created_at: datetime
    created_by: str


class RollbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    deployment_id: str
    reason: str
    target: str
    trigger_id: str | None
    change_id: str | None
    created_at: datetime


class IncidentOut(BaseModel):
    """An incident as listed."""

    id: str
    title: str
    status: str
    severity: str
    service: str | None
    source: str
    commander: str | None
    roles: dict[str, str]
    runbook_url: str | None
    alert_count: int
    opened_at: datetime
    started_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    # Who resolved it: a person or token, `slack:<handle>`, or `alerts` when its alerts resolved.
    resolved_by: str | None
    closed_at: datetime | None
    url: str


class AlertBrief(BaseModel):
    id: str
    title: str
    status: str
    severity: str
    sev: str
    fingerprint: str
    labels: dict[str, str]
    starts_at: datetime
    resolved_at: datetime | None
    flaps: int
    event_count: int
    generator_url: str | None


class IncidentDetail(IncidentOut):
    """An incident with everything about it."""

    description: str
    timeline: list[TimelineOut]
    alerts: list[AlertBrief]
    suspects: list[dict[str, Any]]
    causes: list[CauseOut]
    rollbacks: list[RollbackOut]
    budget_consumed: dict[str, float | None]
    hold_until: datetime | None


class IncidentFacts(BaseModel):
    """What the scoreboard and problem management read about one incident."""

    id: str
    service_id: str | None
    severity: str
    status: str
    opened_at: datetime
    started_at: datetime
    first_alert_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    causes: list[CauseOut]

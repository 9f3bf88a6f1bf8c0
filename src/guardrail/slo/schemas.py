"""Input and output models of the slo practice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_FILES = 50
MAX_EVENTS = 10_000


class SpecFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300, description="File name, for error messages")
    content: str = Field(max_length=1024 * 1024)


class ApplyIn(BaseModel):
    """Spec files to validate and store: OpenSLO, Sloth, AlertWindows, budget policies."""

    model_config = ConfigDict(extra="forbid")

    files: list[SpecFile] = Field(min_length=1, max_length=MAX_FILES)
    default_period: str = Field("30d", max_length=10, description="Sloth SLOs' period")
    prometheus_url: str | None = Field(None, max_length=2000)
    dry_run: bool = False


class Applied(BaseModel):
    kind: str  # slo | policy
    id: str | None
    name: str
    service: str
    version: int
    change: str  # created | updated | unchanged | valid (dry run)


class ApplyOut(BaseModel):
    items: list[Applied]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(description="Start of the interval (UTC if no offset)")
    interval_seconds: int = Field(60, ge=1, le=86400)
    good: int = Field(ge=0)
    total: int = Field(ge=0)

    @model_validator(mode="after")
    def _good_within_total(self) -> EventIn:
        if self.good > self.total:
            raise ValueError(f"good ({self.good}) cannot exceed total ({self.total})")
        return self


class EventsIn(BaseModel):
    """Good/total counts per interval; a repeated interval start replaces its counts."""

    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class EventsOut(BaseModel):
    inserted: int
    replaced: int
    unchanged: int


class SloOut(BaseModel):
    id: str
    name: str
    service: str
    display_name: str
    format: str
    source: str
    objective: float
    window: str
    budgeting: str
    version: int
    status: str | None
    evaluated_at: datetime | None
    data_at: datetime | None
    last_error: str | None
    sli: float | None = None
    remaining: float | None = None
    current_burn_rate: float | None = None
    burn_rates: dict[str, float | None] = Field(default_factory=dict)
    exhaustion_seconds: float | None = None
    alerts: list[str] = Field(default_factory=list)


class AlertOut(BaseModel):
    id: str
    slo_id: str
    slo: str
    service: str
    severity: str
    state: str
    fired_at: datetime
    resolved_at: datetime | None
    windows: list[dict[str, Any]]
    burn_rates: dict[str, Any]
    peak_burn_rate: float | None


class VerdictOut(BaseModel):
    state: str
    allowed: bool
    reason: str
    remaining: float | None
    slo: str | None
    policy: str | None
    exempt: bool
    details: dict[str, Any]


class AttainmentRow(BaseModel):
    """Attainment over one span: the SLO window, or a calendar month (the SLA view)."""

    period: str  # "last 28d", "this 1M", or a month "2026-03"
    start: str | None
    end: str | None  # the current month ends now
    sli: float | None  # None: no data in the span
    objective: float
    met: bool | None
    error: str | None = None  # why the source could not say


class ReportOut(BaseModel):
    id: str
    slo: str
    service: str
    source: str
    objective: float
    window: str
    zone: str  # the time zone months are counted in
    rows: list[AttainmentRow]

"""Alerts and alert-integration settings in and out of the API and CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guardrail.incidents.enums import Severity


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    integration_id: str | None
    fingerprint: str
    status: str
    severity: str
    sev: str
    title: str
    labels: dict[str, str]
    service_id: str | None
    incident_id: str | None
    starts_at: datetime
    resolved_at: datetime | None
    last_seen_at: datetime
    event_count: int
    flaps: int


class AlertSettingsIn(BaseModel):
    """An alert integration's grouping, severity map, service label, flap damping, mapping."""

    model_config = ConfigDict(extra="forbid")

    group_by: list[str] = Field(default_factory=list, max_length=20)
    severity_map: dict[str, Severity] = Field(default_factory=dict, max_length=50)
    service_label: str = Field(default="service", min_length=1, max_length=100)
    flap_window_minutes: int = Field(default=15, ge=1, le=1440)
    flap_threshold: int = Field(default=3, ge=1, le=100)
    mapping: dict[str, Any] = Field(default_factory=dict, max_length=30)

    @field_validator("group_by")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]


class AlertSettingsOut(BaseModel):
    integration_id: str
    type: str
    group_by: list[str]
    severity_map: dict[str, str]
    service_label: str
    flap_window_minutes: int
    flap_threshold: int
    mapping: dict[str, Any]

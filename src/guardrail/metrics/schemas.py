"""The scoreboard as the API, the CLI, the pages and the exporter see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Unit = Literal["per_week", "seconds", "ratio", "count"]
Trend = Literal["up", "down", "flat"]


class ScopeIn(BaseModel):
    """Which services, environment and period the scoreboard covers."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, max_length=63)
    team: str | None = Field(default=None, max_length=63)
    environment: str = Field(default="production", min_length=1, max_length=63)
    since: str = Field(default="90d", pattern=r"^\s*\d+\s*[dw]\s*$", description="e.g. 30d, 12w")


class ScopeOut(BaseModel):
    service: str | None
    team: str | None
    environment: str
    since: str
    start: datetime
    end: datetime
    previous_start: datetime
    services: list[str]
    bucket_days: int


class Metric(BaseModel):
    """One figure: its value now, the previous period's, its level and a series for a sparkline."""

    key: str
    label: str
    group: Literal["dora", "itil"]
    unit: Unit
    tracked: bool = True
    value: float | None = None
    display: str = "—"
    previous: float | None = None
    previous_display: str = "—"
    trend: Trend | None = None
    better: Literal["up", "down"] | None = None
    improving: bool | None = None
    level: str | None = None
    series: list[float | None] = Field(default_factory=list)
    samples: int = 0
    note: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)


class Scoreboard(BaseModel):
    scope: ScopeOut
    generated_at: datetime
    bands: str
    dora: list[Metric]
    itil: list[Metric]

    def metric(self, key: str) -> Metric:
        """The metric named ``key``."""
        return next(m for m in [*self.dora, *self.itil] if m.key == key)


class ServiceRow(BaseModel):
    """One service's DORA figures for the per-service table."""

    service: str
    team: str | None
    deployments_per_week: float | None
    lead_time_median: float | None
    change_failure_rate: float | None
    recovery_time_median: float | None
    rework_rate: float | None
    levels: dict[str, str | None]

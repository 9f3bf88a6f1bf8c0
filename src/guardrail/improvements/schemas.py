"""Improvements in and out of the API, CLI and web pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardrail.improvements.enums import ImprovementStatus, Outcome

WINDOW = r"^\s*\d+\s*[dw]\s*$"
TEXT = 20000


class ImprovementCreate(BaseModel):
    """A new improvement: the seven questions, a scoreboard metric, its scope and a target."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(default="", max_length=200)
    vision: str = Field(default="", max_length=TEXT, description="What is the vision?")
    current_state: str = Field(
        default="", max_length=TEXT, description="Where are we now? (beside the measured baseline)"
    )
    plan: str = Field(default="", max_length=TEXT, description="How do we get there?")
    momentum: str = Field(default="", max_length=TEXT, description="How do we keep the momentum?")
    metric: str = Field(min_length=1, max_length=60, description="A scoreboard key, e.g. lead_time")
    service: str | None = Field(default=None, max_length=63, description="Service name or id")
    team: str | None = Field(default=None, max_length=63, description="Owner team slug")
    environment: str = Field(default="production", min_length=1, max_length=63)
    window: str = Field(default="30d", pattern=WINDOW, description="Measured period, e.g. 30d")
    target: float = Field(description="Where do we want to be? In the metric's unit")
    review_at: datetime = Field(description="When guardrail measures whether we got there")
    next_review_at: datetime | None = None


class ImprovementPatch(BaseModel):
    """Change the words, the plan, the target or the review date; move the status by hand."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    vision: str | None = Field(default=None, max_length=TEXT)
    current_state: str | None = Field(default=None, max_length=TEXT)
    plan: str | None = Field(default=None, max_length=TEXT)
    momentum: str | None = Field(default=None, max_length=TEXT)
    next_review_at: datetime | None = None
    target: float | None = None
    review_at: datetime | None = None
    status: ImprovementStatus | None = None


class ActionIn(BaseModel):
    """A step taken, with plain references (action items, changes, deployments…)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    refs: list[str] = Field(default_factory=list, max_length=20)


class ReviewIn(BaseModel):
    """Review now: ``early`` measures before the review date and moves the date to now."""

    model_config = ConfigDict(extra="forbid")

    early: bool = False


class FollowUpIn(BaseModel):
    """A new improvement that carries on from one not achieved (same metric and scope)."""

    model_config = ConfigDict(extra="forbid")

    review_at: datetime
    title: str | None = Field(default=None, min_length=1, max_length=200)
    target: float | None = None
    plan: str | None = Field(default=None, max_length=TEXT)


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    text: str
    refs: list[str]
    actor: str


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    review_at: datetime
    window_start: datetime
    value: float | None
    value_display: str = "—"
    samples: int
    target: float
    outcome: Outcome
    gap: float | None
    gap_display: str = "—"
    summary: str = ""
    created_at: datetime
    created_by: str


class ImprovementOut(BaseModel):
    """An improvement as lists show it: baseline, target and the latest outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    owner: str
    status: ImprovementStatus
    metric: str
    metric_label: str = ""
    unit: str
    direction: str
    service: str | None
    team: str | None
    environment: str
    window: str
    baseline: float
    baseline_display: str = "—"
    baseline_samples: int
    baseline_start: datetime
    baseline_at: datetime
    target: float
    target_display: str = "—"
    review_at: datetime
    outcome: Outcome | None
    result: float | None
    result_display: str = "—"
    result_progress: float | None = Field(
        default=None,
        description="How far the reviewed result went: 0 at the baseline, 1 at the target",
    )
    reviewed_at: datetime | None
    follows_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class Current(BaseModel):
    """The metric now, over the improvement's window ending now (not a review)."""

    value: float | None
    display: str
    samples: int
    at: datetime
    progress: float | None = Field(description="0 at the baseline, 1 at the target")


class ImprovementDetail(ImprovementOut):
    """One improvement with the seven questions, its actions, reviews and follow-ups."""

    vision: str
    current_state: str
    plan: str
    momentum: str
    next_review_at: datetime | None
    current: Current | None = None
    actions: list[ActionOut] = Field(default_factory=list)
    reviews: list[ReviewOut] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list)
    scope: dict[str, Any] = Field(default_factory=dict)


class ReviewResult(BaseModel):
    """What a review did: the measurement, and whether it was recorded now or already."""

    recorded: bool
    review: ReviewOut
    improvement: ImprovementDetail

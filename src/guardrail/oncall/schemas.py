"""The on-call file (schedules, policies, channels, contacts) and what the API returns."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from guardrail.kit.time import parse_duration
from guardrail.oncall.enums import ChannelKind, Rotation
from guardrail.oncall.rotation import WEEKDAYS

NAME = r"^[a-z0-9][a-z0-9._-]{0,99}$"
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_LEVELS = 10
MAX_REPEAT = 9


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def clock(value: str) -> time:
    """``HH:MM`` as a time; raise ValueError otherwise."""
    match = _CLOCK.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def duration(value: str | int) -> timedelta:
    """A duration such as ``5m`` or ``12h``; a bare number is minutes."""
    if isinstance(value, int):
        return timedelta(minutes=value)
    return parse_duration(str(value))


class RestrictionIn(_In):
    """On call only inside this weekly window, e.g. business hours."""

    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    start: str = Field("09:00", alias="from")
    end: str = Field("17:00", alias="to")

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; use mon, tue, wed, thu, fri, sat, sun")
        return days

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        clock(value)
        return value


class LayerIn(_In):
    """A rotation: members take turns of a day, a week or a custom length."""

    name: str = Field("layer", min_length=1, max_length=100)
    rotation: Rotation = Rotation.weekly
    length: str | None = Field(None, description="Custom rotations: 12h, 3d, 2w …")
    start: date = Field(description="The first turn starts on this date at the handoff time.")
    handoff: str = "09:00"
    members: list[str] = Field(min_length=1, max_length=200)
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=14)

    @field_validator("handoff")
    @classmethod
    def _handoff(cls, value: str) -> str:
        clock(value)
        return value

    @model_validator(mode="after")
    def _length(self) -> LayerIn:
        if self.rotation == Rotation.custom:
            if not self.length:
                raise ValueError("a custom rotation needs a length, e.g. 12h or 3d")
            if duration(self.length) < timedelta(hours=1):
                raise ValueError("a custom rotation lasts at least 1h")
        return self


class ScheduleIn(_In):
    name: str = Field(pattern=NAME)
    description: str = Field("", max_length=2000)
    timezone: str = "UTC"
    team: str | None = None
    layers: list[LayerIn] = Field(min_length=1, max_length=20)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
        return value


class TargetIn(_In):
    """Exactly one of person, schedule, team or channel."""

    person: str | None = None
    schedule: str | None = None
    team: str | None = None
    channel: str | None = None

    @model_validator(mode="after")
    def _one(self) -> TargetIn:
        given = [k for k in ("person", "schedule", "team", "channel") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a target names exactly one of person, schedule, team or channel")
        return self


class LevelIn(_In):
    """Page the targets, then wait ``delay`` for an acknowledgement before the next level."""

    delay: str | int = Field("5m", description="How long this level has to acknowledge.")
    targets: list[TargetIn] = Field(min_length=1, max_length=20)

    @field_validator("delay")
    @classmethod
    def _delay(cls, value: str | int) -> str | int:
        if duration(value) < timedelta(0):
            raise ValueError("a delay cannot be negative")
        return value


class PolicyIn(_In):
    name: str = Field(pattern=NAME)
    description: str = Field("", max_length=2000)
    default: bool = False
    services: list[str] = Field(default_factory=list)
    repeat: int = Field(0, ge=0, le=MAX_REPEAT, description="Run the levels again this often.")
    levels: list[LevelIn] = Field(min_length=1, max_length=MAX_LEVELS)


class ChannelIn(_In):
    name: str = Field(pattern=NAME)
    kind: ChannelKind
    url: str | None = Field(None, max_length=2000)
    email: str | None = Field(None, max_length=320)
    secret: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _address(self) -> ChannelIn:
        if self.kind == ChannelKind.email and not self.email:
            raise ValueError("an email channel needs `email`")
        if self.kind != ChannelKind.email and not (self.url or "").startswith(
            ("http://", "https://")
        ):
            raise ValueError(f"a {self.kind} channel needs an http(s) `url`")
        return self


class ContactIn(_In):
    person: str
    email: str | None = Field(None, max_length=320)
    slack_webhook: str | None = Field(None, max_length=2000)
    slack_user: str | None = Field(None, max_length=40)
    webhook: str | None = Field(None, max_length=2000)


class OnCallDocument(_In):
    """What ``guardrail oncall apply FILE`` sends; every section is optional."""

    channels: list[ChannelIn] = Field(default_factory=list)
    contacts: list[ContactIn] = Field(default_factory=list)
    schedules: list[ScheduleIn] = Field(default_factory=list)
    policies: list[PolicyIn] = Field(default_factory=list)


class ApplyIn(_In):
    content: str = Field(max_length=512 * 1024, description="The on-call YAML file.")
    dry_run: bool = False


class AppliedItem(BaseModel):
    kind: str
    name: str
    change: Literal["created", "updated", "unchanged"]
    id: str


class OverrideIn(_In):
    person: str
    starts_at: datetime
    ends_at: datetime
    reason: str = Field("", max_length=500)


class OverrideOut(BaseModel):
    id: str
    schedule: str
    person: str
    starts_at: datetime
    ends_at: datetime
    reason: str


class SegmentOut(BaseModel):
    start: datetime
    end: datetime
    person_id: str | None
    person: str | None
    name: str | None
    source: str


class OnCallNow(BaseModel):
    schedule: str
    schedule_id: str
    timezone: str
    at: datetime
    person_id: str | None
    person: str | None
    name: str | None
    source: str
    until: datetime | None


class ScheduleOut(BaseModel):
    id: str
    name: str
    description: str
    timezone: str
    team_id: str | None
    layers: list[dict[str, Any]]
    overrides: list[OverrideOut] = Field(default_factory=list)


class PolicyOut(BaseModel):
    id: str
    name: str
    description: str
    default: bool
    repeat: int
    version: int
    levels: list[dict[str, Any]]
    services: list[str]


class FeedIn(_In):
    schedule: str | None = None
    person: str | None = None

    @model_validator(mode="after")
    def _one(self) -> FeedIn:
        if bool(self.schedule) == bool(self.person):
            raise ValueError("name either a schedule or a person")
        return self


class FeedOut(BaseModel):
    kind: str
    subject: str
    url: str
    token: str


class RunOut(BaseModel):
    id: str
    incident_id: str
    service_id: str | None
    policy: dict[str, Any]
    status: str
    level: int
    cycle: int
    started_at: datetime
    last_paged_at: datetime | None
    stopped_at: datetime | None
    stop_reason: str


class DeliveryOut(BaseModel):
    id: str
    incident_id: str
    event: str
    level: int
    cycle: int
    target: str
    channel: str
    status: str
    attempts: int
    response_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime

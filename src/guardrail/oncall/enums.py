"""The on-call practice's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class Rotation(StrEnum):
    """How long each member's turn on a layer lasts."""

    daily = "daily"
    weekly = "weekly"
    custom = "custom"


class TargetType(StrEnum):
    """Who an escalation level pages."""

    person = "person"
    schedule = "schedule"
    team = "team"
    channel = "channel"


class ChannelKind(StrEnum):
    """How a notification leaves guardrail."""

    slack = "slack"
    email = "email"
    webhook = "webhook"


class RunStatus(StrEnum):
    """An escalation run's state; only ``active`` runs page."""

    active = "active"
    acknowledged = "acknowledged"
    resolved = "resolved"
    stopped = "stopped"
    exhausted = "exhausted"


class DeliveryStatus(StrEnum):
    """A notification's state on the delivery log."""

    queued = "queued"
    retrying = "retrying"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class FeedKind(StrEnum):
    """What an iCalendar feed shows."""

    schedule = "schedule"
    person = "person"


FINISHED_DELIVERIES = frozenset(
    {DeliveryStatus.sent, DeliveryStatus.failed, DeliveryStatus.cancelled}
)

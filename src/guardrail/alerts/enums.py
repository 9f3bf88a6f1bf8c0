"""The alerts practice's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class AlertStatus(StrEnum):
    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"


class SignalAction(StrEnum):
    """What one signal from a sender asks for."""

    fire = "fire"
    acknowledge = "acknowledge"
    resolve = "resolve"


# The alert types guardrail takes, and the label set each groups by unless told otherwise.
DEFAULT_GROUP_BY: dict[str, list[str]] = {
    "alertmanager": ["alertname"],
    "pagerduty": ["dedup_key"],
    "cdevents": ["incident"],
    "generic": ["alertname"],
    "slo": ["slo"],
}

"""The incidents practice's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    triggered = "triggered"
    acknowledged = "acknowledged"
    mitigated = "mitigated"
    resolved = "resolved"
    closed = "closed"

    @property
    def rank(self) -> int:
        return list(IncidentStatus).index(self)


OPEN_STATUSES = frozenset(
    {IncidentStatus.triggered, IncidentStatus.acknowledged, IncidentStatus.mitigated}
)


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def rank(self) -> int:
        """1 for SEV1 (worst) .. 4."""
        return int(self.value[-1])


# A sender's severity (lower-cased) -> SEV; an integration's severity_map overrides entries.
DEFAULT_SEVERITY_MAP: dict[str, str] = {
    "critical": "SEV1",
    "disaster": "SEV1",
    "p1": "SEV1",
    "page": "SEV2",
    "error": "SEV2",
    "high": "SEV2",
    "major": "SEV2",
    "severe": "SEV2",
    "p2": "SEV2",
    "warning": "SEV3",
    "warn": "SEV3",
    "medium": "SEV3",
    "p3": "SEV3",
    "info": "SEV4",
    "low": "SEV4",
    "ticket": "SEV4",
    "none": "SEV4",
    "p4": "SEV4",
}
UNKNOWN_SEVERITY = "SEV3"


class CauseKind(StrEnum):
    deployment = "deployment"
    change = "change"


class RollbackMode(StrEnum):
    """When a service's deployments are rolled back automatically."""

    off = "off"
    confirmed = "confirmed"  # when someone marks the deployment as the cause
    suspected = "suspected"  # also when it is strongly suspected at the incident's opening


class TimelineKind(StrEnum):
    opened = "opened"
    alert = "alert"
    alert_resolved = "alert_resolved"
    flap = "flap"
    status = "status"
    severity = "severity"
    note = "note"
    role = "role"
    page = "page"
    acknowledgement = "acknowledgement"
    cause = "cause"
    rollback = "rollback"
    change = "change"
    escalation = "escalation"

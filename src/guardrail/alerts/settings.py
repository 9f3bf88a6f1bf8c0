"""Each alert integration's settings: grouping labels, severity map, service label, flap damping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.alerts import repository
from guardrail.alerts.enums import DEFAULT_GROUP_BY
from guardrail.alerts.models import AlertSettings
from guardrail.incidents.enums import DEFAULT_SEVERITY_MAP, UNKNOWN_SEVERITY

DEFAULT_FLAP_WINDOW = timedelta(minutes=15)
DEFAULT_FLAP_THRESHOLD = 3


@dataclass(frozen=True)
class Origin:
    """Where signals come from: an integration (or a built-in source such as SLO burn alerts)."""

    type: str
    integration_id: str | None = None
    service_id: str | None = None
    name: str = ""

    def open_key(self, fingerprint: str) -> str:
        """The key an open alert holds: one open alert per sender and fingerprint."""
        return f"{self.integration_id or self.type}:{fingerprint}"[:400]


@dataclass(frozen=True)
class Conf:
    """Effective settings: the integration's own, over the defaults of its type."""

    group_by: list[str]
    severity_map: dict[str, str]
    service_label: str = "service"
    flap_window: timedelta = DEFAULT_FLAP_WINDOW
    flap_threshold: int = DEFAULT_FLAP_THRESHOLD
    mapping: dict[str, Any] = field(default_factory=dict)

    def sev(self, severity: str) -> str:
        """SEV1..SEV4 for a sender's severity."""
        return self.severity_map.get(severity.strip().lower(), UNKNOWN_SEVERITY)


def conf_for(session: Session, origin: Origin) -> Conf:
    """The effective settings for signals from ``origin``."""
    row = repository.settings(session, origin.integration_id) if origin.integration_id else None
    return conf_of(origin.type, row)


def conf_of(itype: str, row: AlertSettings | None) -> Conf:
    """Defaults of ``itype`` with ``row``'s overrides."""
    defaults = Conf(
        group_by=list(DEFAULT_GROUP_BY.get(itype, ["alertname"])),
        severity_map=dict(DEFAULT_SEVERITY_MAP),
    )
    if row is None:
        return defaults
    return Conf(
        group_by=list(row.group_by) or defaults.group_by,
        severity_map={
            **defaults.severity_map,
            **{k.lower(): v for k, v in row.severity_map.items()},
        },
        service_label=row.service_label or "service",
        flap_window=timedelta(seconds=row.flap_window_seconds),
        flap_threshold=row.flap_threshold,
        mapping=dict(row.mapping),
    )

"""Background work: settle flap-held incidents, and turn SLO page alerts into alerts/incidents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.alerts import service as alerts
from guardrail.alerts.enums import SignalAction
from guardrail.alerts.settings import Origin
from guardrail.alerts.signals import Signal
from guardrail.incidents import service
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.slo.jobs import ALERT_SINKS, AlertEvent
from guardrail.store.outbox import periodic

SETTLE_EVERY = timedelta(seconds=60)


@periodic("incidents.settle", every=SETTLE_EVERY)
def settle(session: Session, payload: dict[str, Any]) -> None:
    """Resolve incidents held for flapping whose alerts stayed quiet for the flap window."""
    service.settle_held(session, Actor.system("incidents.settle"), utcnow())


def slo_sink(session: Session, event: AlertEvent) -> None:
    """Page-level SLO burn alerts become alerts (and so incidents) of the SLO's service."""
    if event.severity != "page":
        return
    action = SignalAction.fire if event.action == "fired" else SignalAction.resolve
    signal = Signal(
        action=action,
        fingerprint=f"slo:{event.slo_id}:{event.severity}",
        title=event.summary or f"{event.service} SLO {event.slo} is burning its error budget",
        severity="page",
        labels={"slo": event.slo, "service": event.service, "alertname": "SLOBurnRate"},
        annotations={"remaining": str(event.remaining), "burn_rates": str(event.burn_rates)},
        starts_at=event.at,
    )
    origin = Origin(type="slo", service_id=event.service_id, name="slo burn-rate alerts")
    alerts.ingest(session, origin, [signal], now=event.at)


if slo_sink not in ALERT_SINKS:
    ALERT_SINKS.append(slo_sink)

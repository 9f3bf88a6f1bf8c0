"""Scheduled SLO evaluation, and the hook through which burn-rate alerts leave the practice.

``slo.evaluate`` runs every minute on one worker: it evaluates every SLO, stores budget snapshots
for the burn-down charts, and raises or resolves burn-rate alerts, deduplicated (at most one open
alert per SLO and severity).

``ALERT_SINKS``: functions called with ``(session, event)`` each time an alert fires or resolves,
in the evaluation's transaction. The incident practice appends one to open and resolve incidents
for page alerts. A sink must not call out over the network; it writes rows or enqueues an outbox
job (``guardrail.store.outbox.enqueue``), which then runs after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.kit.time import utcnow
from guardrail.store.outbox import periodic

EVALUATE_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class AlertEvent:
    """A burn-rate alert that fired or resolved, as sinks receive it."""

    action: str  # "fired" | "resolved"
    alert_id: str
    slo_id: str
    slo: str
    service_id: str
    service: str
    severity: str  # "page" | "ticket"
    at: datetime
    burn_rates: dict[str, float | None] = field(default_factory=dict)
    windows: list[dict[str, Any]] = field(default_factory=list)
    remaining: float | None = None
    summary: str = ""


AlertSink = Callable[[Session, AlertEvent], None]
ALERT_SINKS: list[AlertSink] = []


@periodic("slo.evaluate", every=EVALUATE_EVERY)
def evaluate(session: Session, payload: dict[str, Any]) -> None:
    """Evaluate every SLO once (one cycle)."""
    from guardrail.slo.evaluate import evaluate_all

    evaluate_all(session, utcnow())

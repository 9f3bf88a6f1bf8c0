"""CDEvents incident events (``dev.cdevents.incident.detected|reported|resolved``) -> signals.

Binary and structured CloudEvents modes arrive through the cdevents integration; this reads the
CDEvent itself. The incident's ``subject.id`` (with the context source) is the fingerprint, so a
``resolved`` event resolves what ``detected`` opened.
"""

from __future__ import annotations

from typing import Any

from guardrail.alerts.enums import SignalAction
from guardrail.alerts.signals import Signal
from guardrail.integrations.inbound.core.payload import dig, parse_time, text

_ACTIONS = {
    "detected": SignalAction.fire,
    "reported": SignalAction.fire,
    "resolved": SignalAction.resolve,
}


def signal_of(event_type: str, body: dict[str, Any]) -> Signal | None:
    """The signal a CDEvents incident event carries; None for other predicates."""
    parts = event_type.split(".")
    action = _ACTIONS.get(parts[3]) if len(parts) > 3 else None
    if action is None:
        return None
    event = body["data"] if "specversion" in body and isinstance(body.get("data"), dict) else body
    subject: dict[str, Any] = event.get("subject") or {}
    content: dict[str, Any] = subject.get("content") or {}
    source = text(dig(event, "context", "source") or subject.get("source"), 200)
    incident = text(subject.get("id"), 200) or "incident"
    service = text(dig(content, "service", "id"), 63)
    labels = {"incident": incident, "alertname": "cdevents incident"}
    if service:
        # Catalogue names are lower case (``myApp`` is the service ``myapp``).
        labels["service"] = service.rstrip("/").rsplit("/", 1)[-1].lower()
    environment = text(dig(content, "environment", "id"), 63)
    if environment:
        labels["environment"] = environment
    raw_custom = event.get("customData")
    custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
    return Signal(
        action=action,
        fingerprint=f"{source}#{incident}"[:255],
        title=text(content.get("description"), 1024) or f"incident {incident}",
        severity=text(custom.get("severity"), 40),
        labels=labels,
        annotations={str(k): text(v, 4000) for k, v in custom.items()},
        starts_at=parse_time(dig(event, "context", "timestamp")),
        runbook_url=text(content.get("ticketURI"), 2000) or None,
    )

"""Generic JSON -> signals through the integration's declared mapping (``alert_settings.mapping``).

Mapping keys (each a dotted path into the JSON, all optional): ``alerts`` (a list of alerts; absent
means the body is one alert), ``fingerprint``, ``status``, ``title``, ``severity``, ``labels``,
``runbook_url``, ``starts_at``, ``service``; and ``resolved_values`` / ``acknowledged_values``
(status values meaning resolved / acknowledged; anything else fires).
"""

from __future__ import annotations

from typing import Any

from guardrail.alerts.enums import SignalAction
from guardrail.alerts.signals import Signal, labels_fingerprint, runbook_of, string_labels
from guardrail.integrations.inbound.core.payload import dig, json_body, parse_time, text
from guardrail.integrations.inbound.core.types import BadDelivery

DEFAULTS: dict[str, Any] = {
    "fingerprint": "fingerprint",
    "status": "status",
    "title": "title",
    "severity": "severity",
    "labels": "labels",
    "runbook_url": "runbook_url",
    "starts_at": "starts_at",
    "service": "service",
    "resolved_values": ["resolved", "ok", "closed", "recovered"],
    "acknowledged_values": ["acknowledged", "ack"],
}


def at(data: Any, path: str | None) -> Any:
    """The value at a dotted path (``a.b.c``), or None."""
    return dig(data, *path.split(".")) if path else None


def parse(body: bytes, mapping: dict[str, Any]) -> list[Signal]:
    """The alerts the body holds, read through ``mapping``."""
    data = json_body(body)
    spec = {**DEFAULTS, **mapping}
    items = at(data, spec.get("alerts")) if spec.get("alerts") else [data]
    if not isinstance(items, list):
        raise BadDelivery(f"the mapping's `alerts` path {spec['alerts']!r} is not a list here")
    return [_signal(item, spec) for item in items if isinstance(item, dict)]


def _signal(item: dict[str, Any], spec: dict[str, Any]) -> Signal:
    labels = string_labels(at(item, spec["labels"]))
    service = at(item, spec["service"])
    if service:
        labels.setdefault("service", text(service, 63))
    title = text(at(item, spec["title"]) or item.get("summary") or labels.get("alertname"), 1024)
    labels.setdefault("alertname", title[:200] or "alert")
    status = str(at(item, spec["status"]) or "firing").lower()
    action = (
        SignalAction.resolve
        if status in spec["resolved_values"]
        else SignalAction.acknowledge
        if status in spec["acknowledged_values"]
        else SignalAction.fire
    )
    return Signal(
        action=action,
        fingerprint=text(at(item, spec["fingerprint"]), 255) or labels_fingerprint(labels),
        title=title or "alert",
        severity=text(at(item, spec["severity"]), 40),
        labels=labels,
        annotations={},
        starts_at=parse_time(at(item, spec["starts_at"])),
        runbook_url=text(at(item, spec["runbook_url"]), 2000) or runbook_of(item),
    )

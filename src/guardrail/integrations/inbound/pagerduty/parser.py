"""PagerDuty events -> signals (alert events) and change facts (change events)."""

from __future__ import annotations

from typing import Any

from guardrail.alerts.enums import SignalAction
from guardrail.alerts.signals import Signal, runbook_of
from guardrail.integrations.inbound.core.payload import parse_time, text
from guardrail.integrations.inbound.pagerduty.validate import derived_dedup_key, load

_ACTIONS = {
    "trigger": SignalAction.fire,
    "acknowledge": SignalAction.acknowledge,
    "resolve": SignalAction.resolve,
}
_LABEL_FIELDS = ("source", "component", "group", "class", "severity")


def signal(body: bytes) -> Signal:
    """The signal one stored (already validated) alert event carries."""
    data = load(body)
    raw_payload = data.get("payload")
    payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
    key = data.get("dedup_key") or derived_dedup_key(body)
    labels = {"dedup_key": str(key)[:255]}
    labels.update({f: text(payload.get(f), 255) for f in _LABEL_FIELDS if payload.get(f)})
    details = payload.get("custom_details")
    annotations: dict[str, Any] = {k: text(v, 4000) for k, v in _flat(details).items()}
    for name in ("client", "client_url"):
        if data.get(name):
            annotations[name] = text(data[name], 2000)
    return Signal(
        action=_ACTIONS[data["event_action"]],
        fingerprint=str(key)[:255],
        title=text(payload.get("summary"), 1024) or f"{data['event_action']} {key}",
        severity=text(payload.get("severity"), 40),
        labels=labels,
        annotations=annotations,
        starts_at=parse_time(payload.get("timestamp")),
        generator_url=text(data.get("client_url"), 2000) or None,
        runbook_url=runbook_of(annotations) or _runbook_link(data.get("links")),
    )


def _flat(details: Any) -> dict[str, Any]:
    if isinstance(details, dict):
        return {str(k)[:200]: v for k, v in details.items()}
    return {"details": details} if details is not None else {}


def _runbook_link(links: Any) -> str | None:
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and "runbook" in str(link.get("text", "")).lower():
            return text(link.get("href"), 2000) or None
    return None


def change(body: bytes) -> dict[str, Any]:
    """A change event's summary, time, source, details and first link."""
    data = load(body)
    payload = data.get("payload") or {}
    links = [x for x in data.get("links") or [] if isinstance(x, dict)]
    details = payload.get("custom_details")
    return {
        "summary": text(payload.get("summary"), 300),
        "timestamp": parse_time(payload.get("timestamp")),
        "source": text(payload.get("source"), 200),
        "details": details if isinstance(details, dict) else {},
        "link": text(links[0].get("href"), 2000) if links else "",
    }

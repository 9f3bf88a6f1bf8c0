"""Alertmanager webhook v4 -> signals. Lenient where real senders differ (no groupKey, no
fingerprint, no per-alert status), strict where nothing could be done (no ``alerts`` list)."""

from __future__ import annotations

from typing import Any

from guardrail.alerts.enums import SignalAction
from guardrail.alerts.signals import Signal, labels_fingerprint, runbook_of, string_labels
from guardrail.integrations.inbound.core.payload import json_body, parse_time, text
from guardrail.integrations.inbound.core.types import BadDelivery

MAX_ALERTS = 10_000
_STATUSES = {"firing": SignalAction.fire, "resolved": SignalAction.resolve}


def parse(body: bytes) -> tuple[dict[str, Any], list[Signal]]:
    """The notification and its alerts as signals; BadDelivery lists every problem found."""
    data = json_body(body)
    errors = _envelope_errors(data)
    raw_alerts = data.get("alerts")
    alerts: list[Any] = raw_alerts if isinstance(raw_alerts, list) else []
    signals: list[Signal] = []
    for index, raw in enumerate(alerts[:MAX_ALERTS]):
        problem = _alert_error(raw, data)
        if problem:
            errors.append(f"alerts[{index}]: {problem}")
            continue
        signals.append(_signal(raw, data))
    if errors:
        raise BadDelivery(
            "not an Alertmanager webhook (version 4): " + "; ".join(errors[:5]),
            extra={"errors": errors[:50]},
        )
    return data, signals


def _envelope_errors(data: dict[str, Any]) -> list[str]:
    errors = []
    version = data.get("version")
    if version is not None and str(version) != "4":
        errors.append(f"version is {version!r}; guardrail reads version 4")
    if not isinstance(data.get("alerts"), list):
        errors.append("`alerts` must be a list of alerts")
    elif len(data["alerts"]) > MAX_ALERTS:
        errors.append(f"at most {MAX_ALERTS} alerts per notification")
    status = data.get("status")
    if status is not None and status not in _STATUSES:
        errors.append(f"status is {status!r}; expected firing or resolved")
    return errors


def _alert_error(raw: Any, data: dict[str, Any]) -> str | None:
    if not isinstance(raw, dict):
        return "each alert must be an object"
    if not isinstance(raw.get("labels"), dict) or not raw["labels"]:
        return "`labels` must be a non-empty object"
    status = raw.get("status", data.get("status"))
    if status not in _STATUSES:
        return f"status is {status!r}; expected firing or resolved"
    if raw.get("annotations") is not None and not isinstance(raw["annotations"], dict):
        return "`annotations` must be an object"
    return None


def _signal(raw: dict[str, Any], data: dict[str, Any]) -> Signal:
    labels = {**string_labels(data.get("commonLabels")), **string_labels(raw["labels"])}
    annotations = {**(data.get("commonAnnotations") or {}), **(raw.get("annotations") or {})}
    ends_at = parse_time(raw.get("endsAt"))
    if ends_at is not None and ends_at.year < 2:
        ends_at = None  # Go's zero time: "not ended"
    fingerprint = text(raw.get("fingerprint"), 200) or labels_fingerprint(
        string_labels(raw["labels"])
    )
    return Signal(
        action=_STATUSES[str(raw.get("status", data.get("status")))],
        fingerprint=fingerprint,
        title=text(annotations.get("summary") or labels.get("alertname") or "alert", 1024),
        severity=labels.get("severity", ""),
        labels=labels,
        annotations={str(k): text(v, 4000) for k, v in annotations.items()},
        starts_at=parse_time(raw.get("startsAt")),
        ends_at=ends_at,
        generator_url=text(raw.get("generatorURL"), 2000) or None,
        runbook_url=runbook_of(annotations),
    )

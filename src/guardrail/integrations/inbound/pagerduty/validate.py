"""PagerDuty Events API v2 validation: the rules and answers PagerDuty documents, so that tools
already wired to PagerDuty can point at guardrail unchanged."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from guardrail.integrations.inbound.core.payload import body_digest, parse_time

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024

INVALID = "invalid event"
INVALID_MESSAGE = "Event object is invalid"


@dataclass(frozen=True)
class Checked:
    """A checked event: its JSON, the errors found, and the dedup key it answers with."""

    data: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    dedup_key: str | None = None


class Unrecognized(Exception):
    """The body is not a JSON object at all (PagerDuty: "Unrecognized object")."""


def load(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or Unrecognized."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unrecognized("JSON parse error") from exc
    if not isinstance(data, dict):
        raise Unrecognized("Event object must be a JSON object")
    return data


def derived_dedup_key(body: bytes) -> str:
    """The key of a trigger sent without one: derived from the body, so a replay of the same
    delivery answers with the same key (and is recognised as a replay)."""
    return str(uuid.UUID(hex=body_digest(body)[7:39]))


def check_event(data: dict[str, Any], body: bytes) -> Checked:
    """Every reason ``data`` is not a valid alert event, and the dedup key it would get."""
    errors = _routing_key_errors(data)
    action = data.get("event_action")
    if _blank(action):
        errors.append("'event_action' is missing or blank")
    elif action not in ACTIONS:
        errors.append(f"'event_action' is invalid (must be one of: {', '.join(ACTIONS)})")
    errors += _dedup_errors(data.get("dedup_key"), action)
    if action == "trigger":
        errors += _payload_errors(data.get("payload"), full=True)
    errors += _context_errors(data)
    key = data.get("dedup_key") if isinstance(data.get("dedup_key"), str) else None
    if action == "trigger" and _blank(key):
        key = derived_dedup_key(body)
    return Checked(data, errors, key)


def check_change(data: dict[str, Any]) -> Checked:
    """Every reason ``data`` is not a valid change event."""
    errors = _routing_key_errors(data) + _payload_errors(data.get("payload"), full=False)
    return Checked(data, errors + _context_errors(data))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _routing_key_errors(data: dict[str, Any]) -> list[str]:
    key = data.get("routing_key")
    if _blank(key):
        return ["'routing_key' is missing or blank"]
    if not isinstance(key, str) or len(key) != ROUTING_KEY_LENGTH:
        return [f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"]
    return []


def _dedup_errors(key: Any, action: Any) -> list[str]:
    if _blank(key):
        return ["'dedup_key' is missing or blank"] if action in ("acknowledge", "resolve") else []
    if not isinstance(key, str):
        return ["'dedup_key' must be a string"]
    if len(key) > MAX_DEDUP_KEY:
        return [f"'dedup_key' is too long (maximum is {MAX_DEDUP_KEY} characters)"]
    return []


def _payload_errors(payload: Any, *, full: bool) -> list[str]:
    if not isinstance(payload, dict):
        return [
            "'payload' is missing or blank" if payload is None else "'payload' must be an object"
        ]
    errors = []
    summary = payload.get("summary")
    if _blank(summary) or not isinstance(summary, str):
        errors.append("'payload.summary' is missing or blank")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is too long (maximum is {MAX_SUMMARY} characters)")
    if full:
        if _blank(payload.get("source")):
            errors.append("'payload.source' is missing or blank")
        severity = payload.get("severity")
        if _blank(severity):
            errors.append("'payload.severity' is missing or blank")
        elif severity not in SEVERITIES:
            errors.append(
                f"'payload.severity' is invalid (must be one of: {', '.join(SEVERITIES)})"
            )
    stamp = payload.get("timestamp")
    if not _blank(stamp) and (not isinstance(stamp, str) or parse_time(stamp) is None):
        errors.append("'payload.timestamp' is not a valid ISO 8601 timestamp")
    return errors


def _context_errors(data: dict[str, Any]) -> list[str]:
    errors = []
    for name, required in (("links", "href"), ("images", "src")):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            errors.append(f"'{name}' must be an array")
            continue
        for index, item in enumerate(value):
            if not isinstance(item, dict) or _blank(item.get(required)):
                errors.append(f"'{name}[{index}].{required}' is missing or blank")
    return errors

"""Reading JSON deliveries leniently: bodies, nested fields, and the timestamps sources send."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from guardrail.integrations.inbound.core.types import BadDelivery


def json_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; BadDelivery says where it is malformed."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadDelivery(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadDelivery(f"the body must be a JSON object, not {type(data).__name__}")
    return data


def dig(data: Any, *path: str) -> Any:
    """``data[a][b]…``, or None where any step is missing or not a mapping."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def text(value: Any, limit: int = 1000) -> str:
    return "" if value is None else str(value)[:limit]


_FORMATS = ("%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S %z")


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` or offset), GitLab's ``2016-08-12 15:23:28 UTC`` / ``… +0200``, or epoch
    seconds; None when absent or unreadable (a bad timestamp must not lose the event)."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    raw = str(value).strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = _strptime(raw)
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _strptime(raw: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def body_digest(body: bytes) -> str:
    """A dedup key for senders that name no delivery id: the body's SHA-256."""
    return "sha256:" + hashlib.sha256(body).hexdigest()

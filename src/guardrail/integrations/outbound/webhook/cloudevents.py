"""CloudEvents 1.0 envelopes for incident notifications, and posting them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import httpx

from guardrail.kit.time import isoformat

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SOURCE = "/guardrail/oncall"
SIGNATURE_HEADER = "X-Guardrail-Signature-256"


def envelope(
    event_id: str, event_type: str, subject: str, time: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """A structured-mode CloudEvent (spec 1.0) with a JSON ``data``."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": SOURCE,
        "type": event_type,
        "subject": subject,
        "time": isoformat(time),
        "datacontenttype": "application/json",
        "data": data,
    }


def post(
    url: str, event: dict[str, Any], *, secret: str | None, timeout: float = 10
) -> httpx.Response:
    """POST the event; signed ``sha256=<hmac of the body>`` when the channel has a secret."""
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": CONTENT_TYPE, "Idempotency-Key": str(event["id"])}
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = f"sha256={digest}"
    return httpx.post(url, content=body, headers=headers, timeout=timeout)

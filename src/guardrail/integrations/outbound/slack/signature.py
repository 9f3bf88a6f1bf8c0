"""Slack's v0 request signatures: HMAC-SHA256 over ``v0:{timestamp}:{raw body}``."""

from __future__ import annotations

import hashlib
import hmac
import time

REPLAY_WINDOW = 300  # seconds; Slack's documentation says to refuse older requests


class BadSignature(Exception):
    """The request is not from Slack, or too old to trust."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``v0=…`` signature Slack sends for ``body`` at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
) -> None:
    """Raise BadSignature unless the request is signed with ``secret`` and recent."""
    if not timestamp or not signature:
        raise BadSignature("X-Slack-Request-Timestamp and X-Slack-Signature are required")
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise BadSignature("X-Slack-Request-Timestamp is not a Unix time") from exc
    current = time.time() if now is None else now
    if abs(current - sent) > REPLAY_WINDOW:
        raise BadSignature("the request is older than five minutes (or from the future)")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise BadSignature("the signature does not match the body")

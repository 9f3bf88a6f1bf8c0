"""Reading Slack's block_actions payloads into the change action they ask for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from guardrail.integrations.outbound.slack.messages import APPROVE, REJECT


class BadPayload(Exception):
    pass


@dataclass(frozen=True)
class ButtonPress:
    """Someone pressed approve or reject on a change."""

    action: str  # "approve" or "reject"
    change_id: str
    user_id: str
    user_name: str


def parse(body: bytes) -> ButtonPress | None:
    """The button press in a form-encoded ``payload=…`` body; None for other interactions."""
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    raw = fields.get("payload", [None])[0]
    if raw is None:
        raise BadPayload("the body has no `payload` field")
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadPayload("the payload is not JSON") from exc
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions") or []
    user = payload.get("user") or {}
    if not actions or not isinstance(actions[0], dict) or not user.get("id"):
        raise BadPayload("block_actions without an action or a user")
    action = actions[0]
    verb = {APPROVE: "approve", REJECT: "reject"}.get(action.get("action_id", ""))
    if verb is None:
        return None
    return ButtonPress(
        verb,
        str(action.get("value", "")),
        str(user["id"]),
        str(user.get("username") or user.get("name") or user["id"]),
    )

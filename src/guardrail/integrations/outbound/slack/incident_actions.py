"""Incident buttons pressed in Slack: ``incident.acknowledge`` / ``incident.resolve``.

The interactivity endpoint (api/routes/slack_interactions.py) verifies Slack's signature and its
timestamp first, then hands the body here; anything that is not an incident button is left to the
change buttons' parser. The press acknowledges or resolves the incident through the incidents
practice, which stops the escalation; without that practice, the escalation is stopped directly.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from guardrail.errors import GuardrailError
from guardrail.identity.enums import Role
from guardrail.integrations.outbound.slack import client
from guardrail.integrations.outbound.slack.incident_messages import (
    ACKNOWLEDGE,
    RESOLVE,
    interaction_reply,
)
from guardrail.kit.context import Actor
from guardrail.oncall import service as oncall
from guardrail.store.session import Database

VERBS = {ACKNOWLEDGE: "acknowledge", RESOLVE: "resolve"}


@dataclass(frozen=True)
class IncidentPress:
    """Someone pressed Acknowledge or Resolve on an incident page."""

    action: str  # "acknowledge" or "resolve"
    incident_id: str
    user_id: str
    user_name: str


def parse(body: bytes) -> IncidentPress | None:
    """The incident button press in a ``payload=…`` body; None for anything else."""
    raw = parse_qs(body.decode("utf-8", errors="replace")).get("payload", [None])[0]
    try:
        payload: Any = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions, user = payload.get("actions") or [], payload.get("user") or {}
    if not actions or not isinstance(actions[0], dict) or not isinstance(user, dict):
        return None
    verb = VERBS.get(str(actions[0].get("action_id", "")))
    incident_id = str(actions[0].get("value") or "")
    if verb is None or not incident_id or not user.get("id"):
        return None
    name = str(user.get("username") or user.get("name") or user["id"])
    return IncidentPress(verb, incident_id, str(user["id"]), name)


def act(db: Database, press: IncidentPress, request_id: str) -> dict[str, Any]:
    """Acknowledge or resolve the incident; the reply Slack shows in the channel.

    A press by a linked Slack user is recorded as that person (``slack:<handle>``, the actor's
    name everywhere it is written); an unlinked user, where allowed, as
    ``slack:<username> (unlinked <user id>)`` so nobody can pass for a person by their Slack name.
    """
    try:
        with db.unit_of_work() as session:
            person = oncall.person_for_slack_user(session, press.user_id)
            if person is None and client.settings().linked_users_only:
                return interaction_reply(
                    f"Not done: Slack user {press.user_id} is not linked to a guardrail person. "
                    f"Add `slack_user: {press.user_id}` to your contacts in the on-call file "
                    "(`guardrail oncall apply`), or acknowledge in guardrail itself.",
                    ephemeral=True,
                )
            if person is not None:
                who, by = person.handle, f"slack:{person.handle}"
            else:
                who, by = press.user_name, f"slack:{press.user_name} (unlinked {press.user_id})"
            actor = Actor(
                name=by,
                role=Role.engineer.value,
                person_id=person.id if person is not None else None,
                request_id=request_id,
            )
            _apply(session, actor, press)
    except GuardrailError as exc:
        return interaction_reply(f"Not done: {exc.detail}", ephemeral=True)
    verb = "acknowledged" if press.action == "acknowledge" else "resolved"
    return interaction_reply(f"{who} {verb} incident {press.incident_id}.")


def incidents_service() -> Any:
    """The incidents practice's service module, or None where it is not installed."""
    try:
        return importlib.import_module("guardrail.incidents.service")
    except ImportError:
        return None


def _apply(session: Any, actor: Actor, press: IncidentPress) -> None:
    by = actor.name
    action = getattr(incidents_service(), press.action, None)
    if action is not None:
        action(session, actor, press.incident_id, via="slack", by=by)
        return
    # The incidents practice is not installed: stop the page escalation at least.
    reason = f"{'acknowledged' if press.action == 'acknowledge' else 'resolved'} in Slack by {by}"
    oncall.stop_escalation(session, actor, incident_id=press.incident_id, reason=reason)

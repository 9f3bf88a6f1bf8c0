"""Block Kit messages for incidents: the page (with Acknowledge and Resolve buttons) and updates."""

from __future__ import annotations

from typing import Any

import httpx

ACKNOWLEDGE = "incident.acknowledge"
RESOLVE = "incident.resolve"
MAX_TEXT = 2900  # a section's text is limited to 3000 characters
MAX_SUSPECTS = 5


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: Any) -> str:
    """Text safe inside mrkdwn: Slack treats &, < and > as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: Any, label: Any) -> str:
    if not url:
        return escape(label)
    return f"<{escape(url)}|{escape(label).replace('|', '¦')}>"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text)}}


def incident_page(
    incident_id: str, title: str, severity: str, summary: dict[str, Any], *, level: int = 1
) -> dict[str, Any]:
    """The page: what broke, the runbook, suspect changes, and the two buttons."""
    service = summary.get("service") or "no service"
    sev = (severity or "").upper()
    blocks = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(f"{sev} {title}".strip(), 150)},
        },
        _section(
            f"*{_link(summary.get('incident_url'), incident_id)}* · service *{escape(service)}* · "
            f"status *{escape(summary.get('status') or 'triggered')}* · escalation level {level}"
        ),
        _section(_runbook(summary)),
        _section(_suspects(summary)),
        {
            "type": "actions",
            "block_id": f"incident:{incident_id}",
            "elements": [
                _button(ACKNOWLEDGE, "Acknowledge", incident_id, "primary"),
                _button(RESOLVE, "Resolve", incident_id, "danger"),
            ],
        },
    ]
    alerts = summary.get("alerts") or []
    if alerts:
        blocks.insert(
            4,
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _cut(
                            f"{len(alerts)} alert(s): "
                            + ", ".join(escape(_alert_name(a)) for a in alerts[:10]),
                            2000,
                        ),
                    }
                ],
            },
        )
    fallback = f"{sev} {title} ({incident_id}, {service})".strip()
    return {"text": _cut(fallback, 3000), "blocks": blocks}


def _alert_name(alert: Any) -> str:
    if isinstance(alert, dict):
        return str(alert.get("name") or alert.get("title") or alert.get("id") or "alert")
    return str(alert)


def _runbook(summary: dict[str, Any]) -> str:
    url = summary.get("runbook_url")
    return f"*Runbook:* {_link(url, url)}" if url else "*Runbook:* none on record for this service"


def _suspects(summary: dict[str, Any]) -> str:
    suspects = summary.get("suspect_changes") or []
    if not suspects:
        return "*Suspect changes:* none found"
    lines = ["*Suspect changes:*"]
    for item in suspects[:MAX_SUSPECTS]:
        label = item.get("title") or item.get("id")
        lines.append(
            f"• {_link(item.get('url'), label)} ({escape(item.get('kind', 'change'))} "
            f"{escape(item.get('id', ''))}, {escape(item.get('at', ''))})"
        )
    if len(suspects) > MAX_SUSPECTS:
        lines.append(f"… and {len(suspects) - MAX_SUSPECTS} more")
    return "\n".join(lines)


def _button(action_id: str, label: str, incident_id: str, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": incident_id,
        "style": style,
        "text": {"type": "plain_text", "text": label},
    }


def incident_update(
    incident_id: str, title: str, event: str, summary: dict[str, Any]
) -> dict[str, Any]:
    """A follow-up (acknowledged, resolved, mitigated …) to a channel that was paged."""
    text = f"{title} ({incident_id}) is now {event}"
    who = summary.get("by")
    link = _link(summary.get("incident_url"), incident_id)
    line = f"*{link}* {escape(title)} is now *{escape(event)}*"
    if who:
        line += f" (by {escape(who)})"
        text += f" (by {who})"
    return {"text": _cut(text, 3000), "blocks": [_section(line)]}


def interaction_reply(text: str, *, ephemeral: bool = False) -> dict[str, Any]:
    """The answer Slack shows after a button press."""
    kind = "ephemeral" if ephemeral else "in_channel"
    return {"response_type": kind, "replace_original": False, "text": _cut(text)}


def post(url: str, message: dict[str, Any], timeout: float = 10) -> httpx.Response:
    """POST a message to an incoming webhook; the caller reads the status (200 "ok")."""
    return httpx.post(url, json=message, timeout=timeout)

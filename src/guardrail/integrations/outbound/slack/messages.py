"""Block Kit messages: a change waiting for approval, with its evidence, risk and buttons."""

from __future__ import annotations

from typing import Any

APPROVE = "guardrail.change.approve"
REJECT = "guardrail.change.reject"
MAX_TEXT = 2900  # a section's text is limited to 3000 characters


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pending_change(change: Any) -> dict[str, Any]:
    """A message for a change waiting for approval (``change`` is a ChangeOut)."""
    factors = ", ".join(f"{f['name']} +{f['points']}" for f in change.risk_factors if f["points"])
    evidence = "; ".join(_evidence_line(e) for e in change.evidence) or "none attached"
    waiting = "; ".join(change.reasons) or "waiting for approval"
    who = ", ".join(change.can_approve) or "an approver"
    fallback = f"{change.service} → {change.environment} waits for approval ({change.id})"
    return {
        "text": fallback,
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": _cut(f"Change waiting: {change.service} → {change.environment}", 150),
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _cut(
                        f"*<{change.url}|{change.title}>*\n"
                        f"Risk *{change.risk_level}* ({change.risk_score} points: "
                        f"{factors or 'none'})\n"
                        f"Why it waits: {waiting}\nCan approve: {who}"
                    ),
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"Evidence: {evidence}")}},
            {
                "type": "actions",
                "block_id": f"change:{change.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": APPROVE,
                        "value": change.id,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Approve"},
                    },
                    {
                        "type": "button",
                        "action_id": REJECT,
                        "value": change.id,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Reject"},
                    },
                ],
            },
        ],
    }


def _evidence_line(evidence: Any) -> str:
    s = evidence.summary
    if evidence.kind == "junit":
        return f"tests {s['total'] - s['failed']}/{s['total']} passed"
    if evidence.kind == "sarif":
        return f"SARIF {s['error']} error, {s['warning']} warning"
    if evidence.kind == "diff":
        return f"diff {s['files']} files, {s['lines']} lines"
    return f"{evidence.name}={s.get('value')}"


def outcome(change_id: str, verb: str, who: str, detail: str) -> dict[str, Any]:
    """The reply that replaces the buttons once someone acted."""
    text = f"{who} {verb} change {change_id}. {detail}".strip()
    return {"replace_original": False, "response_type": "in_channel", "text": _cut(text)}

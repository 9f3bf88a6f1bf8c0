"""Plain-text incident emails: the page and the updates."""

from __future__ import annotations

from typing import Any


def incident_page(
    incident_id: str, title: str, severity: str, summary: dict[str, Any], *, level: int
) -> tuple[str, str]:
    """Subject and body of a page."""
    subject = f"[{(severity or 'incident').upper()}] {title} ({incident_id})"
    lines = [
        f"{title}",
        "",
        f"Incident:  {incident_id}  {summary.get('incident_url') or ''}".rstrip(),
        f"Service:   {summary.get('service') or '-'}",
        f"Status:    {summary.get('status') or 'triggered'}",
        f"Escalation level {level}: you are being paged.",
        f"Runbook:   {summary.get('runbook_url') or 'none on record'}",
        "",
        "Suspect changes:",
    ]
    suspects = summary.get("suspect_changes") or []
    lines += [
        f"  - {s.get('title') or s.get('id')} ({s.get('kind', 'change')} {s.get('id', '')}, "
        f"{s.get('at', '')}) {s.get('url') or ''}".rstrip()
        for s in suspects[:10]
    ] or ["  none found"]
    lines += ["", f"Acknowledge: guardrail incident ack {incident_id} (or the Slack button)."]
    return subject, "\n".join(lines) + "\n"


def incident_update(
    incident_id: str, title: str, event: str, summary: dict[str, Any]
) -> tuple[str, str]:
    """Subject and body of an update (acknowledged, resolved …)."""
    subject = f"[{event}] {title} ({incident_id})"
    body = f"{title} ({incident_id}) is now {event}."
    if summary.get("by"):
        body += f" By {summary['by']}."
    if summary.get("incident_url"):
        body += f"\n\n{summary['incident_url']}"
    return subject, body + "\n"

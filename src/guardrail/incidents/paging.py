"""The seam to the on-call practice (escalation and notifications), called lazily.

``guardrail.oncall.service`` may not be installed yet (it is built alongside); without it the
incident records on its timeline that nobody was paged, instead of failing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.config import get_settings
from guardrail.kit.context import Actor


def _oncall(name: str) -> Any:
    try:
        from guardrail.oncall import service
    except ImportError:
        return None
    return getattr(service, name, None)


def base_url() -> str:
    """Where people reach guardrail (GUARDRAIL_PUBLIC_URL, else GUARDRAIL_URL)."""
    conf = get_settings()
    return (conf.public_url or conf.url).rstrip("/")


def incident_url(incident_id: str) -> str:
    """Where people open the incident."""
    return f"{base_url()}/incidents/{incident_id}"


def start(
    session: Session,
    actor: Actor,
    *,
    incident_id: str,
    service_id: str | None,
    title: str,
    severity: str,
    summary: dict[str, Any],
) -> str | None:
    """Start the escalation for a new incident; the run id, or None without an on-call module."""
    fn = _oncall("start_escalation")
    if fn is None:
        return None
    run_id: str = fn(
        session,
        actor,
        incident_id=incident_id,
        service_id=service_id,
        title=title,
        severity=severity,
        summary=summary,
    )
    return run_id


def stop(session: Session, actor: Actor, incident_id: str, reason: str) -> bool:
    """Stop further escalation levels (acknowledged or resolved); False without on-call."""
    fn = _oncall("stop_escalation")
    if fn is None:
        return False
    fn(session, actor, incident_id=incident_id, reason=reason)
    return True


def update(
    session: Session, actor: Actor, incident_id: str, event: str, summary: dict[str, Any]
) -> None:
    """Tell the channels already paged that the incident moved on."""
    fn = _oncall("notify_incident_update")
    if fn is not None:
        fn(session, actor, incident_id=incident_id, event=event, summary=summary)

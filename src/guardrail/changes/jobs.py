"""Background work: tell approvers about waiting changes; send expired approvals back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.changes import service
from guardrail.changes.enums import ChangeState
from guardrail.config import get_settings
from guardrail.store.outbox import handler, periodic


@handler("changes.notify_pending")
def notify_pending(session: Session, payload: dict[str, Any]) -> None:
    """Post a waiting change to Slack with approve and reject buttons (when Slack is set up)."""
    from guardrail.changes import views
    from guardrail.integrations.outbound.slack import client, messages

    webhook = client.webhook_url()
    if webhook is None:
        return
    change = service.get_change(session, payload["change_id"])
    if change.state != ChangeState.pending_approval:
        return  # decided before the job ran: nothing to ask
    settings = get_settings()
    base = settings.public_url or settings.url
    out = views.to_out(session, change, base)
    client.post(webhook, messages.pending_change(out))


@periodic("changes.expire_approvals", every=timedelta(minutes=1))
def expire_approvals(session: Session, payload: dict[str, Any]) -> None:
    """Approved changes that have not started lose approvals past their expiry."""
    service.expire_approvals(session)

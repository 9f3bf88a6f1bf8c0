"""Notifications: one delivery log row and one outbox job per destination, retried with backoff.

The worker runs a delivery's job in a transaction; the job sends, then records the outcome on the
row. A failure that may pass (a 5xx, 408/429, a timeout, an SMTP 4xx) queues the next attempt as a
new job at ``now + backoff`` in the same transaction, so the row, its error and the retry commit
together. A permanent failure (another 4xx, an SMTP 5xx) or the last attempt marks the row failed.
A page whose escalation was acknowledged before it went out is cancelled, not sent.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from guardrail.integrations.outbound.email import messages as email_messages
from guardrail.integrations.outbound.email import sender as smtp
from guardrail.integrations.outbound.slack import incident_messages as slack
from guardrail.integrations.outbound.webhook import cloudevents
from guardrail.oncall import callbacks, repository
from guardrail.oncall.enums import FINISHED_DELIVERIES, ChannelKind, DeliveryStatus, RunStatus
from guardrail.oncall.models import Delivery
from guardrail.oncall.policies import Destination
from guardrail.store.outbox import enqueue

log = logging.getLogger("guardrail.oncall")

DELIVER_JOB = "oncall.deliver"
MAX_ATTEMPTS = 5
BACKOFF_CAP = timedelta(minutes=10)
_rng = random.Random()


class SendFailed(Exception):
    """A send did not go through; ``retry`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, code: int | None = None, retry: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retry = retry


def queue(
    session: Session,
    dest: Destination,
    *,
    dedup_key: str,
    incident_id: str,
    event: str,
    payload: dict[str, Any],
    run_id: str | None = None,
    level: int = 0,
    cycle: int = 0,
) -> Delivery | None:
    """Log a delivery and enqueue its first attempt; None when ``dedup_key`` was seen before."""
    if repository.delivery_by_key(session, dedup_key) is not None:
        return None
    row = Delivery(
        dedup_key=dedup_key,
        run_id=run_id,
        incident_id=incident_id,
        event=event,
        level=level,
        cycle=cycle,
        target=dest.target,
        person_id=dest.person_id,
        channel=dest.channel,
        address=dest.address,
        secret=dest.secret,
        payload=payload,
        max_attempts=MAX_ATTEMPTS,
    )
    session.add(row)
    session.flush()
    enqueue(session, DELIVER_JOB, {"delivery_id": row.id}, dedup_key=f"{DELIVER_JOB}:{row.id}:1")
    return row


def backoff(attempts: int) -> timedelta:
    """About 15 s x 2^(attempts - 1), capped at ten minutes, jittered."""
    ceiling = min(BACKOFF_CAP.total_seconds(), 15.0 * 2 ** (attempts - 1))
    return timedelta(seconds=ceiling / 2 + _rng.uniform(0, ceiling / 2))


def attempt(session: Session, delivery_id: str, now: datetime) -> None:
    """One attempt at a delivery (the outbox job's body)."""
    row = repository.delivery(session, delivery_id, lock=True)
    if row is None or row.status in FINISHED_DELIVERIES:
        return
    if row.event == "page" and row.run_id and _run_stopped(session, row):
        return
    row.attempts += 1
    try:
        row.response_code = send(row)
    except SendFailed as exc:
        _failed(session, row, exc, now)
        return
    row.status, row.sent_at, row.last_error, row.next_attempt_at = (
        DeliveryStatus.sent,
        now,
        None,
        None,
    )
    session.flush()
    log.info("delivery %s sent to %s by %s", row.id, row.target, row.channel)
    callbacks.timeline(
        session,
        row.incident_id,
        "notification",
        f"{_what(row)} sent to {row.target} by {row.channel}",
        {"delivery_id": row.id, "channel": row.channel, "target": row.target, "level": row.level},
    )


def _run_stopped(session: Session, row: Delivery) -> bool:
    run = repository.run(session, row.run_id or "")
    if run is None or run.status == RunStatus.active:
        return False
    row.status = DeliveryStatus.cancelled
    row.last_error = f"not sent: the escalation was {run.status} first"
    session.flush()
    return True


def _failed(session: Session, row: Delivery, exc: SendFailed, now: datetime) -> None:
    row.response_code, row.last_error = exc.code, str(exc)[:2000]
    if exc.retry and row.attempts < row.max_attempts:
        row.status, row.next_attempt_at = DeliveryStatus.retrying, now + backoff(row.attempts)
        enqueue(
            session,
            DELIVER_JOB,
            {"delivery_id": row.id},
            dedup_key=f"{DELIVER_JOB}:{row.id}:{row.attempts + 1}",
            run_at=row.next_attempt_at,
        )
        log.warning("delivery %s attempt %d failed, retrying: %s", row.id, row.attempts, exc)
        session.flush()
        return
    row.status, row.next_attempt_at = DeliveryStatus.failed, None
    session.flush()
    log.error("delivery %s to %s failed for good: %s", row.id, row.target, exc)
    callbacks.timeline(
        session,
        row.incident_id,
        "notification",
        f"{_what(row)} to {row.target} by {row.channel} failed "
        f"after {row.attempts} attempt(s): {exc}",
        {"delivery_id": row.id, "channel": row.channel, "target": row.target, "error": str(exc)},
    )


def _what(row: Delivery) -> str:
    if row.event == "page":
        return f"Page (level {row.level})"
    return f"Update ({row.event.removeprefix('update:')})"


# --- sending ---


def send(row: Delivery) -> int:
    """Send one delivery; return the response code, or raise SendFailed."""
    if row.channel == ChannelKind.slack:
        return _http(lambda: slack.post(row.address, slack_message(row)))
    if row.channel == ChannelKind.webhook:
        return _http(lambda: cloudevents.post(row.address, cloud_event(row), secret=row.secret))
    if row.channel == ChannelKind.email:
        return _email(row)
    raise SendFailed(f"unknown channel {row.channel!r}", retry=False)


def _http(call: Any) -> int:
    try:
        response: httpx.Response = call()
    except httpx.HTTPError as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
    code = response.status_code
    if code < 300:
        return code
    transient = code >= 500 or code in (408, 429)
    raise SendFailed(f"HTTP {code}: {response.text[:300]}", code=code, retry=transient)


def _email(row: Delivery) -> int:
    p = row.payload
    if row.event == "page":
        subject, body = email_messages.incident_page(
            p["incident_id"], p["title"], p["severity"], p["summary"], level=row.level
        )
    else:
        subject, body = email_messages.incident_update(
            p["incident_id"], p["title"], p["event"], p["summary"]
        )
    try:
        conf = smtp.settings()
        message = smtp.build(row.address, subject, body, sender=conf.sender, message_id=row.id)
        return smtp.send(message, conf)
    except smtp.SmtpNotConfigured as exc:
        raise SendFailed(str(exc)) from exc
    except smtp.SmtpRefused as exc:
        raise SendFailed(str(exc), code=exc.code, retry=(exc.code or 400) < 500) from exc
    except OSError as exc:  # connection refused, timeouts, TLS trouble, SMTPServerDisconnected
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc


def slack_message(row: Delivery) -> dict[str, Any]:
    p = row.payload
    if row.event == "page":
        return slack.incident_page(
            p["incident_id"], p["title"], p["severity"], p["summary"], level=row.level
        )
    return slack.incident_update(p["incident_id"], p["title"], p["event"], p["summary"])


def cloud_event(row: Delivery) -> dict[str, Any]:
    p = row.payload
    kind = "page" if row.event == "page" else row.event.removeprefix("update:")
    data = {
        "incident_id": p["incident_id"],
        "title": p["title"],
        "severity": p["severity"],
        "event": kind,
        "level": row.level,
        "cycle": row.cycle,
        "target": row.target,
        "summary": p["summary"],
    }
    return cloudevents.envelope(
        row.id, f"dev.guardrail.incident.{kind}", p["incident_id"], row.created_at, data
    )

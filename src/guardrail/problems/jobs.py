"""Background work: require postmortems of resolved incidents the policy covers; export action
items to trackers (the handler lives in trackers.py and registers on import)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.incidents import reads as incident_reads
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, isoformat, utcnow
from guardrail.problems import postmortems, repository
from guardrail.problems import trackers as _trackers  # noqa: F401  (registers the export handler)
from guardrail.store import outbox
from guardrail.store.outbox import handler, periodic

POLICY_EVERY = timedelta(seconds=60)
LOOKBACK = timedelta(days=7)  # resolutions older than this are not looked at again
CHECK_JOB = "problems.postmortem_check"


@periodic("problems.postmortem_policy", every=POLICY_EVERY)
def scan_resolved(session: Session, payload: dict[str, Any]) -> None:
    """Queue one policy check per incident resolution (recent, no required postmortem yet)."""
    queue_checks(session, utcnow())


def queue_checks(session: Session, now: datetime) -> int:
    """Queue the check of each recent resolution once (the dedup key names the resolution)."""
    rows, _ = incident_reads.list_incidents(
        session, statuses=["resolved", "closed"], service=None, limit=500, offset=0
    )
    recent = [
        r for r in rows if r.resolved_at is not None and as_utc(r.resolved_at) >= now - LOOKBACK
    ]
    done = repository.incidents_with_required_postmortem(session, [r.id for r in recent])
    queued = 0
    for incident in recent:
        if incident.id in done:
            continue
        key = f"{CHECK_JOB}:{incident.id}:{isoformat(incident.resolved_at)}"
        queued += outbox.enqueue_once(session, CHECK_JOB, {"incident_id": incident.id}, key)
    return queued


@handler(CHECK_JOB)
def check_incident(session: Session, payload: dict[str, Any]) -> None:
    """Apply the postmortem policy to one resolved incident."""
    postmortems.apply_policy(session, Actor.system("problems.policy"), payload["incident_id"])

"""Escalation runs: a policy copied onto an incident, paged level by level until acknowledged.

Every step of a run is an outbox job enqueued when the run starts, due at its level's time
(``run_at``) and keyed ``oncall.escalate:<run>:<level>:<cycle>``, so the timers live in the
database and survive restarts, and no step is enqueued twice. A step re-reads the run (locked)
in its own transaction and pages only while the run is still active and has not passed that step:
an acknowledgement stops everything after it, and several workers never page twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.kit.context import Actor
from guardrail.kit.jsonutil import to_jsonable
from guardrail.kit.time import utcnow
from guardrail.oncall import callbacks, delivery, policies, repository
from guardrail.oncall.enums import DeliveryStatus, RunStatus
from guardrail.oncall.models import EscalationRun
from guardrail.oncall.policies import Destination
from guardrail.store.outbox import enqueue

log = logging.getLogger("guardrail.oncall")

ESCALATE_JOB = "oncall.escalate"
NO_POLICY: dict[str, Any] = {"id": None, "name": None, "version": 0, "repeat": 0, "levels": []}


def start_escalation(
    session: Session,
    actor: Actor,
    *,
    incident_id: str,
    service_id: str | None,
    title: str,
    severity: str,
    summary: dict[str, Any],
) -> str:
    """Copy the service's (or the default) policy onto a run and schedule its levels."""
    existing = repository.run_for_incident(session, incident_id)
    if existing is not None:
        return existing.id  # a replayed start: the run exists, nothing is paged twice
    policy = policies.policy_for(session, service_id)
    snapshot = policies.policy_snapshot(policy) if policy else dict(NO_POLICY)
    now = utcnow()
    run = EscalationRun(
        incident_id=incident_id,
        service_id=service_id,
        policy_id=snapshot["id"],
        policy=snapshot,
        title=title[:500],
        severity=severity,
        summary=to_jsonable(summary),
        started_at=now,
        status=RunStatus.active if snapshot["levels"] else RunStatus.exhausted,
    )
    session.add(run)
    session.flush()
    steps = schedule_steps(session, run, now)
    audit_service.record(
        session,
        actor,
        "oncall.escalation.start",
        "oncall_run",
        run.id,
        after={"incident_id": incident_id, "policy": snapshot, "steps": steps},
    )
    if not snapshot["levels"]:
        callbacks.timeline(
            session,
            incident_id,
            "escalation",
            "No escalation policy applies: nobody is paged",
            {"run_id": run.id},
        )
    return run.id


def schedule_steps(session: Session, run: EscalationRun, start: datetime) -> list[dict[str, Any]]:
    """Enqueue every step of the run at its due time; return the plan."""
    levels, plan = run.policy["levels"], []
    due = start
    for cycle in range(int(run.policy.get("repeat", 0)) + 1):
        for number, level in enumerate(levels, start=1):
            payload = {"run_id": run.id, "level": number, "cycle": cycle}
            enqueue(
                session,
                ESCALATE_JOB,
                payload,
                dedup_key=f"{ESCALATE_JOB}:{run.id}:{number}:{cycle}",
                run_at=due,
            )
            plan.append({**payload, "at": due.isoformat()})
            due += timedelta(seconds=int(level["delay_seconds"]))
    return plan


def escalate(session: Session, run_id: str, level: int, cycle: int, now: datetime) -> int:
    """Page one step of a run if it is still due; return how many deliveries were queued."""
    run = repository.run(session, run_id, lock=True)
    if run is None or run.status != RunStatus.active:
        return 0
    if (cycle, level) <= (run.cycle, run.level):
        return 0  # this step (or a later one) was paged already
    levels = run.policy["levels"]
    if not 1 <= level <= len(levels):
        return 0
    dests = _dedupe(
        d for t in levels[level - 1]["targets"] for d in policies.destinations(session, t, now)
    )
    payload = {
        "incident_id": run.incident_id,
        "title": run.title,
        "severity": run.severity,
        "summary": run.summary,
        "event": "page",
    }
    queued = 0
    for dest in dests:
        key = f"page:{run.id}:{level}:{cycle}:{dest.channel}:{dest.address}"
        queued += (
            delivery.queue(
                session,
                dest,
                dedup_key=key,
                incident_id=run.incident_id,
                event="page",
                payload=payload,
                run_id=run.id,
                level=level,
                cycle=cycle,
            )
            is not None
        )
    run.level, run.cycle, run.last_paged_at = level, cycle, now
    session.flush()
    _record_page(session, run, level, cycle, dests)
    return queued


def _dedupe(dests: Any) -> list[Destination]:
    seen: dict[tuple[str, str], Destination] = {}
    for dest in dests:
        seen.setdefault((dest.channel, dest.address), dest)
    return list(seen.values())


def _record_page(
    session: Session, run: EscalationRun, level: int, cycle: int, dests: list[Destination]
) -> None:
    targets = sorted({d.target for d in dests})
    names = ", ".join(t["name"] for t in run.policy["levels"][level - 1]["targets"])
    text = (
        f"Escalation level {level}"
        + (f" (repeat {cycle})" if cycle else "")
        + f" ({names}): "
        + (f"paging {', '.join(targets)}" if targets else "nobody to page (no one on call)")
    )
    log.info("incident %s: %s", run.incident_id, text)
    data = {"run_id": run.id, "level": level, "cycle": cycle, "targets": targets}
    audit_service.record(
        session, Actor.system("oncall"), "oncall.escalation.page", "oncall_run", run.id, after=data
    )
    callbacks.timeline(session, run.incident_id, "page", text, data)


def _status_for(reason: str) -> RunStatus:
    text = reason.lower()
    if "resolv" in text:
        return RunStatus.resolved
    if "ack" in text:
        return RunStatus.acknowledged
    return RunStatus.stopped


def stop_escalation(session: Session, actor: Actor, *, incident_id: str, reason: str) -> None:
    """Stop paging further levels (acknowledged, resolved …); idempotent."""
    run = repository.run_for_incident(session, incident_id, lock=True)
    if run is None or run.status != RunStatus.active:
        return
    run.status, run.stopped_at, run.stop_reason = _status_for(reason), utcnow(), reason[:500]
    cancelled = 0
    for row in repository.paged_destinations(session, incident_id):
        if row.run_id == run.id and row.status in (DeliveryStatus.queued, DeliveryStatus.retrying):
            row.status, row.last_error = DeliveryStatus.cancelled, f"not sent: {reason}"[:2000]
            cancelled += 1
    session.flush()
    audit_service.record(
        session,
        actor,
        "oncall.escalation.stop",
        "oncall_run",
        run.id,
        before={"status": RunStatus.active.value},
        after={"status": run.status, "reason": reason, "level": run.level, "cancelled": cancelled},
    )
    callbacks.timeline(
        session,
        incident_id,
        "escalation",
        f"Escalation stopped at level {run.level}: {reason}",
        {"run_id": run.id, "status": run.status},
    )


def notify_incident_update(
    session: Session, actor: Actor, *, incident_id: str, event: str, summary: dict[str, Any]
) -> None:
    """Tell every destination that was paged for the incident about ``event`` (once per event)."""
    run = repository.run_for_incident(session, incident_id)
    pages = [
        r
        for r in repository.paged_destinations(session, incident_id)
        if r.status != DeliveryStatus.cancelled
    ]
    payload = {
        "incident_id": incident_id,
        "title": run.title if run else summary.get("title", ""),
        "severity": run.severity if run else "",
        "summary": to_jsonable(summary),
        "event": event,
    }
    queued = 0
    for dest in _dedupe(
        Destination(r.target, r.channel, r.address, r.person_id, r.secret) for r in pages
    ):
        key = f"update:{incident_id}:{event}:{dest.channel}:{dest.address}"
        queued += (
            delivery.queue(
                session,
                dest,
                dedup_key=key,
                incident_id=incident_id,
                event=f"update:{event}",
                payload=payload,
                run_id=run.id if run else None,
            )
            is not None
        )
    if queued:
        audit_service.record(
            session,
            actor,
            "oncall.notify.update",
            "oncall_run",
            run.id if run else incident_id,
            after={"event": event, "deliveries": queued},
        )

"""Change enablement rules: the gate, evidence, decisions, approvals, and the change lifecycle.

Every function flushes and never commits; every write is audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import approvals as approvals_module
from guardrail.changes import evidence as evidence_module
from guardrail.changes import facts as facts_module
from guardrail.changes import policies, records, repository
from guardrail.changes.enums import TRANSITIONS, ChangeState, Decision, EvidenceKind
from guardrail.changes.models import Approval, Change, Evidence
from guardrail.changes.policy import engine
from guardrail.changes.policy.risk_config import RiskConfig
from guardrail.changes.risk import RiskInput, score
from guardrail.changes.schemas import EvidenceFile, GateRequest
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.models import Service
from guardrail.errors import Conflict, Forbidden, InvalidInput, NotFound
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.store import outbox

DECIDABLE = (ChangeState.requested, ChangeState.pending_approval, ChangeState.approved)
NEW_EVIDENCE = "guardrail.changes.new_evidence"  # session.info key: change id -> evidence rows


def idempotency_key(data: GateRequest, service_id: str) -> str:
    """The caller's key, or one derived from service, environment, commit/version and run."""
    if data.idempotency_key:
        return data.idempotency_key
    run = data.links.get("pipeline_run", "")
    parts = [service_id, data.environment, data.commit or "", data.version or "", run, data.type]
    return "auto:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@dataclass
class NewChange:
    """A change worked out from its request (risk, decision) but not written yet."""

    change: Change
    evidence: list[Evidence]
    result: engine.Evaluation
    target: ChangeState


def gate(
    session: Session, actor: Actor, data: GateRequest, *, now: datetime | None = None
) -> tuple[Change, bool]:
    """Record a change (or find the one with the same idempotency key) and decide it."""
    worked_out = prepare_gate(session, actor, data, now=now)
    if isinstance(worked_out, Change):
        return worked_out, False
    return record_gate(session, actor, worked_out)


def prepare_gate(
    session: Session, actor: Actor, data: GateRequest, *, now: datetime | None = None
) -> Change | NewChange:
    """The reading half of the gate: the change already recorded under the request's
    idempotency key, or the new change with its risk and decision worked out (nothing written).

    The API runs this in a read-only session, so that SQLite's single writer is held only for
    the writing half (``record_gate``), not for the CMDB walk, scoring and policy evaluation."""
    now = now or utcnow()
    service = cmdb.find_service(session, data.service)
    if service is None:
        raise NotFound(
            f"no service {data.service!r} in the catalogue; register it "
            "(guardrail service create) or check the name (guardrail service list)"
        )
    key = idempotency_key(data, service.id)
    existing = repository.change_by_key(session, key)
    if existing is not None:
        return existing
    parsed = _parse_evidence(data.evidence, data.facts)
    return _work_out(session, actor, data, service, key, parsed, now)


def record_gate(session: Session, actor: Actor, new: NewChange) -> tuple[Change, bool]:
    """The writing half: insert the worked-out change, its evidence and its audit events, unless
    a change with its idempotency key was recorded in the meantime (then that one, not created)."""
    existing = repository.change_by_key(session, new.change.idempotency_key)
    if existing is not None:
        return existing, False
    if session.get_bind().dialect.name == "sqlite":
        # A SQLite writer holds the database's write lock from its first statement (BEGIN
        # IMMEDIATE), so no one can insert this key between the lookup above and the insert.
        _write(session, actor, new)
        return new.change, True
    try:
        with session.begin_nested():
            _write(session, actor, new)
    except IntegrityError:
        # Another replica created the same change a moment ago: answer with that one.
        existing = repository.change_by_key(session, new.change.idempotency_key)
        if existing is None:
            raise
        return existing, False
    return new.change, True


def _parse_evidence(
    files: list[EvidenceFile], facts: dict[str, Any]
) -> list[evidence_module.Parsed]:
    parsed = [evidence_module.recognise(f.name, f.content) for f in files]
    for key, value in facts.items():
        name, _ = evidence_module.parse_fact(f"{key}=x")
        parsed.append(evidence_module.Parsed(EvidenceKind.fact, name, {"value": value}))
    return parsed


def _work_out(
    session: Session,
    actor: Actor,
    data: GateRequest,
    service: Service,
    key: str,
    parsed: list[evidence_module.Parsed],
    now: datetime,
) -> NewChange:
    # Everything is worked out on objects that no session holds yet (risk, decision); the
    # writing half then inserts the change once in its decided state, its evidence, one audit
    # append.
    force = policies.in_force(session, service.id)
    records.check_standard(data, force.document)
    change = records.new_change(actor, data, service, key, force, now)
    rows = [records.evidence_row(change.id, p, actor) for p in parsed]
    evidence = records.combined(rows)
    config = RiskConfig.from_dict(force.document["risk"])
    calendar = _score(session, change, service, evidence, config, now)
    result = _evaluate(session, change, service, evidence, [], now, calendar=calendar, force=force)
    target = _apply(change, result, now)
    change.state = target.value
    return NewChange(change, rows, result, target)


def _write(session: Session, actor: Actor, new: NewChange) -> None:
    change, rows, result, target = new.change, new.evidence, new.result, new.target
    session.add(change)
    session.add_all(rows)
    session.flush()
    # The request and its first decision: the same two events as a request followed by a
    # transition, appended under one lock of the chain head.
    audit_service.record_many(
        session,
        actor,
        [
            audit_service.Entry(
                "change.request", "change", change.id, after=records.request_view(change, rows)
            ),
            audit_service.Entry(
                f"change.{target.value}",
                "change",
                change.id,
                before={"state": ChangeState.requested.value},
                after={"state": target.value, "reasons": result.reasons},
            ),
        ],
    )
    if target is ChangeState.pending_approval:
        _notify_pending(session, change, 0)
    # The answer to the gate shows the change with its evidence: remember the rows this session
    # just wrote, so that the view does not read them back (see views.to_out).
    session.info.setdefault(NEW_EVIDENCE, {})[change.id] = rows


def _score(
    session: Session,
    change: Change,
    service: Service,
    evidence: dict[str, Any],
    config: RiskConfig,
    now: datetime,
) -> dict[str, Any]:
    """Score the change once, at request time, and keep what the scoring saw on the record.

    Returns the calendar it read, so the decision that follows does not read it again."""
    calendar = facts_module.calendar(session, service, change.environment, now)
    rate, completed = facts_module.failure_rate(session, service.id, now, config)
    impacted = facts_module.impacted_services(session, service)
    data = RiskInput(
        change_type=change.type,
        tier=service.tier,
        evidence=evidence,
        at=now,
        impacted=impacted,
        failure_rate=rate,
        completed_recently=completed,
        hours_to_freeze=calendar["hours_to_next_freeze"],
        overdue_actions=_overdue_actions(session, service, config, now),
    )
    points, level, factors = score(data, config)
    change.risk_score, change.risk_level = points, level.value
    change.risk_factors = [f.as_dict() for f in factors]
    change.context = {
        "service": {
            "name": service.name,
            "tier": service.tier,
            "lifecycle": service.lifecycle,
            "owner_team_id": service.owner_team_id,
        },
        "impacted": impacted,
        "failure_rate": rate,
    }
    return calendar


def _overdue_actions(
    session: Session, service: Service, config: RiskConfig, now: datetime
) -> list[dict[str, Any]]:
    if not config.overdue_action_points:
        return []  # the factor is off: no query
    return [i for i in facts_module.open_action_items(session, service, now) if i["overdue"]]


def _decide(
    session: Session,
    actor: Actor,
    change: Change,
    service: Service,
    evidence: dict[str, Any],
    approvals: list[Approval],
    now: datetime,
) -> engine.Evaluation:
    """Run the change's recorded guardrails version and move the change to the decided state."""
    calendar = facts_module.calendar(session, service, change.environment, now)
    result = _evaluate(session, change, service, evidence, approvals, now, calendar=calendar)
    target = _apply(change, result, now)
    if target.value != change.state:
        transition(session, actor, change, target, now=now, detail={"reasons": result.reasons})
        if target is ChangeState.pending_approval:
            _notify_pending(session, change, len(approvals))
    else:
        session.flush()
    return result


def _evaluate(
    session: Session,
    change: Change,
    service: Service,
    evidence: dict[str, Any],
    approvals: list[Approval],
    now: datetime,
    *,
    calendar: dict[str, Any],
    force: policies.InForce | None = None,
) -> engine.Evaluation:
    """Run the change's guardrails version (``force`` when the caller has it) over its facts."""
    force = force or policies.recorded(session, change.policy_id, change.policy_digest)
    compiled = engine.compile_policy(force.document, force.digest)
    facts = engine.Facts(
        change=records.change_variable(change),
        service={**change.context["service"], "impacted": change.context["impacted"]},
        risk={
            "level": change.risk_level,
            "score": change.risk_score,
            "factors": {f["name"]: f["points"] for f in change.risk_factors},
        },
        evidence=evidence,
        calendar=calendar,
        budget=facts_module.budget_lookup(session, service, change.environment, change.type),
        actions=facts_module.action_items_lookup(session, service, now),
    )
    lookup = (
        approvals_module.counter(change, approvals, approvals_module.Directory(session), now)
        if approvals
        else (lambda _r: engine.Granted())
    )
    return engine.evaluate(compiled, facts, lookup)


def _apply(change: Change, result: engine.Evaluation, now: datetime) -> ChangeState:
    """Write the evaluation on the change; the state it should move to."""
    change.decision, change.reasons, change.trace = (
        result.decision.value,
        result.reasons,
        result.trace,
    )
    change.approvals_required = result.requirements
    if result.needs_review and not change.needs_review:
        change.needs_review = True
        change.review_note = "; ".join(result.review_reasons)[:2000]
    change.decided_at = now
    return {
        Decision.approved: ChangeState.approved,
        Decision.pending_approval: ChangeState.pending_approval,
        Decision.blocked: ChangeState.blocked,
    }[result.decision]


def _notify_pending(session: Session, change: Change, approvals: int) -> None:
    outbox.enqueue(
        session,
        "changes.notify_pending",
        {"change_id": change.id},
        dedup_key=f"changes.notify_pending:{change.id}:{approvals}",
    )


def transition(
    session: Session,
    actor: Actor,
    change: Change,
    target: ChangeState,
    *,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Move a change to ``target`` if its lifecycle allows it; audit the move."""
    current = ChangeState(change.state)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current])) or "nothing (final)"
        raise Conflict(
            f"change {change.id} is {current.value}; it can move to {allowed}, not {target.value}"
        )
    change.state, change.updated_at = target.value, now or utcnow()
    session.flush()
    audit_service.record(
        session,
        actor,
        f"change.{target.value}",
        "change",
        change.id,
        before={"state": current.value},
        after={"state": target.value, **(detail or {})},
    )


# -- reading ------------------------------------------------------------------------------------


def get_change(session: Session, change_id: str, *, lock: bool = False) -> Change:
    """A change by id, or NotFound."""
    change = repository.change(session, change_id, lock=lock)
    if change is None:
        raise NotFound(f"no change {change_id!r}; list changes with `guardrail change list`")
    return change


def _service_of(session: Session, change: Change) -> Service:
    return cmdb.get_service(session, change.service_id)


def redecide(session: Session, actor: Actor, change: Change, now: datetime) -> None:
    """Decide a change again with its evidence and approvals as they are now."""
    rows = repository.evidence_of(session, [change.id])
    approvals = repository.approvals_of(session, [change.id])
    _decide(
        session, actor, change, _service_of(session, change), records.combined(rows), approvals, now
    )


# -- evidence after the gate --------------------------------------------------------------------


def attach_evidence(
    session: Session,
    actor: Actor,
    change_id: str,
    files: list[EvidenceFile],
    facts: dict[str, Any],
    *,
    now: datetime | None = None,
) -> Change:
    """Attach files or facts; a change not yet deployed is decided again with them."""
    now = now or utcnow()
    change = get_change(session, change_id, lock=True)
    if ChangeState(change.state) not in (*DECIDABLE, ChangeState.implementing):
        raise Conflict(f"change {change.id} is {change.state}; evidence can no longer change it")
    parsed = _parse_evidence(files, facts)
    if not parsed:
        raise InvalidInput("nothing to attach: give a file or a KEY=VALUE fact")
    rows = [records.evidence_row(change.id, p, actor) for p in parsed]
    session.add_all(rows)
    session.flush()
    session.info.get(NEW_EVIDENCE, {}).pop(change.id, None)
    audit_service.record(
        session,
        actor,
        "change.evidence",
        "change",
        change.id,
        after={"evidence": [{"kind": r.kind, "name": r.name, "digest": r.digest} for r in rows]},
    )
    if ChangeState(change.state) in DECIDABLE and change.started_at is None:
        redecide(session, actor, change, now)
    return change


# -- approvals -----------------------------------------------------------------------------------


def approve(
    session: Session,
    actor: Actor,
    change_id: str,
    comment: str,
    *,
    via: str = "api",
    now: datetime | None = None,
) -> Change:
    """Record an approval (separation of duties enforced) and decide the change again."""
    now = now or utcnow()
    change = get_change(session, change_id, lock=True)
    if change.state != ChangeState.pending_approval:
        raise Conflict(f"change {change.id} is {change.state}, not waiting for approval")
    directory = approvals_module.Directory(session)
    person = approvals_module.check_may_approve(change, actor, directory)
    if not approvals_module.fits_any(person, change, directory):
        groups = sorted({r["group"] for r in change.approvals_required if r.get("group")})
        raise Forbidden(
            f"{person.handle} is not in a group this change waits for ({', '.join(groups)})"
        )
    earlier = repository.approvals_of(session, [change.id])
    if any(
        a.person_id == person.id and a.decision == "approve"
        for a in earlier
        if a.created_at + approvals_module.longest_validity(change) > now
    ):
        raise Conflict(f"{person.handle} already approved change {change.id}")
    _record_approval(session, actor, change, person, "approve", comment, via, now, directory)
    redecide(session, actor, change, now)
    return change


def reject(
    session: Session,
    actor: Actor,
    change_id: str,
    comment: str,
    *,
    via: str = "api",
    now: datetime | None = None,
) -> Change:
    """Reject a change: it ends there, with the rejection as its reason."""
    now = now or utcnow()
    change = get_change(session, change_id, lock=True)
    if change.state not in (ChangeState.pending_approval, ChangeState.approved):
        raise Conflict(
            f"change {change.id} is {change.state}; only waiting or approved changes "
            "can be rejected"
        )
    directory = approvals_module.Directory(session)
    person = approvals_module.check_may_approve(change, actor, directory)
    _record_approval(session, actor, change, person, "reject", comment, via, now, directory)
    change.decision = Decision.blocked.value
    change.reasons = [f"rejected by {person.handle}" + (f": {comment}" if comment else "")]
    transition(
        session, actor, change, ChangeState.rejected, now=now, detail={"reasons": change.reasons}
    )
    return change


def _record_approval(
    session: Session,
    actor: Actor,
    change: Change,
    person: approvals_module.Person,
    decision: str,
    comment: str,
    via: str,
    now: datetime,
    directory: approvals_module.Directory,
) -> None:
    approval = Approval(
        change_id=change.id,
        decision=decision,
        actor=actor.name,
        person_id=person.id,
        token_id=actor.token_id,
        groups=approvals_module.groups_of(person, change, directory),
        comment=comment,
        via=via,
        created_at=now,
        expires_at=now + approvals_module.longest_validity(change)
        if decision == "approve"
        else None,
    )
    session.add(approval)
    session.flush()
    audit_service.record(
        session,
        actor,
        f"change.{decision}",
        "change",
        change.id,
        after={
            "approval_id": approval.id,
            "person": person.handle,
            "groups": approval.groups,
            "comment": comment,
            "via": via,
        },
    )


def expire_approvals(session: Session, now: datetime | None = None) -> int:
    """Approved changes not yet started whose approvals ran out go back to waiting."""
    now = now or utcnow()
    moved = 0
    for change in repository.approved_waiting(session):
        if not change.approvals_required:
            continue
        redecide(session, Actor.system("approval-expiry"), change, now)
        moved += change.state == ChangeState.pending_approval
    return moved

"""Automated rollback: a service's policy, and starting its rollback pipeline for an incident.

Policy modes: ``off``; ``confirmed`` (roll back when someone marks a deployment as the cause);
``suspected`` (also when, at the incident's opening, the top suspect is a deployment of the
incident's own service that finished within the policy's suspect window). A rollback queues the
policy's pipeline target through the outbox, records an emergency change, links the deployment
to the incident, and is written on the timeline — once per incident and deployment.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.changes import lifecycle
from guardrail.changes import service as changes
from guardrail.changes.enums import ChangeType, CompletionStatus
from guardrail.changes.schemas import GateRequest
from guardrail.cmdb import service as cmdb
from guardrail.errors import GuardrailError, InvalidInput
from guardrail.incidents import repository
from guardrail.incidents.enums import RollbackMode
from guardrail.incidents.models import Incident, IncidentRollback, RollbackPolicy
from guardrail.incidents.schemas import RollbackPolicyIn, RollbackPolicyOut
from guardrail.incidents.service import add_timeline_entry
from guardrail.integrations.outbound.pipelines import service as pipelines
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.releases import service as releases
from guardrail.releases.enums import Provenance

_FIELDS = ("service", "environment", "deployment", "version", "sha", "incident")


def set_policy(
    session: Session, actor: Actor, service_ref: str, data: RollbackPolicyIn
) -> RollbackPolicyOut:
    """Set a service's automated-rollback policy."""
    service = cmdb.get_service(session, service_ref)
    if data.mode is not RollbackMode.off:
        if not data.target:
            raise InvalidInput(
                "a rollback policy that is not off names its pipeline target (--target)"
            )
        pipelines.get_target(session, data.target)
    for value in data.inputs.values():
        unknown = {f for _, f, _, _ in Formatter().parse(value) if f} - set(_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown placeholder {sorted(unknown)}; use {', '.join(_FIELDS)}")
    row = repository.policy(session, service.id)
    before = _policy_view(row) if row else None
    if row is None:
        row = RollbackPolicy(service_id=service.id)
        session.add(row)
    row.mode, row.target, row.ref, row.inputs = data.mode.value, data.target, data.ref, data.inputs
    row.suspect_window_seconds = data.suspect_window_minutes * 60
    row.updated_at, row.updated_by = utcnow(), actor.name
    session.flush()
    audit_service.record(
        session,
        actor,
        "rollback_policy.put",
        "service",
        service.id,
        before=before,
        after=_policy_view(row),
    )
    return policy_out(service.name, row)


def get_policy(session: Session, service_ref: str) -> RollbackPolicyOut:
    """A service's rollback policy (``off`` when it has none)."""
    service = cmdb.get_service(session, service_ref)
    row = repository.policy(session, service.id) or RollbackPolicy(
        service_id=service.id,
        mode="off",
        target="",
        inputs={},
        suspect_window_seconds=1800,
        updated_at=utcnow(),
        updated_by="",
    )
    return policy_out(service.name, row)


def policy_out(service: str, row: RollbackPolicy) -> RollbackPolicyOut:
    return RollbackPolicyOut(
        service=service,
        mode=row.mode,
        target=row.target,
        ref=row.ref,
        inputs=dict(row.inputs),
        suspect_window_minutes=row.suspect_window_seconds // 60,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _policy_view(row: RollbackPolicy) -> dict[str, Any]:
    return {
        "mode": row.mode,
        "target": row.target,
        "ref": row.ref,
        "inputs": dict(row.inputs),
        "suspect_window_seconds": row.suspect_window_seconds,
    }


def on_opened(session: Session, actor: Actor, incident: Incident) -> IncidentRollback | None:
    """At opening: roll back a strongly suspected deployment when the policy says ``suspected``."""
    if not incident.suspects or incident.service_id is None:
        return None
    policy = repository.policy(session, incident.service_id)
    if policy is None or policy.mode != RollbackMode.suspected:
        return None
    top = incident.suspects[0]
    if top["kind"] != "deployment" or top["distance"] != 0 or top["status"] != "success":
        return None
    if top["minutes_before"] * 60 > policy.suspect_window_seconds:
        return None
    return maybe_rollback(session, actor, incident, top["id"], reason="suspected")


def maybe_rollback(
    session: Session,
    actor: Actor,
    incident: Incident,
    deployment_id: str,
    *,
    reason: str,
) -> IncidentRollback | None:
    """Roll the deployment back if its service's policy allows it; once per incident."""
    dep = releases.get_deployment(session, deployment_id)
    service_id = dep.service_id or incident.service_id
    policy = repository.policy(session, service_id) if service_id else None
    if policy is None or policy.mode == RollbackMode.off:
        add_timeline_entry(
            session,
            actor,
            incident.id,
            "rollback",
            f"no automated rollback of {dep.id}: {dep.service} has no rollback policy",
        )
        return None
    if reason == "suspected" and policy.mode != RollbackMode.suspected:
        return None
    existing = repository.rollback(session, incident.id, dep.id)
    if existing is not None:
        return existing
    return _start(session, actor, incident, dep, policy, reason)


def _start(
    session: Session,
    actor: Actor,
    incident: Incident,
    dep: Any,
    policy: RollbackPolicy,
    reason: str,
) -> IncidentRollback:
    values = {
        "service": dep.service,
        "environment": dep.environment,
        "deployment": dep.id,
        "version": dep.version,
        "sha": dep.sha or "",
        "incident": incident.id,
    }
    inputs = {k: v.format_map(values) for k, v in policy.inputs.items()}
    what = dep.version or dep.sha or dep.id
    why = f"automated rollback of {dep.service} {what} for {incident.id} ({reason})"
    trigger_id = pipelines.trigger(
        session,
        actor,
        policy.target,
        ref=policy.ref,
        inputs=inputs,
        reason=why,
        subject=incident.id,
    )
    change_id = _emergency_change(session, actor, incident, dep, why)
    row = IncidentRollback(
        incident_id=incident.id,
        deployment_id=dep.id,
        reason=reason,
        target=policy.target,
        trigger_id=trigger_id,
        change_id=change_id,
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    releases.link_failure(session, actor, dep.id, incident.id, Provenance.rollback, why)
    _mark_change_rolled_back(session, actor, incident, dep)
    add_timeline_entry(
        session,
        actor,
        incident.id,
        "rollback",
        f"{why}: pipeline {policy.target} queued ({trigger_id}); emergency change {change_id}",
        {"deployment_id": dep.id, "trigger_id": trigger_id, "change_id": change_id},
    )
    audit_service.record(
        session,
        actor,
        "incident.rollback",
        "incident",
        incident.id,
        after={
            "deployment_id": dep.id,
            "target": policy.target,
            "trigger_id": trigger_id,
            "change_id": change_id,
            "reason": reason,
        },
    )
    return row


def _emergency_change(
    session: Session, actor: Actor, incident: Incident, dep: Any, why: str
) -> str | None:
    service = cmdb.find_service(session, dep.service_id or incident.service_id or "")
    if service is None:
        return None
    request = GateRequest(
        service=service.name,
        environment=dep.environment,
        type=ChangeType.emergency,
        title=f"Roll back {dep.service} {dep.version or ''} ({incident.id})"[:300],
        description=why,
        commit=dep.sha,
        idempotency_key=f"rollback:{incident.id}:{dep.id}",
    )
    change, _ = changes.gate(session, actor, request)
    return change.id


def _mark_change_rolled_back(session: Session, actor: Actor, incident: Incident, dep: Any) -> None:
    """The rolled-back deployment's own change record is rolled back, where its state allows."""
    if not dep.change_id:
        return
    try:
        lifecycle.complete(
            session,
            actor,
            dep.change_id,
            CompletionStatus.rolled_back,
            f"rolled back for incident {incident.id}",
        )
    except GuardrailError as exc:
        add_timeline_entry(
            session,
            actor,
            incident.id,
            "change",
            f"change {dep.change_id} not marked rolled back: {exc.detail}",
        )

"""Pipeline targets, and triggering one through the outbox (audited, sent by a worker job)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import Conflict, InvalidInput, NotFound
from guardrail.integrations.models import PipelineTarget
from guardrail.integrations.outbound.pipelines.requests import KINDS
from guardrail.kit.context import Actor
from guardrail.kit.ids import new_id
from guardrail.kit.time import utcnow
from guardrail.store.outbox import enqueue

TRIGGER_JOB = "pipelines.trigger"


def add_target(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: str,
    url: str,
    repository: str = "",
    workflow: str = "",
    ref: str = "main",
    secret: str | None = None,
    service: str | None = None,
) -> PipelineTarget:
    """Register a pipeline guardrail may start."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
    if kind == "github" and not (repository and workflow):
        raise InvalidInput(
            "a github target needs the repository (owner/name) and the workflow file or id"
        )
    if kind == "gitlab" and not repository:
        raise InvalidInput("a gitlab target needs the project id or path")
    if session.scalars(select(PipelineTarget).where(PipelineTarget.name == name)).first():
        raise Conflict(f"a pipeline target named {name!r} exists already")
    found = cmdb.get_service(session, service) if service else None
    target = PipelineTarget(
        name=name,
        kind=kind,
        url=url,
        repository=repository,
        workflow=workflow,
        ref=ref,
        secret=secret,
        service_id=found.id if found else None,
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(target)
    session.flush()
    audit_service.record(
        session, actor, "pipeline_target.create", "pipeline_target", target.id, after=_view(target)
    )
    return target


def list_targets(session: Session) -> list[PipelineTarget]:
    """Active pipeline targets, by name."""
    return list(
        session.scalars(
            select(PipelineTarget)
            .where(PipelineTarget.revoked_at.is_(None))
            .order_by(PipelineTarget.name)
        )
    )


def get_target(session: Session, ref: str) -> PipelineTarget:
    """An active target by name or id."""
    target = (
        session.get(PipelineTarget, ref)
        or session.scalars(select(PipelineTarget).where(PipelineTarget.name == ref)).first()
    )
    if target is None or target.revoked_at is not None:
        raise NotFound(f"there is no pipeline target {ref!r}; see `guardrail pipeline targets`")
    return target


def trigger(
    session: Session,
    actor: Actor,
    target_ref: str,
    *,
    ref: str | None = None,
    inputs: dict[str, str] | None = None,
    reason: str = "",
    subject: str | None = None,
) -> str:
    """Queue a pipeline start (sent after commit by the worker); return the trigger id.

    ``subject`` names what asked for it (an approved change ``chg_…``, an incident ``inc_…``).
    """
    target = get_target(session, target_ref)
    trigger_id = new_id("trg")
    payload: dict[str, Any] = {
        "trigger_id": trigger_id,
        "target_id": target.id,
        "ref": ref or target.ref,
        "inputs": {str(k): str(v) for k, v in (inputs or {}).items()},
        "reason": reason,
        "subject": subject,
    }
    enqueue(session, TRIGGER_JOB, payload, dedup_key=f"pipeline:{trigger_id}")
    audit_service.record(
        session,
        actor,
        "pipeline.trigger",
        "pipeline_target",
        target.id,
        after={k: v for k, v in payload.items() if k != "target_id"},
    )
    return trigger_id


def _view(target: PipelineTarget) -> dict[str, Any]:
    return {
        "name": target.name,
        "kind": target.kind,
        "url": target.url,
        "repository": target.repository,
        "workflow": target.workflow,
        "ref": target.ref,
        "service_id": target.service_id,
    }

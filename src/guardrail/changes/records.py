"""Building change records: the row a gate call creates, its evidence rows, and the views of
a change that the audit trail and the guardrails read."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from guardrail.changes import evidence as evidence_module
from guardrail.changes import policies
from guardrail.changes.enums import ChangeState, ChangeType, EvidenceKind
from guardrail.changes.models import Change, Evidence
from guardrail.changes.schemas import GateRequest
from guardrail.cmdb.models import Service
from guardrail.errors import InvalidInput
from guardrail.kit.context import Actor


def new_change(
    actor: Actor,
    data: GateRequest,
    service: Service,
    key: str,
    force: policies.InForce,
    now: datetime,
) -> Change:
    return Change(
        idempotency_key=key,
        service_id=service.id,
        environment=data.environment,
        type=data.type.value,
        model=data.model,
        state=ChangeState.requested.value,
        title=data.title or title(data, service),
        description=data.description,
        commit_sha=data.commit,
        version=data.version,
        links=data.links,
        authors=data.authors,
        requester=actor.name,
        requester_token_id=actor.token_id,
        requester_person_id=actor.person_id,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        policy_id=force.policy_id,
        policy_scope=force.scope,
        policy_version=force.version,
        policy_digest=force.digest,
        needs_review=False,
        created_at=now,
        updated_at=now,
    )


def check_standard(data: GateRequest, document: dict[str, Any]) -> None:
    if data.type is not ChangeType.standard:
        return
    models = document.get("standard_changes") or []
    if not data.model or data.model not in models:
        listed = ", ".join(models) if models else "none are listed"
        raise InvalidInput(
            f"a standard change names a pre-approved change model (--model); "
            f"the guardrails in force list: {listed}"
        )


def title(data: GateRequest, service: Service) -> str:
    what = data.version or (data.commit or "")[:12] or "change"
    return f"{service.name} {what} to {data.environment}"


def evidence_row(change_id: str, parsed: evidence_module.Parsed, actor: Actor) -> Evidence:
    body = repr(sorted(parsed.summary.items())) if parsed.kind == EvidenceKind.fact else None
    digest = hashlib.sha256((body or repr(parsed.summary)).encode()).hexdigest()
    return Evidence(
        change_id=change_id,
        kind=parsed.kind.value,
        name=parsed.name,
        digest=digest,
        summary=parsed.summary,
        added_by=actor.name,
    )


def combined(rows: list[Evidence]) -> dict[str, Any]:
    return evidence_module.combine([(r.kind, r.name, r.summary) for r in rows])


def change_variable(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "type": change.type,
        "model": change.model,
        "environment": change.environment,
        "service": change.context["service"]["name"],
        "commit": change.commit_sha,
        "version": change.version,
        "title": change.title,
        "risk": change.risk_level,
        "risk_score": change.risk_score,
        "emergency": change.type == ChangeType.emergency,
        "authors": list(change.authors),
        "links": dict(change.links),
        "requester": change.requester,
    }


def request_view(change: Change, rows: list[Evidence]) -> dict[str, Any]:
    return {
        "service_id": change.service_id,
        "environment": change.environment,
        "type": change.type,
        "commit": change.commit_sha,
        "version": change.version,
        "authors": change.authors,
        "links": change.links,
        "idempotency_key": change.idempotency_key,
        "risk": {
            "score": change.risk_score,
            "level": change.risk_level,
            "factors": change.risk_factors,
        },
        "policy": {
            "id": change.policy_id,
            "scope": change.policy_scope,
            "version": change.policy_version,
            "digest": change.policy_digest,
        },
        "evidence": [{"kind": r.kind, "name": r.name, "digest": r.digest} for r in rows],
    }

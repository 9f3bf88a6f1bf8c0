"""The audit trail over HTTP (read only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from guardrail.api.deps import get_db, require
from guardrail.audit import service as audit
from guardrail.identity.enums import Role
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT
from guardrail.store.session import Database

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/events", summary="List audit events, newest first")
def list_events(
    object_id: str | None = Query(None, max_length=100),
    action: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> dict[str, Any]:
    """Audit events, filtered by object or action."""
    with db.reader() as session:
        rows, total = audit.list_events(
            session, object_id=object_id, action=action, limit=limit, offset=offset
        )
        return {
            "items": [audit.to_dict(r) for r in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
        }


@router.get("/verify", summary="Verify the hash chain")
def verify(
    db: Database = Depends(get_db), _: Actor = Depends(require(Role.admin))
) -> dict[str, Any]:
    """Walk the chain; list every edited, deleted or reordered row."""
    with db.reader() as session:
        result = audit.verify(session)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "findings": [str(f) for f in result.findings],
    }

"""The CMDB over HTTP: configuration items, impact analysis, imports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from guardrail.api.deps import get_db, require
from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import ImpactDirection, ItemStatus
from guardrail.cmdb.schemas import ImpactOut, ImportRequest, ImportSummary, ItemDetail, ItemOut
from guardrail.identity.enums import Role
from guardrail.integrations.inbound.cmdb_files import parse_content
from guardrail.integrations.inbound.documents import ImportOptions
from guardrail.kit.context import Actor
from guardrail.kit.pagination import MAX_LIMIT, Page
from guardrail.store.session import Database

router = APIRouter(prefix="/cmdb", tags=["cmdb"])

# Item keys contain "/" (``component:default/x``), so item routes take the rest of the path.


@router.get("/items", summary="List and search configuration items")
def list_items(
    q: str | None = Query(None, max_length=200, description="Substring of name, key or title"),
    kind: str | None = Query(None, max_length=50),
    status: ItemStatus | None = None,
    service: str | None = Query(None, max_length=63, description="Service name or id"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> Page[ItemOut]:
    """Items matching the filters, by name."""
    with db.reader() as session:
        rows, total = cmdb.search_items(
            session,
            q=q,
            kind=kind,
            status=status.value if status else None,
            service=service,
            limit=limit,
            offset=offset,
        )
        items = [ItemOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/items/{ref:path}/impact", summary="Impact of a change to an item")
def item_impact(
    ref: str,
    depth: int = Query(5, ge=1, le=20, description="How many hops to follow"),
    direction: ImpactDirection = ImpactDirection.both,
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> ImpactOut:
    """Every item and service a change reaches (with paths), and what the item depends on."""
    with db.reader() as session:
        return cmdb.impact(session, ref, depth=depth, direction=direction)


@router.get("/items/{ref:path}", summary="Get an item by id, key or unique name")
def get_item(
    ref: str, db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> ItemDetail:
    """One item with each source's claim and its relations."""
    with db.reader() as session:
        return cmdb.item_detail(session, cmdb.get_item(session, ref))


@router.get("/sources", summary="List CMDB sources")
def list_sources(
    db: Database = Depends(get_db), _: Actor = Depends(require(Role.viewer))
) -> list[dict[str, Any]]:
    """Every source with its type, merge priority and last import time."""
    with db.reader() as session:
        return [
            {
                "id": s.id,
                "name": s.name,
                "type": s.type,
                "priority": s.priority,
                "last_imported_at": s.last_imported_at,
            }
            for s in cmdb.list_sources(session)
        ]


@router.get("/services/{ref}/graph", summary="A service's dependency graph")
def service_graph(
    ref: str,
    depth: int = Query(2, ge=1, le=6),
    db: Database = Depends(get_db),
    _: Actor = Depends(require(Role.viewer)),
) -> dict[str, Any]:
    """Nodes and edges up and down from the service's items, with each fact's source."""
    with db.reader() as session:
        return cmdb.service_graph(session, ref, depth=depth).as_dict()


@router.post("/imports", summary="Import one file as a source's newest snapshot")
def import_file(
    data: ImportRequest,
    db: Database = Depends(get_db),
    actor: Actor = Depends(require(Role.engineer)),
) -> ImportSummary:
    """Apply one Backstage, Terraform or Kubernetes file to a source, atomically."""
    options = ImportOptions(
        scope=data.scope or data.source,
        strict=data.strict,
        skip_unknown=data.skip_unknown,
        follow_locations=False,
    )
    snapshot = parse_content(data.content, data.filename, options)
    with db.unit_of_work() as session:
        return cmdb.import_snapshot(session, actor, data.source, snapshot, strict=data.strict)

"""The service catalogue and the CMDB: services, configuration items, imports, impact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import graph as graph_module
from guardrail.cmdb import impact as impact_module
from guardrail.cmdb import item_repository, repository
from guardrail.cmdb.enums import ImpactDirection
from guardrail.cmdb.graph import ServiceGraph
from guardrail.cmdb.models import ConfigItem, Service, Source
from guardrail.cmdb.schemas import (
    ClaimOut,
    ImpactOut,
    ImportBrief,
    ImportSummary,
    ItemDetail,
    ItemOut,
    KindCount,
    RelationOut,
    ServiceCreate,
    ServiceFilter,
    ServiceOut,
    ServiceUpdate,
    SourceOverview,
)
from guardrail.cmdb.snapshot import Snapshot
from guardrail.errors import Conflict, NotFound
from guardrail.identity import repository as identity_repository
from guardrail.kit.context import Actor

_URL_FIELDS = ("runbook_url", "repository_url")
FIRST_WARNINGS = 10  # an import's warnings that a source overview carries


def get_service(session: Session, ref: str) -> Service:
    """A service by id or name, or NotFound that says how to find the right one."""
    service = repository.get(session, ref)
    if service is None:
        raise NotFound(f"no service {ref!r}; list services with `guardrail service list`")
    return service


def find_service(session: Session, ref: str) -> Service | None:
    """A service by id or name, or None."""
    return repository.get(session, ref)


def create_service(session: Session, actor: Actor, data: ServiceCreate) -> Service:
    """Register a service in the catalogue."""
    if repository.get_by_name(session, data.name) is not None:
        raise Conflict(f"a service named {data.name!r} already exists; update it instead")
    values = _values(session, data.model_dump(exclude_unset=False))
    service = Service(**values)
    session.add(service)
    session.flush()
    audit_service.record(
        session, actor, "service.create", "service", service.id, after=snapshot(service)
    )
    return service


def update_service(session: Session, actor: Actor, ref: str, data: ServiceUpdate) -> Service:
    """Change the given fields of a service."""
    service = get_service(session, ref)
    before = snapshot(service)
    for key, value in _values(session, data.model_dump(exclude_unset=True)).items():
        setattr(service, key, value)
    after = snapshot(service)
    if after != before:
        session.flush()
        audit_service.record(
            session, actor, "service.update", "service", service.id, before=before, after=after
        )
    return service


def list_services(
    session: Session, filters: ServiceFilter, *, limit: int, offset: int
) -> tuple[list[Service], int]:
    """Services matching the filters, by name, one page."""
    team_id = None
    if filters.team:
        team = identity_repository.team(session, filters.team)
        if team is None:
            raise NotFound(f"no team {filters.team!r}")
        team_id = team.id
    return repository.list_services(session, filters, team_id=team_id, limit=limit, offset=offset)


def to_out(session: Session, services: list[Service]) -> list[ServiceOut]:
    """Output models with the owner team's slug filled in."""
    teams = identity_repository.teams_by_ids(
        session, {s.owner_team_id for s in services if s.owner_team_id}
    )
    return [
        ServiceOut(
            **{field: getattr(s, field) for field in _OUT_FIELDS},
            owner_team=teams[s.owner_team_id].slug if s.owner_team_id else None,
        )
        for s in services
    ]


_OUT_FIELDS = tuple(name for name in ServiceOut.model_fields if name != "owner_team")


def snapshot(service: Service) -> dict[str, Any]:
    """The audited view of a service."""
    return {
        "name": service.name,
        "display_name": service.display_name,
        "description": service.description,
        "owner_team_id": service.owner_team_id,
        "tier": service.tier,
        "lifecycle": service.lifecycle,
        "runbook_url": service.runbook_url,
        "repository_url": service.repository_url,
        "environments": list(service.environments or []),
    }


def _values(session: Session, raw: dict[str, Any]) -> dict[str, Any]:
    values = dict(raw)
    if "owner_team" in values:
        ref = values.pop("owner_team")
        values["owner_team_id"] = _team_id(session, ref)
    for key in _URL_FIELDS:
        if values.get(key) is not None:
            values[key] = str(values[key])
    if "lifecycle" in values and values["lifecycle"] is not None:
        values["lifecycle"] = str(
            values["lifecycle"].value
            if hasattr(values["lifecycle"], "value")
            else values["lifecycle"]
        )
    return {
        k: v for k, v in values.items() if v is not None or k in {"owner_team_id", *_URL_FIELDS}
    }


def _team_id(session: Session, ref: str | None) -> str | None:
    if ref is None:
        return None
    team = identity_repository.team(session, ref)
    if team is None:
        raise NotFound(f"no team {ref!r}; create it with POST /api/v1/teams first")
    return team.id


# -- configuration items ---------------------------------------------------------------------


def import_snapshot(
    session: Session,
    actor: Actor,
    source: str,
    snapshot: Snapshot,
    *,
    strict: bool = False,
    priority: int | None = None,
) -> ImportSummary:
    """Make an importer's snapshot the newest truth of the named source (all or nothing)."""
    from guardrail.cmdb import reconcile, service_sync

    _, run = reconcile.apply_snapshot(
        session, actor, source, snapshot, strict=strict, priority=priority
    )
    service_sync.sync(session, actor, snapshot, run)
    return reconcile.finish(session, run)


def get_item(session: Session, ref: str) -> ConfigItem:
    """An item by id, key or unique name, or NotFound that says how to find it."""
    item = item_repository.get_item(session, ref)
    if item is not None:
        return item
    named = item_repository.items_named(session, ref)
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        keys = ", ".join(i.key for i in named[:5])
        raise Conflict(f"{len(named)} items are named {ref!r} ({keys}); give the id or the key")
    raise NotFound(f"no configuration item {ref!r}; search with `guardrail cmdb search {ref}`")


def search_items(
    session: Session,
    *,
    q: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    service: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ConfigItem], int]:
    """Items whose name, key or title contains ``q``, filtered, by name."""
    service_id = get_service(session, service).id if service else None
    source_id = get_source(session, source).id if source else None
    return item_repository.search_items(
        session,
        q=q,
        kind=kind,
        status=status,
        service_id=service_id,
        source_id=source_id,
        limit=limit,
        offset=offset,
    )


def get_source(session: Session, name: str) -> Source:
    """A CMDB source by name, or NotFound that says how to list them."""
    source = item_repository.source_by_name(session, name)
    if source is None:
        raise NotFound(f"no CMDB source {name!r}; list them with `guardrail cmdb sources`")
    return source


def kind_counts(session: Session) -> list[KindCount]:
    """How many items of each kind there are, active and retired, by kind."""
    counts: dict[str, KindCount] = {}
    for kind, status, number in item_repository.kind_counts(session):
        entry = counts.setdefault(kind, KindCount(kind=kind))
        setattr(entry, "retired" if status == "retired" else "active", number)
    return list(counts.values())


def item_sources(session: Session, item_ids: list[str]) -> dict[str, list[str]]:
    """The names of the sources that describe each item now (active claims), sorted."""
    found: dict[str, list[str]] = {item_id: [] for item_id in item_ids}
    for row in item_repository.claims_for_items(session, item_ids):
        if row.retired_at is None:
            found[row.item_id].append(row.name)
    return {item_id: sorted(names) for item_id, names in found.items()}


def item_detail(session: Session, item: ConfigItem) -> ItemDetail:
    """An item with every source's claim (provenance) and its active relations."""
    claims = item_repository.claims_for_items(session, [item.id])
    relations = [
        *(
            (row, "outgoing")
            for row in item_repository.active_relations_touching(session, [item.id], outgoing=True)
        ),
        *(
            (row, "incoming")
            for row in item_repository.active_relations_touching(session, [item.id], outgoing=False)
        ),
    ]
    others = item_repository.items_by_ids(
        session, {row.to_id if d == "outgoing" else row.from_id for row, d in relations}
    )
    out = ItemDetail(
        **ItemOut.model_validate(item).model_dump(),
        claims=[_claim_out(row) for row in claims],
        relations=[
            _relation_out(row, d, others)
            for row, d in relations
            if (row.to_id if d == "outgoing" else row.from_id) in others
        ],
        last_seen_at=_last_seen(claims),
    )
    out.relations.sort(key=lambda r: (r.direction, r.type, r.item.name))
    return out


def impact(
    session: Session,
    ref: str,
    *,
    depth: int = 5,
    direction: ImpactDirection = ImpactDirection.both,
) -> ImpactOut:
    """What a change to the item reaches and what it depends on, each with its path."""
    return impact_module.impact(session, get_item(session, ref), depth=depth, direction=direction)


def service_graph(
    session: Session, service_ref: str, *, depth: int = 2, limit: int = 500
) -> ServiceGraph:
    """Nodes and edges up and down from a service's items, with each fact's source."""
    return graph_module.build(session, get_service(session, service_ref), depth=depth, limit=limit)


def list_sources(session: Session) -> list[Source]:
    """Every CMDB source, by name."""
    return item_repository.list_sources(session)


def source_overviews(session: Session) -> list[SourceOverview]:
    """Every CMDB source, by name, with what its newest import did."""
    sources = item_repository.list_sources(session)
    runs = item_repository.latest_imports(session, [s.id for s in sources])
    return [
        SourceOverview(
            id=s.id,
            name=s.name,
            type=s.type,
            priority=s.priority,
            last_imported_at=s.last_imported_at,
            last_import=_import_brief(runs[s.id]) if s.id in runs else None,
        )
        for s in sources
    ]


def _import_brief(run: Any) -> ImportBrief:
    return ImportBrief(
        id=run.id,
        at=run.at,
        actor=run.actor,
        files=len(run.files or []),
        summary=dict(run.summary or {}),
        warnings=len(run.warnings or []),
        first_warnings=[_where(w) for w in (run.warnings or [])[:FIRST_WARNINGS]],
    )


def _where(warning: dict[str, Any]) -> str:
    """``file:line: message`` (YAML) or ``file at $.path: message`` (JSON)."""
    place = str(warning.get("file") or "")
    if warning.get("line"):
        place += f":{warning['line']}"
    elif warning.get("path"):
        place += f" at {warning['path']}"
    return f"{place}: {warning.get('message', '')}" if place else str(warning.get("message", ""))


def _claim_out(row: Any) -> ClaimOut:
    retired = row.retired_at is not None
    return ClaimOut(
        source=row.name,
        origin=row.origin,
        status="retired" if retired else "active",
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at if retired else (row.last_imported_at or row.last_seen_at),
        data=row.data,
    )


def _last_seen(claims: list[Any]) -> datetime | None:
    seen = [_claim_out(row).last_seen_at for row in claims]
    return max((s for s in seen if s is not None), default=None)


def _relation_out(row: Any, direction: str, others: dict[str, ConfigItem]) -> RelationOut:
    other = others[row.to_id if direction == "outgoing" else row.from_id]
    return RelationOut(
        type=row.type,
        direction=direction,
        item=impact_module.item_ref(other),
        source=row.name,
        origin=row.origin,
        attributes=row.attributes or {},
    )

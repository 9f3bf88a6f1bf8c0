"""Reconciliation: a snapshot becomes the newest truth of one named source.

The source's previous statements are loaded in one query, diffed in memory against the snapshot,
and written back in bulk: new claims and relations are inserted, changed ones updated, missing
ones retired (never deleted) and returning ones restored. Only items whose claims changed are
re-merged and audited, so importing the same input again writes nothing but the import record.
Everything happens in the caller's unit of work: an import applies completely or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import item_repository as repo
from guardrail.cmdb import references
from guardrail.cmdb.merge import ClaimView, Merged, default_priority, merge
from guardrail.cmdb.models import ConfigItem, ImportRun, ItemClaim, Relation, Source
from guardrail.cmdb.schemas import ImportSummary
from guardrail.cmdb.snapshot import ItemFact, RelationFact, Snapshot, digest
from guardrail.kit.context import Actor
from guardrail.kit.ids import new_id
from guardrail.kit.jsonutil import to_jsonable
from guardrail.kit.time import utcnow

MAX_STORED_WARNINGS = 200
MAX_AUDITED_RELATIONS = 1000


@dataclass
class Run:
    """State of one import while it is applied."""

    source: Source
    actor: Actor
    now: datetime
    summary: ImportSummary
    previous_import: datetime | None
    key_to_id: dict[str, str] = field(default_factory=dict)
    new_item_ids: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    events: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=list
    )
    relation_changes: list[dict[str, Any]] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)

    @property
    def snapshot_digest(self) -> str:
        """A hash of everything the snapshot said (equal inputs, equal digests)."""
        return digest(sorted(self.digests))


def apply_snapshot(
    session: Session,
    actor: Actor,
    source_name: str,
    snapshot: Snapshot,
    *,
    strict: bool = False,
    priority: int | None = None,
) -> tuple[ImportSummary, Run]:
    """Make ``snapshot`` the newest truth of ``source_name``; flush, never commit."""
    snapshot.raise_for_errors()
    relations = _dedupe(snapshot.relations)
    external = references.resolve(session, snapshot, relations, strict)
    snapshot.raise_for_errors()
    source = _source(session, actor, source_name, snapshot, priority)
    run = Run(
        source=source,
        actor=actor,
        now=utcnow(),
        previous_import=source.last_imported_at,
        summary=ImportSummary(
            source=source.name,
            files=list(snapshot.files),
            warnings=[p.as_dict() for p in snapshot.warnings],
        ),
    )
    _reconcile_items(session, run, snapshot.items)
    run.key_to_id.update(external)
    _reconcile_relations(session, run, relations)
    _merge_items(session, run)
    entries = (
        audit_service.Entry(action, "config_item", item_id, before, after)
        for action, item_id, before, after in run.events
    )
    audit_service.record_many(session, actor, entries)
    return run.summary, run


def finish(session: Session, run: Run) -> ImportSummary:
    """Record the import and, when it changed anything, one audit event that sums it up."""
    summary = run.summary
    snapshot_digest = run.snapshot_digest
    record = ImportRun(
        source_id=run.source.id,
        at=run.now,
        actor=run.actor.name,
        digest=snapshot_digest,
        files=summary.files[:500],
        summary=_counts(summary),
        warnings=summary.warnings[:MAX_STORED_WARNINGS],
    )
    session.add(record)
    run.source.last_imported_at = run.now
    run.source.last_digest = snapshot_digest
    session.flush()
    summary.import_id = record.id
    if summary.changed:
        after = {
            "source": run.source.name,
            **_counts(summary),
            "relations": run.relation_changes[:MAX_AUDITED_RELATIONS],
        }
        audit_service.record(
            session, run.actor, "cmdb.import", "cmdb_source", run.source.id, after=after
        )
    return summary


def _counts(summary: ImportSummary) -> dict[str, int]:
    data = summary.model_dump(exclude={"source", "import_id", "files", "warnings"})
    return {k: int(v) for k, v in data.items()}


# -- sources and references -------------------------------------------------------------------


def _source(
    session: Session, actor: Actor, name: str, snapshot: Snapshot, priority: int | None
) -> Source:
    source = repo.source_by_name(session, name)
    source_type = "+".join(sorted(snapshot.types)) or "empty"
    if source is None:
        source = Source(
            name=name,
            type=source_type,
            priority=priority if priority is not None else default_priority(source_type),
        )
        session.add(source)
        session.flush()
        audit_service.record(
            session,
            actor,
            "cmdb.source.create",
            "cmdb_source",
            source.id,
            after={"name": name, "type": source_type, "priority": source.priority},
        )
    elif priority is not None and priority != source.priority:
        before = {"priority": source.priority}
        source.priority = priority
        audit_service.record(
            session,
            actor,
            "cmdb.source.update",
            "cmdb_source",
            source.id,
            before=before,
            after={"priority": priority},
        )
    return source


def _dedupe(relations: list[RelationFact]) -> list[RelationFact]:
    """One relation per (source, type, target); Ingress routes to one Service are combined."""
    unique: dict[tuple[str, str, str], RelationFact] = {}
    for relation in relations:
        key = (relation.source, relation.type, relation.target)
        first = unique.get(key)
        if first is None:
            unique[key] = relation
        elif relation.attributes.get("routes") and first.attributes.get("routes") is not None:
            first.attributes["routes"] = first.attributes["routes"] + relation.attributes["routes"]
    return list(unique.values())


# -- items ------------------------------------------------------------------------------------


def _reconcile_items(session: Session, run: Run, facts: dict[str, ItemFact]) -> None:
    existing = {row.key: row for row in repo.claims_of_source(session, run.source.id)}
    datas = {key: to_jsonable(fact.data()) for key, fact in facts.items()}
    digests = {key: digest(data) for key, data in datas.items()}
    run.digests.extend(f"{k}={d}" for k, d in digests.items())
    _insert_new(session, run, facts, datas, digests, [k for k in facts if k not in existing])
    updates: list[dict[str, Any]] = []
    for key, row in existing.items():
        run.key_to_id[key] = row.item_id
        fact = facts.get(key)
        change = _claim_change(run, row, fact, datas.get(key), digests.get(key))
        if change is not None:
            updates.append(change)
    repo.bulk_update(session, ItemClaim, updates)


def _insert_new(
    session: Session,
    run: Run,
    facts: dict[str, ItemFact],
    datas: dict[str, dict[str, Any]],
    digests: dict[str, str],
    keys: list[str],
) -> None:
    found = repo.item_ids_by_keys(session, keys)
    items, claims = [], []
    for key in keys:
        item_id = found.get(key)
        if item_id is None:
            item_id = new_id("ci")
            run.new_item_ids.add(item_id)
            items.append(_item_row(run, item_id, key, datas[key]))
        run.key_to_id[key] = item_id
        run.touched.add(item_id)
        claims.append(
            {
                "item_id": item_id,
                "source_id": run.source.id,
                "data": datas[key],
                "digest": digests[key],
                "origin": str(facts[key].origin)[:500],
                "first_seen_at": run.now,
                "last_seen_at": run.now,
                "retired_at": None,
            }
        )
        action = "cmdb.item.create" if item_id in run.new_item_ids else "cmdb.item.update"
        run.events.append((action, item_id, None, _audited(run, key, datas[key])))
    run.summary.created += len(keys)
    repo.bulk_insert(session, ConfigItem, items)
    repo.bulk_insert(session, ItemClaim, claims)


def _item_row(run: Run, item_id: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    merged = merge([ClaimView(run.source.name, run.source.priority, data, run.now, False)])
    return {
        "id": item_id,
        "key": key,
        **_item_values(merged),
        "service_id": None,
        "first_seen_at": run.now,
        "retired_at": None,
        "created_at": run.now,
        "updated_at": run.now,
    }


def _claim_change(
    run: Run,
    row: Row[Any],
    fact: ItemFact | None,
    data: dict[str, Any] | None,
    new_digest: str | None,
) -> dict[str, Any] | None:
    """The update a stored claim needs (or None), counting and auditing it."""
    key = row.key
    if fact is None or data is None:
        if row.retired_at is not None:
            return None
        run.summary.retired += 1
        run.touched.add(row.item_id)
        run.events.append(("cmdb.item.retire", row.item_id, _audited(run, key, row.data), None))
        return {"id": row.id, "retired_at": run.now, "last_seen_at": run.previous_import or run.now}
    origin = str(fact.origin)[:500]
    if row.digest == new_digest and row.retired_at is None:
        run.summary.unchanged += 1
        return {"id": row.id, "origin": origin} if row.origin != origin else None
    run.touched.add(row.item_id)
    if row.retired_at is not None:
        run.summary.restored += 1
        action = "cmdb.item.restore"
    else:
        run.summary.updated += 1
        action = "cmdb.item.update"
    run.events.append((action, row.item_id, _audited(run, key, row.data), _audited(run, key, data)))
    return {
        "id": row.id,
        "data": data,
        "digest": new_digest,
        "origin": origin,
        "last_seen_at": run.now,
        "retired_at": None,
    }


def _audited(run: Run, key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"source": run.source.name, "key": key, **data}


# -- relations --------------------------------------------------------------------------------


def _reconcile_relations(session: Session, run: Run, relations: list[RelationFact]) -> None:
    existing = {
        (r.from_id, r.to_id, r.type): r for r in repo.relations_of_source(session, run.source.id)
    }
    wanted: dict[tuple[str, str, str], RelationFact] = {}
    for relation in relations:
        from_id, to_id = run.key_to_id.get(relation.source), run.key_to_id.get(relation.target)
        if from_id and to_id:
            wanted[(from_id, to_id, relation.type)] = relation
    inserts, updates = [], []
    for ends, relation in wanted.items():
        attributes = to_jsonable(relation.attributes)
        run.digests.append(f"{relation.source}|{relation.type}|{relation.target}|{attributes}")
        row = existing.get(ends)
        change = _relation_change(run, ends, row, relation, attributes)
        if row is None:
            inserts.append(change)
        elif change is not None:
            updates.append(change)
    for stored, row in existing.items():
        if stored not in wanted and row.retired_at is None:
            run.summary.relations_retired += 1
            run.relation_changes.append(_relation_event("retire", stored))
            updates.append(
                {
                    "id": row.id,
                    "retired_at": run.now,
                    "last_seen_at": run.previous_import or run.now,
                }
            )
    repo.bulk_insert(session, Relation, [r for r in inserts if r is not None])
    repo.bulk_update(session, Relation, updates)


def _relation_change(
    run: Run,
    ends: tuple[str, str, str],
    row: Row[Any] | None,
    relation: RelationFact,
    attributes: dict[str, Any],
) -> dict[str, Any] | None:
    relation_digest = digest(attributes)
    origin = str(relation.origin)[:500]
    if row is None:
        run.summary.relations_created += 1
        run.relation_changes.append(_relation_event("create", ends))
        return {
            "source_id": run.source.id,
            "from_id": ends[0],
            "to_id": ends[1],
            "type": ends[2],
            "attributes": attributes,
            "digest": relation_digest,
            "origin": origin,
            "first_seen_at": run.now,
            "last_seen_at": run.now,
            "retired_at": None,
        }
    if row.digest == relation_digest and row.retired_at is None:
        run.summary.relations_unchanged += 1
        return {"id": row.id, "origin": origin} if row.origin != origin else None
    run.summary.relations_updated += 1
    run.relation_changes.append(_relation_event("update", ends))
    return {
        "id": row.id,
        "attributes": attributes,
        "digest": relation_digest,
        "origin": origin,
        "last_seen_at": run.now,
        "retired_at": None,
    }


def _relation_event(action: str, ends: tuple[str, str, str]) -> dict[str, Any]:
    return {"action": action, "from": ends[0], "type": ends[2], "to": ends[1]}


# -- merged items -----------------------------------------------------------------------------


def _merge_items(session: Session, run: Run) -> None:
    """Recompute the merged view of every item whose claims changed (new items are already)."""
    ids = run.touched - run.new_item_ids
    if not ids:
        return
    claims: dict[str, list[ClaimView]] = defaultdict(list)
    for row in repo.claims_for_items(session, ids):
        claims[row.item_id].append(
            ClaimView(
                row.name, row.priority, row.data, row.first_seen_at, row.retired_at is not None
            )
        )
    merged = {item_id: merge(views) for item_id, views in claims.items()}
    refs = {service_name(m.values.get("service_ref")) for m in merged.values()}
    service_ids = repo.service_ids_by_names(session, {r for r in refs if r})
    for item_id, item in repo.items_by_ids(session, ids).items():
        _apply_merge(run, item, merged[item_id], service_ids)


def _apply_merge(run: Run, item: ConfigItem, merged: Merged, service_ids: dict[str, str]) -> None:
    values = _item_values(merged)
    ref = values["service_ref"]
    if ref != item.service_ref:
        values["service_id"] = service_ids.get(ref) if ref else None
    elif ref and item.service_id is None:
        values["service_id"] = service_ids.get(ref)
    if values["status"] == "retired" and item.status != "retired":
        values["retired_at"] = run.now
    elif values["status"] == "active":
        values["retired_at"] = None
    for name, value in values.items():
        if getattr(item, name) != value:
            setattr(item, name, value)


def _item_values(merged: Merged) -> dict[str, Any]:
    values = merged.values
    return {
        "kind": str(values.get("kind") or "unknown")[:50],
        "name": str(values.get("name") or "")[:255],
        "title": str(values.get("title") or "")[:255],
        "description": str(values.get("description") or "")[:2000],
        "owner": values.get("owner"),
        "lifecycle": values.get("lifecycle"),
        "service_ref": service_name(values.get("service_ref")),
        "attributes": merged.attributes,
        "conflicts": merged.conflicts,
        "status": "active" if merged.active else "retired",
    }


def service_name(ref: Any) -> str | None:
    """A service reference as a catalogue name: ``component:team/x`` -> ``team-x``."""
    if not ref:
        return None
    text = str(ref).strip().lower()
    if ":" in text:
        text = text.split(":", 1)[1]
    namespace, _, name = text.rpartition("/")
    if namespace and namespace != "default":
        name = f"{namespace}-{name}"
    return name[:255] or None

"""Every query on configuration items, claims, relations and sources.

Imports work in bulk: one query loads what a source said last time, the diff happens in memory,
and inserts and updates go out as executemany batches. ``IN`` lists are chunked so that no
statement exceeds a database's parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from guardrail.cmdb.models import ConfigItem, ImportRun, ItemClaim, Relation, Service, Source

CHUNK = 500
T = TypeVar("T")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- sources --------------------------------------------------------------------------------


def source_by_name(session: Session, name: str) -> Source | None:
    return session.scalars(select(Source).where(Source.name == name)).first()


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


def sources_by_ids(session: Session, ids: Iterable[str]) -> dict[str, Source]:
    found: dict[str, Source] = {}
    for batch in chunks(set(ids)):
        found.update({s.id: s for s in session.scalars(select(Source).where(Source.id.in_(batch)))})
    return found


def latest_imports(session: Session, source_ids: Iterable[str]) -> dict[str, ImportRun]:
    """Each source's newest import, by source id."""
    found: dict[str, ImportRun] = {}
    for batch in chunks(set(source_ids)):
        newest = (
            select(ImportRun.source_id, func.max(ImportRun.at).label("at"))
            .where(ImportRun.source_id.in_(batch))
            .group_by(ImportRun.source_id)
            .subquery()
        )
        query = select(ImportRun).join(
            newest, (ImportRun.source_id == newest.c.source_id) & (ImportRun.at == newest.c.at)
        )
        for run in session.scalars(query.order_by(ImportRun.id)):
            found[run.source_id] = run  # on a tie of times, the later id wins
    return found


def kind_counts(session: Session) -> list[tuple[str, str, int]]:
    """(kind, status, count) over every item."""
    query = select(ConfigItem.kind, ConfigItem.status, func.count()).group_by(
        ConfigItem.kind, ConfigItem.status
    )
    rows = session.execute(query.order_by(ConfigItem.kind, ConfigItem.status))
    return [(kind, status, int(number)) for kind, status, number in rows]


def last_imports(session: Session, source_id: str, limit: int = 10) -> list[ImportRun]:
    query = select(ImportRun).where(ImportRun.source_id == source_id)
    return list(session.scalars(query.order_by(ImportRun.at.desc()).limit(limit)))


# -- claims and items, for reconciliation -------------------------------------------------------


def claims_of_source(session: Session, source_id: str) -> list[Row[Any]]:
    """(claim id, item id, item key, digest, origin, retired_at, data) of every claim."""
    query = (
        select(
            ItemClaim.id,
            ItemClaim.item_id,
            ConfigItem.key,
            ItemClaim.digest,
            ItemClaim.origin,
            ItemClaim.retired_at,
            ItemClaim.data,
        )
        .join(ConfigItem, ConfigItem.id == ItemClaim.item_id)
        .where(ItemClaim.source_id == source_id)
    )
    return list(session.execute(query))


def item_ids_by_keys(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Item id by key, for the keys that exist."""
    found: dict[str, str] = {}
    for batch in chunks(set(keys)):
        rows = session.execute(
            select(ConfigItem.key, ConfigItem.id).where(ConfigItem.key.in_(batch))
        )
        found.update({key: item_id for key, item_id in rows})
    return found


def claims_for_items(session: Session, item_ids: Iterable[str]) -> list[Row[Any]]:
    """(item id, source name, priority, data, first_seen_at, retired_at, origin) of the items."""
    rows: list[Row[Any]] = []
    for batch in chunks(set(item_ids)):
        rows.extend(
            session.execute(
                select(
                    ItemClaim.item_id,
                    Source.name,
                    Source.priority,
                    ItemClaim.data,
                    ItemClaim.first_seen_at,
                    ItemClaim.retired_at,
                    ItemClaim.origin,
                    Source.last_imported_at,
                    ItemClaim.last_seen_at,
                )
                .join(Source, Source.id == ItemClaim.source_id)
                .where(ItemClaim.item_id.in_(batch))
            )
        )
    return rows


def items_by_ids(session: Session, ids: Iterable[str]) -> dict[str, ConfigItem]:
    found: dict[str, ConfigItem] = {}
    for batch in chunks(set(ids)):
        found.update(
            {i.id: i for i in session.scalars(select(ConfigItem).where(ConfigItem.id.in_(batch)))}
        )
    return found


def relations_of_source(session: Session, source_id: str) -> list[Row[Any]]:
    """(id, from_id, to_id, type, digest, origin, retired_at) of every relation of a source."""
    query = select(
        Relation.id,
        Relation.from_id,
        Relation.to_id,
        Relation.type,
        Relation.digest,
        Relation.origin,
        Relation.retired_at,
    ).where(Relation.source_id == source_id)
    return list(session.execute(query))


def bulk_insert(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    for batch in chunks(rows, 2000):
        session.execute(insert(model), batch)


def bulk_update(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by primary key; every dict carries ``id`` and the columns to set."""
    for batch in chunks(rows, 2000):
        session.execute(update(model), batch)


def service_ids_by_names(session: Session, names: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for batch in chunks(set(names)):
        rows = session.execute(select(Service.name, Service.id).where(Service.name.in_(batch)))
        found.update({name: service_id for name, service_id in rows})
    return found


def services_by_ids(session: Session, ids: Iterable[str]) -> dict[str, Service]:
    found: dict[str, Service] = {}
    for batch in chunks(set(ids)):
        found.update(
            {s.id: s for s in session.scalars(select(Service).where(Service.id.in_(batch)))}
        )
    return found


def link_service(session: Session, service_ref: str, service_id: str) -> int:
    """Point every unlinked item that names ``service_ref`` at the service; the count linked."""
    result = session.execute(
        update(ConfigItem)
        .where(ConfigItem.service_ref == service_ref, ConfigItem.service_id.is_(None))
        .values(service_id=service_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- reading --------------------------------------------------------------------------------


def get_item(session: Session, ref: str) -> ConfigItem | None:
    """An item by id, by key, or by a name that only one item has."""
    if ref.startswith("ci_"):
        item = session.get(ConfigItem, ref)
        if item is not None:
            return item
    item = session.scalars(select(ConfigItem).where(ConfigItem.key == ref.lower())).first()
    if item is None:
        item = session.scalars(select(ConfigItem).where(ConfigItem.key == ref)).first()
    return item


def items_named(session: Session, name: str, limit: int = 10) -> list[ConfigItem]:
    query = select(ConfigItem).where(func.lower(ConfigItem.name) == name.lower())
    return list(session.scalars(query.order_by(ConfigItem.status, ConfigItem.key).limit(limit)))


def search_items(
    session: Session,
    *,
    q: str | None,
    kind: str | None,
    status: str | None,
    service_id: str | None,
    limit: int,
    offset: int,
    source_id: str | None = None,
) -> tuple[list[ConfigItem], int]:
    query = select(ConfigItem)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(ConfigItem.name).like(pattern),
                func.lower(ConfigItem.key).like(pattern),
                func.lower(ConfigItem.title).like(pattern),
            )
        )
    if kind:
        query = query.where(ConfigItem.kind == kind)
    if status:
        query = query.where(ConfigItem.status == status)
    if service_id:
        query = query.where(ConfigItem.service_id == service_id)
    if source_id:  # items the source describes or once described (retired claims count)
        query = query.where(
            exists().where(ItemClaim.item_id == ConfigItem.id, ItemClaim.source_id == source_id)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ConfigItem.name, ConfigItem.key).limit(limit).offset(offset)
    )
    return list(rows), total


def items_of_service(session: Session, service_id: str) -> list[ConfigItem]:
    query = select(ConfigItem).where(
        ConfigItem.service_id == service_id, ConfigItem.status == "active"
    )
    return list(session.scalars(query.order_by(ConfigItem.key)))


def active_relations_touching(
    session: Session, item_ids: Iterable[str], *, outgoing: bool, types: Iterable[str] | None = None
) -> list[Row[Any]]:
    """Active relations leaving (``outgoing``) or entering the items, with their source's name."""
    column = Relation.from_id if outgoing else Relation.to_id
    rows: list[Row[Any]] = []
    type_list = list(types) if types is not None else None
    for batch in chunks(set(item_ids)):
        query = (
            select(
                Relation.from_id,
                Relation.type,
                Relation.to_id,
                Relation.attributes,
                Relation.origin,
                Source.name,
            )
            .join(Source, Source.id == Relation.source_id)
            .where(column.in_(batch), Relation.retired_at.is_(None))
        )
        if type_list is not None:
            query = query.where(Relation.type.in_(type_list))
        rows.extend(session.execute(query))
    return rows

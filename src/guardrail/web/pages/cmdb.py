"""The CMDB: search configuration items, and one item with its sources, relations and impact."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Query, Request, Response

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import ItemStatus
from guardrail.cmdb.schemas import ImpactEntry, ImpactOut, ItemRef, PathStep
from guardrail.errors import InvalidInput
from guardrail.kit.context import Actor
from guardrail.store.session import Database
from guardrail.web.render import render
from guardrail.web.routing import web_router
from guardrail.web.session import signed_in

router = web_router()

PAGE_SIZE = 25
DEPTHS = tuple(range(1, 11))
DEFAULT_DEPTH = 5
MAX_VALUE = 300  # characters of an attribute value shown before it is cut
# The importers never store secrets; this is a second line, should a source's tag or label name
# look like one anyway.
_SECRET_NAME = re.compile(r"passw|secret|token|private|credential|api[_-]?key", re.IGNORECASE)
_FILTERS = ("q", "kind", "source", "status")
_BREAK_AFTER = re.compile(r"(?<=[./:])")


@router.get("/cmdb")
def item_list(
    request: Request,
    q: str | None = Query(None, max_length=200),
    kind: str | None = Query(None, max_length=50),
    source: str | None = Query(None, max_length=100),
    status: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=100_000),
    _: Actor = Depends(signed_in()),
) -> Response:
    """Configuration items by text, kind, source and status; counts by kind; the sources."""
    raw = {"q": q, "kind": kind, "source": source, "status": status}
    selected = {k: (v or "").strip() for k, v in raw.items()}
    if selected["status"] and selected["status"] not in {s.value for s in ItemStatus}:
        raise InvalidInput("the filter is invalid: status must be active or retired")
    db: Database = request.app.state.db
    with db.reader() as session:
        rows, total = cmdb.search_items(
            session,
            q=selected["q"] or None,
            kind=selected["kind"] or None,
            source=selected["source"] or None,
            status=selected["status"] or None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        sources_of = cmdb.item_sources(session, [row.id for row in rows])
        services = _service_names(session, {row.service_id for row in rows if row.service_id})
        items = [ItemRow.make(row, sources_of, services) for row in rows]
        kinds = cmdb.kind_counts(session)
        sources = cmdb.source_overviews(session)
    context = {
        "items": items,
        "total": total,
        "kinds": kinds,
        "item_total": sum(k.active + k.retired for k in kinds),
        "sources": sources,
        "statuses": [s.value for s in ItemStatus],
        "selected": selected,
        "filtered": any(selected.values()),
        "pager": Pager.make(selected, page, total),
        "describe_import": describe_import,
        "breakable": breakable,
    }
    return render(request, "cmdb/list.html", context)


@router.get("/cmdb/items/{ref:path}")
def item_page(
    request: Request,
    ref: str,
    depth: int = Query(DEFAULT_DEPTH, ge=1, le=DEPTHS[-1]),
    _: Actor = Depends(signed_in()),
) -> Response:
    """One item: its fields, each source's claim, conflicts, relations, and its impact."""
    db: Database = request.app.state.db
    with db.reader() as session:
        item = cmdb.get_item(session, ref)
        detail = cmdb.item_detail(session, item)
        impact = cmdb.impact(session, item.id, depth=depth)
        ids = {detail.service_id} | {s.service_id for s in impact.services}
        services = _service_names(session, {i for i in ids if i})
    context = {
        "item": detail,
        "service_name": services.get(detail.service_id or ""),
        "placeholder": bool(detail.claims)
        and all(c.data.get("placeholder") for c in detail.claims),
        "attributes": [(key, show_value(key, value)) for key, value in detail.attributes.items()],
        "claims": [ClaimView.make(c) for c in detail.claims],
        "conflicts": [ConflictView.make(c) for c in detail.conflicts],
        "outgoing": [r for r in detail.relations if r.direction == "outgoing"],
        "incoming": [r for r in detail.relations if r.direction == "incoming"],
        "impact": ImpactView.make(impact, services),
        "depths": DEPTHS,
    }
    return render(request, "cmdb/item.html", context)


_COUNTED = (
    ("items", ("created", "updated", "retired", "restored")),
    ("relations", ("relations_created", "relations_updated", "relations_retired")),
    ("services", ("services_created", "services_updated")),
)


def describe_import(summary: dict[str, int]) -> str:
    """An import's counts in words, leaving out what did not happen."""
    parts = []
    for label, keys in _COUNTED:
        done = [f"{summary[k]} {k.rsplit('_', 1)[-1]}" for k in keys if summary.get(k)]
        if done:
            parts.append(f"{label} {', '.join(done)}")
    return "; ".join(parts) if parts else "nothing changed"


def _service_names(session: Any, ids: set[str]) -> dict[str, str]:
    """Service names by id, for the links to the service pages."""
    found = {i: cmdb.find_service(session, i) for i in ids}
    return {i: s.name for i, s in found.items() if s is not None}


def item_url(item_id: str) -> str:
    """The page of an item."""
    return f"/cmdb/items/{quote(item_id, safe='')}"


def breakable(text: str) -> list[str]:
    """``text`` in pieces ending at ``.``, ``/`` or ``:``, where a long address may wrap."""
    return [piece for piece in _BREAK_AFTER.split(text) if piece]


def show_value(key: str, value: Any) -> str:
    """An attribute value as short text: secret-looking names hidden, long values cut."""
    value = _redact(value)
    if _SECRET_NAME.search(key):
        value = "(hidden)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_VALUE:
        return f"{text[: MAX_VALUE - 1]}… ({len(text):,} characters, cut)"
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "(hidden)" if _SECRET_NAME.search(str(k)) else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


@dataclass(frozen=True)
class ItemRow:
    """One row of the item list."""

    id: str
    url: str
    name: str
    title: str
    kind: str
    key: str
    status: str
    service: str | None
    sources: list[str]

    @classmethod
    def make(cls, item: Any, sources_of: dict[str, list[str]], services: dict[str, str]) -> ItemRow:
        return cls(
            id=item.id,
            url=item_url(item.id),
            name=item.name,
            title=item.title,
            kind=item.kind,
            key=item.key,
            status=item.status,
            service=services.get(item.service_id) if item.service_id else None,
            sources=sources_of.get(item.id, []),
        )


@dataclass(frozen=True)
class ClaimView:
    """What one source says about the item, as the page lists it."""

    source: str
    origin: str
    status: str
    first_seen_at: Any
    last_seen_at: Any
    placeholder: bool
    says: list[tuple[str, str]]

    @classmethod
    def make(cls, claim: Any) -> ClaimView:
        data = dict(claim.data)
        placeholder = bool(data.pop("placeholder", False))
        attributes = data.pop("attributes", None) or {}
        says = [(k, show_value(k, v)) for k, v in data.items() if v not in (None, "", [], {})]
        says += [(f"attributes.{k}", show_value(k, v)) for k, v in attributes.items()]
        return cls(
            source=claim.source,
            origin=claim.origin,
            status=claim.status,
            first_seen_at=claim.first_seen_at,
            last_seen_at=claim.last_seen_at,
            placeholder=placeholder,
            says=says,
        )


@dataclass(frozen=True)
class ConflictView:
    """A field two sources disagree on: the value taken, and the others."""

    field: str
    chosen_source: str
    chosen: str
    others: list[tuple[str, str]]

    @classmethod
    def make(cls, conflict: dict[str, Any]) -> ConflictView:
        name = str(conflict.get("field", ""))
        chosen = conflict.get("chosen") or {}
        return cls(
            field=name,
            chosen_source=str(chosen.get("source", "")),
            chosen=show_value(name, chosen.get("value")),
            others=[
                (str(o.get("source", "")), show_value(name, o.get("value")))
                for o in conflict.get("others") or []
            ],
        )


@dataclass(frozen=True)
class Step:
    """One hop of a path, with both ends named and linked."""

    from_name: str
    from_url: str | None
    relation: str
    to_name: str
    to_url: str | None
    source: str


@dataclass(frozen=True)
class Reached:
    """An item the impact walk reached, and the path that explains it."""

    item: ItemRef
    url: str
    depth: int
    steps: list[Step]


@dataclass(frozen=True)
class ServiceHit:
    """A service a change reaches, through its nearest item."""

    name: str
    depth: int
    via: ItemRef
    via_url: str
    steps: list[Step]


@dataclass(frozen=True)
class ImpactView:
    """The impact of a change to the item, ready to list: services first."""

    depth: int
    truncated: bool
    services: list[ServiceHit]
    dependents: list[Reached]
    dependencies: list[Reached]

    @classmethod
    def make(cls, impact: ImpactOut, services: dict[str, str]) -> ImpactView:
        here = impact.item.id
        names = {here: impact.item.name}
        names.update({e.item.id: e.item.name for e in (*impact.dependents, *impact.dependencies)})
        down = {e.item.id: e for e in impact.dependents}
        hits = [
            ServiceHit(
                name=services.get(s.service_id, s.name),
                depth=s.depth,
                via=s.via,
                via_url=item_url(s.via.id),
                steps=_steps(down[s.via.id].path, names, here) if s.via.id in down else [],
            )
            for s in impact.services
        ]
        hits.sort(key=lambda h: (h.depth, h.name))
        return cls(
            depth=impact.depth,
            truncated=impact.truncated,
            services=hits,
            dependents=[_reached(e, names, here) for e in impact.dependents],
            dependencies=[_reached(e, names, here) for e in impact.dependencies],
        )


def _reached(entry: ImpactEntry, names: dict[str, str], here: str) -> Reached:
    return Reached(
        item=entry.item,
        url=item_url(entry.item.id),
        depth=entry.depth,
        steps=_steps(entry.path, names, here),
    )


def _steps(path: list[PathStep], names: dict[str, str], here: str) -> list[Step]:
    """The hops of a path; the item whose page this is gets no link (``url`` None)."""
    return [
        Step(
            from_name=names.get(p.from_id, p.from_id),
            from_url=item_url(p.from_id) if p.from_id != here else None,
            relation=p.relation,
            to_name=names.get(p.to_id, p.to_id),
            to_url=item_url(p.to_id) if p.to_id != here else None,
            source=p.source,
        )
        for p in path
    ]


@dataclass(frozen=True)
class Pager:
    """Where one page sits in the list, with links that keep the filters."""

    page: int
    pages: int
    first: int
    last: int
    prev_url: str | None
    next_url: str | None

    @classmethod
    def make(cls, selected: dict[str, str], page: int, total: int) -> Pager:
        pages = max(1, -(-total // PAGE_SIZE))
        kept = {k: selected[k] for k in _FILTERS if selected.get(k)}

        def url(number: int) -> str:
            query = urlencode({**kept, "page": number} if number > 1 else kept)
            return f"/cmdb?{query}" if query else "/cmdb"

        return cls(
            page=page,
            pages=pages,
            first=(page - 1) * PAGE_SIZE + 1,
            last=min(total, page * PAGE_SIZE),
            prev_url=url(min(page - 1, pages)) if page > 1 else None,
            next_url=url(page + 1) if page < pages else None,
        )

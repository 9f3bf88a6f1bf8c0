"""Impact analysis: breadth-first walks over the dependency relations.

A walk goes one level at a time with two batched queries per level (relations into and out of
the frontier), remembers how it reached every item (so each result carries the path that
explains it), visits each item once (cycles end there), and stops at the depth limit. Retired
items and retired relations are not walked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from guardrail.cmdb import item_repository as repo
from guardrail.cmdb.enums import DEPENDENT_END, ImpactDirection
from guardrail.cmdb.models import ConfigItem
from guardrail.cmdb.schemas import ImpactEntry, ImpactOut, ItemRef, PathStep, ServiceImpact

MAX_DEPTH = 20
MAX_NODES = 10_000
SOURCE_DEPENDS = [t for t, end in DEPENDENT_END.items() if end == "source"]
TARGET_DEPENDS = [t for t, end in DEPENDENT_END.items() if end == "target"]


@dataclass(frozen=True, slots=True)
class Step:
    """One relation as stated: ``from_id --type--> to_id`` by ``source`` at ``origin``."""

    from_id: str
    type: str
    to_id: str
    source: str
    origin: str
    attributes: dict[str, Any]


@dataclass
class Walk:
    """Where a walk got: each reached item's depth and the step that reached it."""

    depth: dict[str, int] = field(default_factory=dict)
    via: dict[str, tuple[str, Step]] = field(default_factory=dict)
    items: dict[str, ConfigItem] = field(default_factory=dict)
    edges: list[Step] = field(default_factory=list)
    truncated: bool = False

    def path(self, item_id: str) -> list[Step]:
        """The steps from the start to ``item_id``, in walking order."""
        steps = []
        while item_id in self.via:
            parent, step = self.via[item_id]
            steps.append(step)
            item_id = parent
        return list(reversed(steps))


def walk(
    session: Session,
    start: list[str],
    *,
    dependents: bool,
    depth: int,
    limit: int = MAX_NODES,
) -> Walk:
    """Items that depend on ``start`` (``dependents``) or that ``start`` depends on."""
    result = Walk(depth={item_id: 0 for item_id in start})
    frontier = list(start)
    for level in range(1, depth + 1):
        if not frontier:
            break
        found = _neighbours(session, frontier, dependents)
        result.edges.extend(step for _, step in found)
        fresh: dict[str, tuple[str, Step]] = {}
        for parent, step in found:
            other = step.from_id if step.to_id == parent else step.to_id
            if other not in result.depth and other not in fresh:
                fresh[other] = (parent, step)
        items = repo.items_by_ids(session, fresh)
        frontier = []
        for item_id, (parent, step) in fresh.items():
            item = items.get(item_id)
            if item is None or item.status != "active":
                continue
            if len(result.depth) >= limit:
                result.truncated = True
                return result
            result.depth[item_id], result.via[item_id] = level, (parent, step)
            result.items[item_id] = item
            frontier.append(item_id)
    return result


def _neighbours(session: Session, frontier: list[str], dependents: bool) -> list[tuple[str, Step]]:
    """(frontier item, relation) pairs one level out, in the direction asked for."""
    # Dependents of X: X is the target of a source-dependent relation, or the source of a
    # target-dependent one. Dependencies are the mirror image.
    found: list[tuple[str, Step]] = []
    into = repo.active_relations_touching(
        session, frontier, outgoing=False, types=SOURCE_DEPENDS if dependents else TARGET_DEPENDS
    )
    out = repo.active_relations_touching(
        session, frontier, outgoing=True, types=TARGET_DEPENDS if dependents else SOURCE_DEPENDS
    )
    for row in into:
        found.append((row.to_id, _step(row)))
    for row in out:
        found.append((row.from_id, _step(row)))
    found.sort(key=lambda pair: (pair[1].type, pair[1].from_id, pair[1].to_id, pair[1].source))
    return found


def _step(row: Any) -> Step:
    return Step(row.from_id, row.type, row.to_id, row.name, row.origin, row.attributes or {})


def item_ref(item: ConfigItem) -> ItemRef:
    return ItemRef(
        id=item.id,
        key=item.key,
        kind=item.kind,
        name=item.name,
        status=item.status,
        service_id=item.service_id,
    )


def impact(
    session: Session,
    item: ConfigItem,
    *,
    depth: int = 5,
    direction: ImpactDirection = ImpactDirection.both,
) -> ImpactOut:
    """What a change to ``item`` reaches, and what it depends on, each with its path."""
    depth = max(1, min(depth, MAX_DEPTH))
    names = {item.id: item.name}
    out = ImpactOut(
        item=item_ref(item),
        depth=depth,
        direction=direction.value,
        dependents=[],
        dependencies=[],
        services=[],
    )
    if direction in (ImpactDirection.dependents, ImpactDirection.both):
        down = walk(session, [item.id], dependents=True, depth=depth)
        names.update({i: it.name for i, it in down.items.items()})
        out.dependents = _entries(down, names)
        out.services = _services(session, item, down, names)
        out.truncated = down.truncated
    if direction in (ImpactDirection.dependencies, ImpactDirection.both):
        up = walk(session, [item.id], dependents=False, depth=depth)
        names.update({i: it.name for i, it in up.items.items()})
        out.dependencies = _entries(up, names)
        out.truncated = out.truncated or up.truncated
    return out


def _entries(result: Walk, names: dict[str, str]) -> list[ImpactEntry]:
    entries = []
    for item_id, item in result.items.items():
        path = result.path(item_id)
        entries.append(
            ImpactEntry(
                item=item_ref(item),
                depth=result.depth[item_id],
                path=[
                    PathStep(from_id=s.from_id, relation=s.type, to_id=s.to_id, source=s.source)
                    for s in path
                ],
                explanation=explain(path, names),
            )
        )
    entries.sort(key=lambda e: (e.depth, e.item.kind, e.item.name))
    return entries


def explain(path: list[Step], names: dict[str, str]) -> str:
    """``artist-lookup depends_on artists-db; artist-lookup part_of portal`` for a path."""
    return "; ".join(
        f"{names.get(s.from_id, s.from_id)} {s.type} {names.get(s.to_id, s.to_id)} [{s.source}]"
        for s in path
    )


def _services(
    session: Session, root: ConfigItem, result: Walk, names: dict[str, str]
) -> list[ServiceImpact]:
    """Each service that owns an affected item, reached by its nearest item."""
    reached: dict[str, tuple[int, ConfigItem]] = {}
    reachable = sorted(
        ((result.depth[i], it) for i, it in result.items.items()), key=lambda p: (p[0], p[1].name)
    )
    candidates = [(0, root), *reachable]
    for level, item in candidates:
        if item.service_id and item.service_id not in reached:
            reached[item.service_id] = (level, item)
    services = repo.services_by_ids(session, reached)
    return [
        ServiceImpact(
            service_id=service_id,
            name=services[service_id].name,
            via=item_ref(item),
            depth=level,
            explanation=explain(result.path(item.id), names) or f"{item.name} belongs to it",
        )
        for service_id, (level, item) in reached.items()
        if service_id in services
    ]

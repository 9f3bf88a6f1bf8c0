"""A service's dependency graph: its items, what depends on them, what they depend on.

Nodes carry a layer (0: the service's own items; -n: n hops of dependents; +n: n hops of
dependencies) and the sources that describe them; edges carry the source that stated them and
where. The web page turns this into SVG (``guardrail.web.graph``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from guardrail.cmdb import item_repository as repo
from guardrail.cmdb.impact import walk
from guardrail.cmdb.models import ConfigItem, Service


@dataclass
class GraphNode:
    id: str
    key: str
    name: str
    kind: str
    status: str
    layer: int
    service_id: str | None
    sources: list[dict[str, str]] = field(default_factory=list)


@dataclass
class GraphEdge:
    from_id: str
    to_id: str
    type: str
    source: str
    origin: str


@dataclass
class ServiceGraph:
    """Nodes and edges around one service, and whether the walk hit its node limit."""

    service_id: str
    service_name: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "service_id": self.service_id,
            "service_name": self.service_name,
            "truncated": self.truncated,
            "nodes": [vars(n) for n in self.nodes],
            "edges": [vars(e) for e in self.edges],
        }


def build(session: Session, service: Service, *, depth: int = 2, limit: int = 500) -> ServiceGraph:
    """The graph ``depth`` hops up and down from the service's active items."""
    roots = repo.items_of_service(session, service.id)
    root_ids = [item.id for item in roots]
    layers: dict[str, int] = {item_id: 0 for item_id in root_ids}
    items: dict[str, ConfigItem] = {item.id: item for item in roots}
    edges: dict[tuple[str, str, str, str], GraphEdge] = {}
    truncated = False
    for dependents, sign in ((True, -1), (False, 1)):
        result = walk(session, root_ids, dependents=dependents, depth=depth, limit=limit)
        truncated = truncated or result.truncated
        for item_id, item in result.items.items():
            layers.setdefault(item_id, sign * result.depth[item_id])
            items[item_id] = item
        for step in result.edges:
            if step.from_id in result.depth and step.to_id in result.depth:
                edges[(step.from_id, step.to_id, step.type, step.source)] = GraphEdge(
                    step.from_id, step.to_id, step.type, step.source, step.origin
                )
    nodes = [_node(items[i], layer) for i, layer in layers.items()]
    _add_sources(session, nodes)
    nodes.sort(key=lambda n: (n.layer, n.kind, n.name))
    return ServiceGraph(service.id, service.name, nodes, list(edges.values()), truncated)


def _node(item: ConfigItem, layer: int) -> GraphNode:
    return GraphNode(item.id, item.key, item.name, item.kind, item.status, layer, item.service_id)


def _add_sources(session: Session, nodes: list[GraphNode]) -> None:
    by_id = {node.id: node for node in nodes}
    for row in repo.claims_for_items(session, by_id):
        if row.retired_at is None:
            by_id[row.item_id].sources.append({"source": row.name, "origin": row.origin})

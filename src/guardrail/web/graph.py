"""A service's dependency graph as inline SVG, laid out on the server (no script needed).

Layout: one column per layer (what depends on the service on the left, the service's own items in
the middle, what they depend on on the right); within a column, nodes are ordered by the mean
position of their neighbours in the column before (a barycentre sweep, which removes most edge
crossings). Labels are truncated to fit a box; the full name, key, kind and sources are in each
node's <title> (a tooltip). Colours only use SVG presentation attributes, so the page's
Content-Security-Policy (no inline styles) is respected.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from guardrail.cmdb.enums import DEPENDENT_END

NODE_W, NODE_H = 190, 26
COL_GAP, ROW_GAP = 90, 10
MARGIN, HEADER, LEGEND_ROW = 16, 34, 18
MAX_LABEL = 26
PALETTE = {
    "component": "#2563eb",
    "service": "#2563eb",
    "api": "#7c3aed",
    "system": "#0d9488",
    "domain": "#0f766e",
    "database": "#dc2626",
    "queue": "#ea580c",
    "storage": "#b45309",
    "resource": "#be123c",
    "workload": "#16a34a",
    "k8s_service": "#15803d",
    "ingress": "#65a30d",
    "configmap": "#64748b",
    "secret": "#475569",
    "namespace": "#94a3b8",
    "compute": "#0891b2",
    "network": "#0e7490",
    "cluster": "#0369a1",
    "cloud_resource": "#6b7280",
    "terraform_module": "#a3a3a3",
    "group": "#9333ea",
    "user": "#a855f7",
}
OTHER = "#6b7280"


def truncate(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(graph: Any) -> str:
    """An SVG document for a ``ServiceGraph`` (or its ``as_dict()``)."""
    data = graph if isinstance(graph, dict) else graph.as_dict()
    nodes: list[dict[str, Any]] = data["nodes"]
    edges = [_oriented(e) for e in data["edges"]]
    columns = _columns(nodes, edges)
    positions = _positions(columns)
    kinds = sorted({n["kind"] for n in nodes})
    legend_h = LEGEND_ROW * (1 + (len(kinds) + 5) // 6)
    rows = max((len(c) for c in columns), default=1)
    width = MARGIN * 2 + max(len(columns), 1) * (NODE_W + COL_GAP) - COL_GAP
    height = legend_h + HEADER + rows * (NODE_H + ROW_GAP) + MARGIN * 2
    width = max(width, 6 * 150 + MARGIN * 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cmdb-graph-svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Dependency graph of {escape(str(data.get("service_name", "")))}: '
        f'{len(nodes)} items, {len(edges)} relations">',
        _defs(),
        *_legend(kinds, width),
        *_headers(columns, legend_h),
        *(
            _edge(e, positions, legend_h)
            for e in edges
            if e["a"] in positions and e["b"] in positions
        ),
        *(_node(n, positions[n["id"]], legend_h) for n in nodes),
        "</svg>",
    ]
    return "\n".join(parts)


def _oriented(edge: dict[str, Any]) -> dict[str, Any]:
    """Draw every arrow from the dependent to what it depends on."""
    target_depends = DEPENDENT_END.get(edge["type"]) == "target"
    a, b = (edge["to_id"], edge["from_id"]) if target_depends else (edge["from_id"], edge["to_id"])
    return {**edge, "a": a, "b": b}


def _columns(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    by_layer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for node in sorted(nodes, key=lambda n: (n["kind"], n["name"])):
        by_layer[node["layer"]].append(node)
    columns = [by_layer[layer] for layer in sorted(by_layer)]
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        neighbours[edge["a"]].append(edge["b"])
        neighbours[edge["b"]].append(edge["a"])
    for i in range(1, len(columns)):  # barycentre sweep, left to right
        before = {n["id"]: j for j, n in enumerate(columns[i - 1])}
        columns[i].sort(key=lambda n: _barycentre(n, neighbours, before))
    return columns


def _barycentre(
    node: dict[str, Any], neighbours: dict[str, list[str]], before: dict[str, int]
) -> float:
    places = [before[o] for o in neighbours.get(node["id"], []) if o in before]
    return sum(places) / len(places) if places else float("inf")


def _positions(columns: list[list[dict[str, Any]]]) -> dict[str, tuple[float, float]]:
    positions: dict[str, tuple[float, float]] = {}
    for i, column in enumerate(columns):
        x = MARGIN + i * (NODE_W + COL_GAP)
        for j, node in enumerate(column):
            positions[node["id"]] = (x, HEADER + j * (NODE_H + ROW_GAP))
    return positions


def _defs() -> str:
    return (
        '<defs><marker id="cmdb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#64748b"/></marker></defs>'
    )


def _legend(kinds: list[str], width: int) -> list[str]:
    parts = [
        f'<text x="{MARGIN}" y="{MARGIN + 4}" font-size="12" fill="#334155">'
        "Arrows point from an item to what it depends on. Hover a box for its full name and "
        "sources.</text>"
    ]
    for i, kind in enumerate(kinds):
        x = MARGIN + (i % 6) * 150
        y = MARGIN + LEGEND_ROW * (1 + i // 6)
        parts.append(
            f'<rect x="{x}" y="{y - 4}" width="12" height="12" rx="2" fill="{_colour(kind)}"/>'
            f'<text x="{x + 18}" y="{y + 6}" font-size="12" fill="#334155">{escape(kind)}</text>'
        )
    return parts


def _headers(columns: list[list[dict[str, Any]]], top: int) -> list[str]:
    parts = []
    for i, column in enumerate(columns):
        layer = column[0]["layer"] if column else 0
        title = (
            "this service"
            if layer == 0
            else f"depend on it ({-layer} hop{'s' if layer < -1 else ''})"
            if layer < 0
            else f"it depends on ({layer} hop{'s' if layer > 1 else ''})"
        )
        x = MARGIN + i * (NODE_W + COL_GAP)
        parts.append(
            f'<text x="{x}" y="{top + HEADER - 10}" font-size="12" font-weight="bold" '
            f'fill="#0f172a">{escape(title)} · {len(column)}</text>'
        )
    return parts


def _edge(edge: dict[str, Any], positions: dict[str, tuple[float, float]], top: int) -> str:
    (ax, ay), (bx, by) = positions[edge["a"]], positions[edge["b"]]
    ay, by = ay + top + NODE_H / 2, by + top + NODE_H / 2
    if bx > ax:
        x1, x2 = ax + NODE_W, bx
    elif bx < ax:
        x1, x2 = ax, bx + NODE_W
    else:  # same column: loop out to the right
        x1 = x2 = ax + NODE_W
    bend = max(abs(x2 - x1) / 2, 40)
    c1 = x1 + bend if x2 >= x1 else x1 - bend
    c2 = x2 - bend if x2 > x1 else x2 + bend
    title = f"{edge['type']} (from {edge['source']}, {edge['origin']})"
    return (
        f'<path d="M {x1:.0f} {ay:.0f} C {c1:.0f} {ay:.0f}, {c2:.0f} {by:.0f}, {x2:.0f} {by:.0f}" '
        f'fill="none" stroke="#94a3b8" stroke-width="1.2" marker-end="url(#cmdb-arrow)">'
        f"<title>{escape(title)}</title></path>"
    )


def _node(node: dict[str, Any], position: tuple[float, float], top: int) -> str:
    x, y = position
    y += top
    sources = "; ".join(f"{s['source']} ({s['origin']})" for s in node.get("sources", []))
    tooltip = (
        f"{node['name']}\n{node['kind']} · {node['key']}\nfrom: {sources or 'no active source'}"
    )
    dashed = ' stroke-dasharray="4 3"' if node.get("status") == "retired" else ""
    weight = ' stroke-width="2.5"' if node["layer"] == 0 else ' stroke-width="1"'
    return (
        f'<g class="cmdb-node"><title>{escape(tooltip)}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="#ffffff" '
        f'stroke="{_colour(node["kind"])}"{weight}{dashed}/>'
        f'<rect x="{x}" y="{y}" width="6" height="{NODE_H}" rx="2" fill="{_colour(node["kind"])}"/>'
        f'<text x="{x + 12}" y="{y + NODE_H / 2 + 4:.0f}" font-size="12" fill="#0f172a">'
        f"{escape(truncate(node['name']))}</text></g>"
    )


def _colour(kind: str) -> str:
    return PALETTE.get(kind, OTHER)

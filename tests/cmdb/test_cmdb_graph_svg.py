"""The service graph as SVG: well-formed and readable at 200 nodes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from guardrail.cmdb.graph import GraphEdge, GraphNode, ServiceGraph
from guardrail.web.graph import render_svg, truncate

SVG = "{http://www.w3.org/2000/svg}"


def _graph(n: int = 200) -> ServiceGraph:
    kinds = ["component", "database", "workload", "k8s_service", "api", "compute", "secret"]
    nodes = [
        GraphNode(
            id="root",
            key="component:default/root",
            name="root",
            kind="component",
            status="active",
            layer=0,
            service_id="svc_1",
            sources=[{"source": "catalog", "origin": "c.yaml:1"}],
        )
    ]
    edges = []
    for i in range(1, n):
        layer = (i % 5) - 2 or 1
        name = f"item-{i}-with-a-rather-long-name-<&>" if i % 7 == 0 else f"item-{i}"
        nodes.append(
            GraphNode(
                id=f"n{i}",
                key=f"k:{i}",
                name=name,
                kind=kinds[i % len(kinds)],
                status="retired" if i % 50 == 0 else "active",
                layer=layer,
                service_id=None,
                sources=[{"source": "tf", "origin": f"$.r[{i}]"}],
            )
        )
        parent = "root" if abs(layer) == 1 else f"n{i - 1}"
        edges.append(GraphEdge(f"n{i}", parent, "depends_on", "tf", f"$.r[{i}]"))
    return ServiceGraph("svc_1", "root", nodes, edges)


def test_200_nodes_render_as_well_formed_svg():
    svg = render_svg(_graph(200))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    nodes = root.findall(f"{SVG}g")
    assert len(nodes) == 200
    titles = [g.find(f"{SVG}title").text for g in nodes]
    assert any("item-7-with-a-rather-long-name-<&>" in t for t in titles)  # full name kept
    labels = [g.find(f"{SVG}text").text for g in nodes]
    assert max(len(label) for label in labels) <= 26
    assert len(root.findall(f"{SVG}path")) == 199
    legend = [t.text for t in root.findall(f"{SVG}text")]
    assert "database" in legend and "workload" in legend
    assert "style=" not in svg  # the page's CSP forbids inline styles


def test_layers_run_left_to_right():
    svg = ET.fromstring(render_svg(_graph(20)))
    xs = {}
    for g in svg.findall(f"{SVG}g"):
        name = g.find(f"{SVG}title").text.split("\n")[0]
        xs[name] = float(g.find(f"{SVG}rect").get("x"))
    assert xs["item-1"] < xs["root"] < xs["item-4"]  # layer -1 < 0 < +2


def test_truncate():
    assert truncate("short") == "short"
    assert truncate("x" * 40, 10) == "x" * 9 + "…"


def test_partial_renders_a_real_service_graph(db):
    import xml.etree.ElementTree as ElementTree

    from cmdb_fixtures import CATALOG, import_text
    from markupsafe import Markup

    from guardrail.cmdb import service as cmdb
    from guardrail.web.render import environment

    import_text(db, CATALOG, source="catalog")
    with db.reader() as session:
        graph = cmdb.service_graph(session, "checkout", depth=3)
    svg = render_svg(graph)
    ElementTree.fromstring(svg)
    html = environment().get_template("cmdb/_graph.html").render(graph=graph, graph_svg=Markup(svg))
    assert "cmdb-graph.css" in html and "<svg" in html
    assert "input.yaml:" in html  # where each fact came from

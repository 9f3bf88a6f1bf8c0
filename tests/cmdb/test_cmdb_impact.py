"""Impact analysis: transitive, direction-aware, explained, depth-limited, cycle-safe."""

from __future__ import annotations

from cmdb_fixtures import CATALOG, import_text

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.enums import ImpactDirection

CYCLE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: a}
spec: {type: library, lifecycle: production, owner: t, dependsOn: ['component:b']}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: b}
spec: {type: library, lifecycle: production, owner: t, dependsOn: ['component:c']}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: c}
spec: {type: library, lifecycle: production, owner: t, dependsOn: ['component:a']}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: t}
spec: {type: team, children: []}
"""


def _impact(db, ref, **kwargs):
    with db.reader() as session:
        return cmdb.impact(session, ref, **kwargs)


def test_database_impact_lists_dependent_services_with_paths(db):
    import_text(db, CATALOG, source="catalog")
    result = _impact(db, "orders-db")
    names = {e.item.name: e for e in result.dependents}
    # checkout and pricing depend on orders-db; storefront consumes the API checkout provides
    assert {"checkout", "pricing", "checkout-api", "storefront"} <= set(names)
    assert names["pricing"].depth == 1
    assert names["checkout"].depth == 1
    storefront = names["storefront"]
    assert storefront.depth == 3
    assert [s.relation for s in storefront.path] == ["depends_on", "provides_api", "consumes_api"]
    assert storefront.explanation.startswith("checkout depends_on orders-db")
    services = {s.name: s for s in result.services}
    assert set(services) == {"checkout", "pricing", "storefront"}
    assert services["storefront"].depth == 3
    # owners and members are not "affected": ownership carries no dependency
    assert "payments" not in names


def test_direction_and_dependencies(db):
    import_text(db, CATALOG, source="catalog")
    result = _impact(db, "checkout", direction=ImpactDirection.dependencies)
    assert result.dependents == []
    deps = {e.item.name for e in result.dependencies}
    assert {"orders-db", "pricing"} <= deps
    assert "storefront" not in deps
    down = _impact(db, "checkout", direction=ImpactDirection.dependents)
    assert down.dependencies == []
    assert {e.item.name for e in down.dependents} >= {"checkout-api", "storefront", "shop"}


def test_depth_limit(db):
    import_text(db, CATALOG, source="catalog")
    result = _impact(db, "orders-db", depth=1, direction=ImpactDirection.dependents)
    assert max(e.depth for e in result.dependents) == 1
    assert "storefront" not in {e.item.name for e in result.dependents}


def test_cycles_end(db):
    import_text(db, CYCLE, source="cycle")
    result = _impact(db, "component:default/a", depth=20)
    assert sorted(e.item.name for e in result.dependents) == ["b", "c"]
    assert sorted(e.item.name for e in result.dependencies) == ["b", "c"]


def test_retired_items_are_not_walked(db):
    import_text(db, CATALOG, source="catalog")
    without_pricing = CATALOG.replace("  name: pricing\n", "  name: pricing2\n")
    import_text(db, without_pricing, source="catalog")
    names = {e.item.name for e in _impact(db, "orders-db").dependents}
    assert "pricing" not in names and "pricing2" in names


def test_service_graph_has_layers_and_provenance(db):
    import_text(db, CATALOG, source="catalog")
    with db.reader() as session:
        graph = cmdb.service_graph(session, "checkout", depth=3)
    layers = {n.name: n.layer for n in graph.nodes}
    assert layers["checkout"] == 0
    assert layers["orders-db"] > 0 and layers["storefront"] < 0
    node = next(n for n in graph.nodes if n.name == "checkout")
    assert node.sources[0]["source"] == "catalog"
    assert node.sources[0]["origin"].startswith("input.yaml:")
    assert all(e.source == "catalog" for e in graph.edges)

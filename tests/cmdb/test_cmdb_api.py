"""The CMDB over HTTP."""

from __future__ import annotations

from cmdb_fixtures import CATALOG, import_text

from guardrail.identity.enums import Role


def test_items_search_detail_and_impact(db, client, auth):
    import_text(db, CATALOG, source="catalog")
    listed = client.get("/api/v1/cmdb/items", params={"q": "orders"}, headers=auth)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["key"] == "resource:default/orders-db" and item["kind"] == "database"
    by_key = client.get("/api/v1/cmdb/items/resource:default/orders-db", headers=auth)
    assert by_key.status_code == 200 and by_key.json()["id"] == item["id"]
    assert by_key.json()["claims"][0]["source"] == "catalog"
    impact = client.get(
        f"/api/v1/cmdb/items/{item['id']}/impact",
        params={"depth": 2, "direction": "dependents"},
        headers=auth,
    )
    assert impact.status_code == 200, impact.text
    body = impact.json()
    assert {s["name"] for s in body["services"]} == {"checkout", "pricing"}
    assert all(e["depth"] <= 2 for e in body["dependents"])
    assert body["dependencies"] == []
    by_key_impact = client.get("/api/v1/cmdb/items/resource:default/orders-db/impact", headers=auth)
    assert by_key_impact.status_code == 200


def test_missing_item_is_a_problem(client, auth):
    response = client.get("/api/v1/cmdb/items/nope", headers=auth)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "guardrail cmdb search" in response.json()["detail"]


def test_import_endpoint_needs_engineer_and_is_atomic(client, make_token):
    viewer = {"Authorization": f"Bearer {make_token(Role.viewer)}"}
    engineer = {"Authorization": f"Bearer {make_token(Role.engineer)}"}
    body = {"source": "catalog", "filename": "catalog-info.yaml", "content": CATALOG}
    assert client.post("/api/v1/cmdb/imports", json=body, headers=viewer).status_code == 403
    created = client.post("/api/v1/cmdb/imports", json=body, headers=engineer)
    assert created.status_code == 200, created.text
    assert created.json()["created"] == 8
    again = client.post("/api/v1/cmdb/imports", json=body, headers=engineer).json()
    assert again["created"] == again["updated"] == again["retired"] == 0
    bad = {**body, "content": CATALOG + "---\nkind: [\n"}
    refused = client.post("/api/v1/cmdb/imports", json=bad, headers=engineer)
    assert refused.status_code == 422
    assert "malformed YAML" in refused.json()["detail"]
    sources = client.get("/api/v1/cmdb/sources", headers=engineer).json()
    assert [s["name"] for s in sources] == ["catalog"]


def test_service_graph_endpoint(db, client, auth):
    import_text(db, CATALOG, source="catalog")
    graph = client.get("/api/v1/cmdb/services/checkout/graph", headers=auth)
    assert graph.status_code == 200, graph.text
    names = {n["name"] for n in graph.json()["nodes"]}
    assert {"checkout", "orders-db", "storefront"} <= names

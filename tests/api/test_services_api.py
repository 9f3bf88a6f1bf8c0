"""The service catalogue over HTTP: create, read, update, list with filters and pages."""

from __future__ import annotations


def _create(client, auth, name, **fields):
    response = client.post("/api/v1/services", json={"name": name, **fields}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_and_get_by_name_and_id(client, auth):
    created = _create(client, auth, "checkout-api", tier=1, runbook_url="https://rb.example/c")
    assert created["id"].startswith("svc_")
    by_name = client.get("/api/v1/services/checkout-api", headers=auth).json()
    by_id = client.get(f"/api/v1/services/{created['id']}", headers=auth).json()
    assert by_name == by_id
    assert by_name["tier"] == 1 and by_name["runbook_url"] == "https://rb.example/c"
    assert by_name["environments"] == ["production"]


def test_owner_team_by_slug(client, auth):
    client.post("/api/v1/teams", json={"slug": "payments", "name": "Payments"}, headers=auth)
    created = _create(client, auth, "ledger", owner_team="payments")
    assert created["owner_team"] == "payments" and created["owner_team_id"].startswith("team_")


def test_unknown_owner_team_is_404_and_writes_nothing(client, auth):
    response = client.post(
        "/api/v1/services", json={"name": "x", "owner_team": "ghosts"}, headers=auth
    )
    assert response.status_code == 404
    assert "ghosts" in response.json()["detail"]
    assert client.get("/api/v1/services", headers=auth).json()["total"] == 0


def test_update_changes_only_given_fields_and_is_audited(client, auth):
    created = _create(client, auth, "search", tier=2, description="before")
    response = client.patch("/api/v1/services/search", json={"tier": 1}, headers=auth)
    assert response.status_code == 200
    assert response.json()["tier"] == 1 and response.json()["description"] == "before"
    events = client.get(f"/api/v1/audit/events?object_id={created['id']}", headers=auth).json()
    actions = [e["action"] for e in events["items"]]
    assert actions == ["service.update", "service.create"]
    assert events["items"][0]["before"]["tier"] == 2 and events["items"][0]["after"]["tier"] == 1


def test_update_that_changes_nothing_writes_no_audit(client, auth):
    created = _create(client, auth, "search", tier=2)
    client.patch("/api/v1/services/search", json={"tier": 2}, headers=auth)
    events = client.get(f"/api/v1/audit/events?object_id={created['id']}", headers=auth).json()
    assert events["total"] == 1


def test_list_filters_and_pagination(client, auth):
    client.post("/api/v1/teams", json={"slug": "web", "name": "Web"}, headers=auth)
    _create(client, auth, "a-one", tier=1, owner_team="web", environments=["staging"])
    _create(client, auth, "b-two", tier=2, owner_team="web")
    _create(client, auth, "c-three", tier=2, lifecycle="experimental", display_name="Third")
    get = lambda q: client.get(f"/api/v1/services?{q}", headers=auth).json()  # noqa: E731
    assert [s["name"] for s in get("tier=2")["items"]] == ["b-two", "c-three"]
    assert [s["name"] for s in get("team=web")["items"]] == ["a-one", "b-two"]
    assert [s["name"] for s in get("lifecycle=experimental")["items"]] == ["c-three"]
    assert [s["name"] for s in get("environment=staging")["items"]] == ["a-one"]
    assert [s["name"] for s in get("q=third")["items"]] == ["c-three"]
    page = get("limit=2&offset=2")
    assert page["total"] == 3 and [s["name"] for s in page["items"]] == ["c-three"]


def test_duplicate_name_conflicts(client, auth):
    _create(client, auth, "checkout-api")
    response = client.post("/api/v1/services", json={"name": "checkout-api"}, headers=auth)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"

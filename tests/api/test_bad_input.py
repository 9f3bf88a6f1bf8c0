"""Bad input is refused with problem+json that says what to fix, and nothing partial is written."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def _count(client, auth):
    return client.get("/api/v1/services", headers=auth).json()["total"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x" * 64}, "body.name"),
        ({"name": "Not A Slug"}, "body.name"),
        ({"name": "ok", "colour": "red"}, "body.colour"),
        ({"name": "ok", "tier": 9}, "body.tier"),
        ({"name": "ok", "runbook_url": "not a url"}, "body.runbook_url"),
        ({"tier": 1}, "body.name"),
    ],
)
def test_invalid_service_bodies(client, auth, body, field):
    response = client.post("/api/v1/services", json=body, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and field in problem["detail"]
    assert any(e["field"] == field for e in problem["errors"])
    assert _count(client, auth) == 0


def test_unknown_field_says_remove_it(client, auth):
    response = client.post("/api/v1/services", json={"name": "ok", "colour": "red"}, headers=auth)
    assert "unknown field" in response.json()["detail"]


def test_wrong_content_type_is_415(client, auth):
    response = client.post(
        "/api/v1/services", content="name=ok", headers={**auth, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert _count(client, auth) == 0


def test_malformed_json_is_422_with_reason(client, auth):
    response = client.post(
        "/api/v1/services",
        content=b'{"name": ',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_oversized_body_is_413(client, auth):
    big = {"name": "ok", "description": "x" * (600 * 1024)}
    response = client.post("/api/v1/services", json=big, headers=auth)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert _count(client, auth) == 0


def test_unknown_service_is_404_problem(client, auth):
    response = client.get("/api/v1/services/nope", headers=auth)
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    assert "guardrail service list" in response.json()["detail"]


def test_unknown_route_and_method(client, auth):
    assert client.get("/api/v1/nothing-here", headers=auth).status_code == 404
    response = client.delete("/api/v1/services", headers=auth)
    assert response.status_code == 405 and response.headers["content-type"] == PROBLEM


def test_request_id_is_echoed_and_in_problems(client):
    response = client.get("/api/v1/services", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"

"""Bearer tokens with roles: malformed, unknown, revoked, expired, insufficient."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from guardrail.api.app import create_app
from guardrail.identity.enums import Role
from guardrail.identity.models import ApiToken
from guardrail.kit.time import utcnow


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_missing_token_is_401_problem(client):
    response = client.get("/api/v1/services")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Token x", "bearer"])
def test_malformed_authorization_header(client, header):
    response = client.get("/api/v1/services", headers={"Authorization": header})
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_unknown_token(client):
    response = client.get("/api/v1/services", headers=_bearer("grd_" + "x" * 40))
    assert response.status_code == 401 and "not recognised" in response.json()["detail"]


def test_token_create_use_revoke(client, auth):
    created = client.post("/api/v1/tokens", json={"name": "ci", "role": "pipeline"}, headers=auth)
    assert created.status_code == 201
    secret, token_id = created.json()["token"], created.json()["id"]
    assert client.get("/api/v1/me", headers=_bearer(secret)).json()["role"] == "pipeline"
    listed = client.get("/api/v1/tokens", headers=auth).json()
    assert all("token" not in t and "secret_hash" not in t for t in listed)
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).status_code == 200
    refused = client.get("/api/v1/me", headers=_bearer(secret))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_expired_token_is_refused(client, db, make_token):
    secret = make_token(Role.viewer, expires_in_days=1)
    with db.unit_of_work() as session:
        session.execute(
            update(ApiToken)
            .values(expires_at=utcnow() - timedelta(seconds=1))
            .where(ApiToken.name == "test viewer")
        )
    response = client.get("/api/v1/me", headers=_bearer(secret))
    assert response.status_code == 401 and "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "allowed"),
    [
        (Role.viewer, "GET", "/api/v1/services", None, True),
        (Role.viewer, "POST", "/api/v1/services", {"name": "x"}, False),
        (Role.pipeline, "POST", "/api/v1/services", {"name": "x"}, False),
        (Role.engineer, "POST", "/api/v1/services", {"name": "x"}, True),
        (Role.approver, "GET", "/api/v1/tokens", None, False),
        (Role.admin, "GET", "/api/v1/tokens", None, True),
    ],
)
def test_roles(client, make_token, role, method, path, body, allowed):
    response = client.request(method, path, json=body, headers=_bearer(make_token(role)))
    if allowed:
        assert response.status_code < 300, response.text
    else:
        assert response.status_code == 403
        assert role.value in response.json()["detail"]


def test_every_api_route_declares_a_role(settings, db):
    app = create_app(settings, db)
    schema = app.openapi()
    open_paths = {"/healthz", "/readyz", "/metrics", "/openapi.json"}
    # Inbound integrations authenticate with the sender's own credentials (a signature, a
    # routing key, a bearer secret per integration), checked inside the route.
    integration_prefixes = ("/hooks/", "/v2/")
    for path, operations in schema["paths"].items():
        if path in open_paths or path.startswith(integration_prefixes):
            continue
        for method, operation in operations.items():
            assert operation.get("security"), f"{method.upper()} {path} declares no auth"
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"

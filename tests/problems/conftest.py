"""Fixtures for problem management: a service with a repository, incidents, a pipeline token."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guardrail.identity.enums import Role

sys.path.insert(0, str(Path(__file__).resolve().parent))


class Api:
    """The HTTP API with an admin token, asserting each call's status."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.client.request(method, f"/api/v1{path}", headers=self.headers, **kwargs)
        assert response.status_code == expect, response.text
        return response.json() if "json" in response.headers.get("content-type", "") else response

    def incident(self, title: str, severity: str = "SEV1", service: str = "checkout") -> str:
        body = {"title": title, "severity": severity, "service": service}
        return str(self.call("POST", "/incidents", 201, json=body)["id"])

    def gate(self, **body: Any) -> dict[str, Any]:
        body = {"service": "checkout", "environment": "production", "commit": "abc123", **body}
        result: dict[str, Any] = self.call("POST", "/changes", 201, json=body)
        return result


@pytest.fixture
def api(client: TestClient, auth: dict[str, str]) -> Api:
    repo = "https://github.com/acme/checkout"
    body = {"name": "checkout", "tier": 2, "repository_url": repo}
    response = client.post("/api/v1/services", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return Api(client, auth)


@pytest.fixture
def cli_env(live_server: str, make_token: Callable[..., str]) -> dict[str, str]:
    return {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": make_token(Role.engineer)}

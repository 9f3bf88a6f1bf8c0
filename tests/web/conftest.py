"""Helpers for the web pages: sign a client in, and fill the catalogue through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


def _sign_in(client: TestClient, token: str, next_path: str = "/") -> Any:
    """Post the sign-in form; return the (unfollowed) response."""
    return client.post("/signin", data={"token": token, "next": next_path}, follow_redirects=False)


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(client, token, next_path="/")`` posts the sign-in form."""
    return _sign_in


@pytest.fixture
def web(client: TestClient, admin_token: str) -> TestClient:
    """A client signed in to the pages with an admin token."""
    assert _sign_in(client, admin_token).status_code == 303
    return client


@pytest.fixture
def catalogue(client: TestClient, auth: dict[str, str]) -> None:
    """Two teams and four services, registered through the API."""
    for slug, name in (("payments", "Payments"), ("search", "Search")):
        r = client.post("/api/v1/teams", json={"slug": slug, "name": name}, headers=auth)
        assert r.status_code == 201, r.text
    services = [
        {
            "name": "checkout-api",
            "display_name": "Checkout API",
            "owner_team": "payments",
            "tier": 1,
            "runbook_url": "https://runbooks.example.org/checkout",
            "environments": ["staging", "production"],
        },
        {
            "name": "payments-ledger",
            "display_name": "Payments ledger",
            "owner_team": "payments",
            "tier": 2,
            "lifecycle": "deprecated",
        },
        {
            "name": "search-indexer",
            "display_name": "Indexer",
            "owner_team": "search",
            "tier": 3,
            "lifecycle": "experimental",
        },
        {"name": "docs-site", "display_name": "Docs", "tier": 4},
    ]
    for body in services:
        r = client.post("/api/v1/services", json=body, headers=auth)
        assert r.status_code == 201, r.text

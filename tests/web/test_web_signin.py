"""Signing in and out of the web pages with an API token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from guardrail.api.app import create_app
from guardrail.api.deps import SESSION_COOKIE
from guardrail.identity.enums import Role


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", "/signin?next=%2F"),
        ("/services", "/signin?next=%2Fservices"),
        ("/services?tier=1&q=api", "/signin?next=%2Fservices%3Ftier%3D1%26q%3Dapi"),
        ("/services/checkout-api", "/signin?next=%2Fservices%2Fcheckout-api"),
        ("/incidents", "/signin?next=%2Fincidents"),
    ],
)
def test_signed_out_pages_redirect_to_signin(client, path, location):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == location


def test_signin_form_keeps_the_wanted_page(client):
    r = client.get("/signin?next=/services%3Ftier%3D2")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<label for="token">API token</label>' in r.text
    assert '<input type="hidden" name="next" value="/services?tier=2">' in r.text
    # Not signed in: the frame has no navigation and no sign-out button.
    assert 'aria-label="Practices"' not in r.text
    assert "Sign out" not in r.text


def test_wrong_token_shows_the_form_again_with_401(sign_in, client):
    r = sign_in(client, "grd_not-a-real-token-at-all", "/services")
    assert r.status_code == 401
    assert "Could not sign in" in r.text
    assert "the API token is not recognised" in r.text
    assert 'aria-invalid="true"' in r.text
    assert '<input type="hidden" name="next" value="/services">' in r.text
    assert "set-cookie" not in r.headers
    assert client.get("/", follow_redirects=False).status_code == 303


def test_empty_token_is_refused(sign_in, client):
    r = sign_in(client, "   ")
    assert r.status_code == 401
    assert "enter an API token" in r.text


def test_good_token_sets_a_strict_httponly_cookie_and_goes_to_next(sign_in, client, make_token):
    token = make_token(Role.viewer, name="dashboard viewer")
    r = sign_in(client, token, "/services?tier=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/services?tier=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={token};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "dashboard viewer" in home.text
    assert '<span class="role">viewer</span>' in home.text


def test_cookie_is_secure_when_configured(sign_in, settings, db, make_token):
    app = create_app(settings.model_copy(update={"cookie_secure": True}), db)
    with TestClient(app) as client:
        r = sign_in(client, make_token())
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"]


@pytest.mark.parametrize(
    "wanted",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "services",
        "/signin",
        "/signout",
        "",
        "/ok\nLocation: x",
    ],
)
def test_next_only_goes_to_local_pages(sign_in, client, admin_token, wanted):
    r = sign_in(client, admin_token, wanted)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_signin_from_another_site_is_refused(client, admin_token):
    r = client.post(
        "/signin",
        data={"token": admin_token, "next": "/"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in r.headers


def test_signin_from_the_own_origin_is_accepted(client, admin_token):
    r = client.post(
        "/signin",
        data={"token": admin_token, "next": "/"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_signout_clears_the_cookie(web):
    r = web.post("/signout", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f'{SESSION_COOKIE}="";') or cookie.startswith(f"{SESSION_COOKIE}=;")
    assert "Max-Age=0" in cookie
    assert SESSION_COOKIE not in web.cookies
    assert web.get("/", follow_redirects=False).status_code == 303


def test_revoked_token_is_sent_back_to_signin(sign_in, client, auth, make_token):
    token = make_token(Role.engineer, name="soon revoked")
    assert sign_in(client, token).status_code == 303
    assert client.get("/services", follow_redirects=False).status_code == 200
    tokens = client.get("/api/v1/tokens", headers=auth).json()
    token_id = next(t["id"] for t in tokens if t["name"] == "soon revoked")
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).status_code == 200

    r = client.get("/services", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=%2Fservices&ended=1"
    assert "Max-Age=0" in r.headers["set-cookie"]
    page = client.get(r.headers["location"])
    assert "Your session ended" in page.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_expired_token_is_sent_back_to_signin(sign_in, client, db, make_token):
    from datetime import timedelta

    from guardrail.identity.models import ApiToken
    from guardrail.kit.time import utcnow

    token = make_token(Role.viewer, name="short lived", expires_in_days=1)
    assert sign_in(client, token).status_code == 303
    with db.unit_of_work() as session:
        row = session.query(ApiToken).filter_by(name="short lived").one()
        row.expires_at = utcnow() - timedelta(minutes=1)
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].endswith("&ended=1")


def test_api_still_answers_problem_json(client, auth):
    r = client.get("/api/v1/services/no-such-service", headers=auth)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = client.get("/api/v1/services")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


def test_pages_are_not_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    # Besides the JSON API and operations, only the inbound integrations' public contract:
    # webhooks under /hooks/ and the PagerDuty-compatible /v2/ endpoints.
    allowed = ("/api/", "/healthz", "/readyz", "/metrics", "/hooks/", "/v2/")
    assert not [p for p in paths if not p.startswith(allowed)]

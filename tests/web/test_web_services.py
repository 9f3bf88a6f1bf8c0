"""The home page's counts, the services list with its filters and pages, and the service page."""

from __future__ import annotations

import re

import pytest

DASH = "\u2013"  # the en dash the page puts between the first and last row numbers


def _names(html: str) -> list[str]:
    """Service names in the list's rows, in order."""
    return re.findall(
        r'<th scope="row" data-label="Name"><a href="/services/[^"]+">([^<]+)</a>', html
    )


def test_good_token_lists_services_created_through_the_api(sign_in, client, admin_token, catalogue):
    assert sign_in(client, admin_token, "/services").headers["location"] == "/services"
    r = client.get("/services")
    assert r.status_code == 200
    assert _names(r.text) == ["checkout-api", "docs-site", "payments-ledger", "search-indexer"]
    assert f"Showing 1{DASH}4 of 4 services." in r.text
    row = r.text.split('href="/services/checkout-api"')[1].split("</tr>")[0]
    assert "Checkout API" in row
    assert '<a href="/services?team=payments">payments</a>' in row
    assert "Tier 1" in row
    assert "production" in row
    assert '<span class="env">staging</span>, <span class="env">production</span>' in row
    assert 'href="https://runbooks.example.org/checkout"' in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("team=payments", ["checkout-api", "payments-ledger"]),
        ("team=search", ["search-indexer"]),
        ("tier=1", ["checkout-api"]),
        ("tier=4", ["docs-site"]),
        ("lifecycle=deprecated", ["payments-ledger"]),
        ("lifecycle=experimental", ["search-indexer"]),
        ("q=ledger", ["payments-ledger"]),
        ("q=INDEX", ["search-indexer"]),
        ("team=payments&tier=2&lifecycle=deprecated&q=pay", ["payments-ledger"]),
        (
            "q=&team=&tier=&lifecycle=",
            ["checkout-api", "docs-site", "payments-ledger", "search-indexer"],
        ),
    ],
)
def test_filters(web, catalogue, query, expected):
    r = web.get(f"/services?{query}")
    assert r.status_code == 200
    assert _names(r.text) == expected


def test_filter_form_keeps_the_chosen_values(web, catalogue):
    html = web.get("/services?team=search&tier=3&lifecycle=experimental&q=idx").text
    assert '<option value="search" selected>' in html
    assert '<option value="3" selected>' in html
    assert '<option value="experimental" selected>' in html
    assert 'name="q" type="search" value="idx"' in html
    assert '<a href="/services" class="button-quiet">Clear</a>' in html


def test_no_match_says_so(web, catalogue):
    r = web.get("/services?q=nothing-like-this")
    assert r.status_code == 200
    assert "No service matches these filters." in r.text
    assert "<table" not in r.text


def test_empty_catalogue_says_how_to_fill_it(web):
    r = web.get("/services")
    assert "The catalogue is empty." in r.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("tier=9", 422, "the filter is invalid: tier"),
        ("tier=high", 422, "the filter is invalid: tier"),
        ("lifecycle=zombie", 422, "the filter is invalid: lifecycle"),
        ("team=nobody", 404, "no team &#39;nobody&#39;"),
    ],
)
def test_bad_filters_are_html_errors(web, catalogue, query, status, message):
    r = web.get(f"/services?{query}")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert message in r.text


def test_pagination_keeps_the_filters(web, auth):
    for n in range(30):
        body = {"name": f"svc-{n:02d}", "tier": 2 if n % 2 else 3}
        assert web.post("/api/v1/services", json=body, headers=auth).status_code == 201
    first = web.get("/services")
    assert len(_names(first.text)) == 25
    assert f"Showing 1{DASH}25 of 30 services." in first.text
    assert '<a href="/services?page=2" rel="next">' in first.text
    assert "Page 1 of 2" in first.text
    second = web.get("/services?page=2")
    assert _names(second.text) == [f"svc-{n:02d}" for n in range(25, 30)]
    assert '<a href="/services" rel="prev">' in second.text

    tier3 = web.get("/services?tier=3&q=svc")
    assert f"Showing 1{DASH}15 of 15 services matching the filters." in tier3.text
    assert 'rel="next"' not in tier3.text
    beyond = web.get("/services?page=9")
    assert beyond.status_code == 200
    assert "No services on page 9; there are 2 pages." in beyond.text


def test_pager_links_carry_filters(web, auth):
    for n in range(27):
        assert (
            web.post(
                "/api/v1/services", json={"name": f"api-{n:02d}", "tier": 1}, headers=auth
            ).status_code
            == 201
        )
    html = web.get("/services?tier=1&q=api&team=").text
    assert '<a href="/services?tier=1&amp;q=api&amp;page=2" rel="next">' in html


def test_service_page_shows_fields_and_audit_events(web, auth, catalogue):
    body = {
        "description": "Takes the money.",
        "repository_url": "https://git.example.org/checkout",
        "tier": 2,
    }
    assert web.patch("/api/v1/services/checkout-api", json=body, headers=auth).status_code == 200
    r = web.get("/services/checkout-api")
    assert r.status_code == 200
    html = r.text
    assert "<h1>Checkout API" in html and "checkout-api</code>" in html
    assert "Takes the money." in html
    assert '<dt>Owner team</dt><dd><a href="/services?team=payments">payments</a>' in html
    assert '<span class="tier tier-2">Tier 2</span>' in html
    assert '<span class="badge badge-production">production</span>' in html
    envs = '<span class="env">staging</span>, <span class="env">production</span>'
    assert f"<dt>Environments</dt><dd>{envs}</dd>" in html
    assert 'href="https://runbooks.example.org/checkout"' in html
    assert 'href="https://git.example.org/checkout"' in html

    assert "2 events, newest first." in html
    update, create = (
        html.split("<code>service.update</code>", 1)[1],
        html.split("<code>service.create</code>", 1)[1],
    )
    assert html.index("service.update") < html.index("service.create")
    assert '<span class="change-field">tier</span>: <del>1</del> → <ins>2</ins>' in update
    assert '<span class="change-field">description</span>: <ins>Takes the money.</ins>' in update
    assert '<span class="change-field">owner team</span>: <ins>payments</ins>' in create
    assert "test admin" in html


def test_service_page_by_id_and_only_its_own_events(web, auth, catalogue):
    svc = web.get("/api/v1/services/docs-site", headers=auth).json()
    html = web.get(f"/services/{svc['id']}").text
    assert "<h1>Docs" in html
    assert "1 event, newest first." in html
    assert "checkout-api" not in html


def test_service_page_caps_the_events_it_shows(web, auth, catalogue):
    for n in range(22):
        r = web.patch("/api/v1/services/docs-site", json={"description": f"v{n}"}, headers=auth)
        assert r.status_code == 200
    html = web.get("/services/docs-site").text
    assert "The 20 newest of 23 events." in html
    assert html.count("<code>service.update</code>") == 20


def test_home_counts_services_by_tier(web, catalogue, auth):
    assert (
        web.post(
            "/api/v1/services", json={"name": "another-one", "tier": 1}, headers=auth
        ).status_code
        == 201
    )
    html = web.get("/").text
    assert "DORA: software delivery" in html  # the scoreboard replaced the placeholder
    assert '<a href="/services">5 services</a> in the catalogue' in html
    counts = re.findall(
        r'<a href="/services\?tier=(\d)">\s*<span class="tile-count">(\d+)</span>', html
    )
    assert counts == [("1", "2"), ("2", "1"), ("3", "1"), ("4", "1")]


def test_home_with_an_empty_catalogue(web):
    html = web.get("/").text
    assert "The catalogue is empty." in html
    assert html.count('<span class="tile-count">0</span>') == 4

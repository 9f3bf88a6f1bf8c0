"""The CMDB pages: search with filters and pages, an item with its claims, relations and impact."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from guardrail.web.render import CONTENT_SECURITY_POLICY

DASH = "\u2013"

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout
  description: Takes the money
  annotations:
    example.com/a-note: "<script>alert(1)</script>"
    example.com/long: "LONG"
    example.com/api-token: "not-a-real-one"
spec:
  type: service
  lifecycle: production
  owner: payments
  system: shop
  dependsOn: ['resource:orders-db']
  providesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
spec:
  type: website
  lifecycle: production
  owner: payments
  consumesApis: [checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-api
spec:
  type: openapi
  lifecycle: production
  owner: payments
  definition: "openapi: 3.0.0"
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: orders-db
  description: Orders database
spec:
  type: database
  owner: payments
  system: shop
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: shop
spec:
  owner: payments
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
spec:
  type: team
  children: []
""".replace("LONG", "x" * 1000)


def _state(identifier: str = "orders-primary") -> str:
    """A format-4 Terraform state with the orders database, tagged as the Backstage entity."""
    instance = {
        "schema_version": 2,
        "attributes": {
            "id": "db-orders",
            "identifier": identifier,
            "engine": "postgres",
            "tags": {"Name": identifier, "guardrail.io/entity": "resource:orders-db"},
        },
    }
    resource = {
        "mode": "managed",
        "type": "aws_db_instance",
        "name": "orders",
        "provider": 'provider["terraform.example/hashicorp/aws"]',
        "instances": [instance],
    }
    body = {"version": 4, "terraform_version": "1.6.0", "serial": 1, "lineage": "l", "outputs": {}}
    return json.dumps({**body, "resources": [resource]}, indent=2)


def _import(web, auth, source: str, content: str, filename: str = "catalog-info.yaml") -> dict:
    body = {"source": source, "filename": filename, "content": content}
    r = web.post("/api/v1/cmdb/imports", json=body, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def _item_id(web, auth, key: str) -> str:
    r = web.get(f"/api/v1/cmdb/items/{key}", headers=auth)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def _names(html: str) -> list[str]:
    """Item names in the list's rows, in order (without the places where they may wrap)."""
    found = re.findall(
        r'<th scope="row" data-label="Name"><a href="/cmdb/items/[^"]+">(.+?)</a>', html
    )
    return [name.replace("<wbr>", "") for name in found]


def _section(html: str, heading_id: str) -> str:
    """The HTML from a section's heading to the next section."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end > 0 else len(html)]


@pytest.fixture
def cmdb_data(web, auth) -> None:
    """The catalogue from Backstage, and the orders database also from a Terraform state."""
    _import(web, auth, "backstage", CATALOG)
    _import(web, auth, "tf-prod", _state(), filename="prod.tfstate")


def test_cmdb_is_live_in_the_navigation(web):
    html = web.get("/cmdb").text
    assert "not built yet" not in html.split("<main", 1)[1]
    assert '<a href="/cmdb" aria-current="page">CMDB</a>' in html


def test_empty_cmdb_says_how_to_fill_it(web):
    r = web.get("/cmdb")
    assert r.status_code == 200
    assert "The CMDB is empty" in r.text
    assert "guardrail cmdb import catalog-info.yaml --source backstage" in r.text
    assert "POST /api/v1/cmdb/imports" in r.text
    assert "<table" not in r.text


def test_list_counts_kinds_and_shows_sources(web, cmdb_data):
    html = web.get("/cmdb").text
    assert "6 configuration items from 2 sources." in html
    assert _names(html) == [
        "checkout",
        "checkout-api",
        "orders-db",
        "payments",
        "shop",
        "storefront",
    ]
    kinds = re.findall(
        r'<span class="cmdb-kind-name">([^<]+)</span>\s*<span class="cmdb-kind-count">(\d+)</span>',
        html,
    )
    assert kinds == [
        ("api", "1"),
        ("component", "2"),
        ("database", "1"),
        ("group", "1"),
        ("system", "1"),
    ]
    row = html.split('data-label="Name"><a href="/cmdb/items/', 3)[3].split("</tr>")[0]
    assert "orders-db" in row and "resource:default/orders-db" in row.replace("<wbr>", "")
    assert '>backstage</a> <a href="/cmdb?source=tf-prod"' in row  # both sources describe it
    checkout = html.split(">checkout</a>", 1)[1].split("</tr>")[0]
    assert '<a class="cmdb-nowrap" href="/services/checkout">checkout</a>' in checkout

    sources = _section(html, "sources-title")
    backstage = sources.split(">backstage</a></th>", 1)[1].split("</tr>")[0]
    assert '<td data-label="Type">backstage</td>' in backstage
    assert '<td data-label="Priority">30</td>' in backstage
    assert "1 file: items 6 created; relations" in backstage
    assert "services 2 created" in backstage
    tf = sources.split(">tf-prod</a></th>", 1)[1].split("</tr>")[0]
    assert (
        '<td data-label="Type">terraform</td>' in tf and '<td data-label="Priority">10</td>' in tf
    )
    assert "1 file: items 1 created." in tf
    assert "<time" in tf


def test_sources_show_their_newest_import_warnings(web, auth):
    dangling = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: lonely}\n"
        "spec: {type: library, lifecycle: production, owner: nobody,\n"
        "       dependsOn: ['resource:missing-db']}\n"
    )
    summary = _import(web, auth, "backstage", dangling)
    sources = _section(web.get("/cmdb").text, "sources-title")
    count = len(summary["warnings"])
    assert count >= 1
    assert f'<span class="cmdb-warn">{count} warning{"" if count == 1 else "s"}</span>' in sources
    assert "catalog-info.yaml:5: dangling reference: resource:default/missing-db" in sources


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=check", ["checkout", "checkout-api"]),
        ("q=ORDERS", ["orders-db"]),
        ("q=resource:default", ["orders-db"]),  # the key is searched too
        ("kind=component", ["checkout", "storefront"]),
        ("source=tf-prod", ["orders-db"]),
        ("source=backstage&kind=api", ["checkout-api"]),
        ("status=active&q=shop", ["shop"]),
        ("status=retired", []),
        (
            "q=&kind=&source=&status=",
            ["checkout", "checkout-api", "orders-db", "payments", "shop", "storefront"],
        ),
    ],
)
def test_filters(web, cmdb_data, query, expected):
    r = web.get(f"/cmdb?{query}")
    assert r.status_code == 200
    assert _names(r.text) == expected
    if not expected:
        assert "No configuration item matches these filters." in r.text


def test_filter_form_keeps_the_chosen_values(web, cmdb_data):
    html = web.get("/cmdb?q=ord&kind=database&source=tf-prod&status=active").text
    assert 'name="q" type="search" value="ord"' in html
    assert '<option value="database" selected>' in html
    assert '<option value="tf-prod" selected>' in html
    assert '<option value="active" selected>' in html
    assert '<a href="/cmdb" class="button-quiet">Clear</a>' in html


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("status=zombie", 422, "status must be active or retired"),
        ("source=nowhere", 404, "no CMDB source &#39;nowhere&#39;"),
        ("page=0", 422, "the address is invalid"),
    ],
)
def test_bad_filters_are_html_errors(web, cmdb_data, query, status, message):
    r = web.get(f"/cmdb?{query}")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert message in r.text


def test_pagination_keeps_the_filters(web, auth):
    docs = [
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: lib-{n:02d}}}\n"
        "spec: {type: library, lifecycle: production, owner: payments}\n"
        for n in range(30)
    ]
    group = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: payments}\n"
    _import(web, auth, "libs", "---\n".join([*docs, group + "spec: {type: team, children: []}\n"]))
    first = web.get("/cmdb?kind=component")
    assert _names(first.text) == [f"lib-{n:02d}" for n in range(25)]
    assert f"Showing 1{DASH}25 of 30 items matching the filters." in first.text
    assert '<a href="/cmdb?kind=component&amp;page=2" rel="next">' in first.text
    assert "Page 1 of 2" in first.text
    second = web.get("/cmdb?kind=component&page=2")
    assert _names(second.text) == [f"lib-{n:02d}" for n in range(25, 30)]
    assert '<a href="/cmdb?kind=component" rel="prev">' in second.text
    assert 'rel="next"' not in second.text
    beyond = web.get("/cmdb?page=7")
    assert beyond.status_code == 200
    assert "No items on page 7; there are 2 pages." in beyond.text


def test_item_page_shows_fields_claims_conflicts_and_relations(web, auth, cmdb_data):
    item_id = _item_id(web, auth, "resource:default/orders-db")
    r = web.get(f"/cmdb/items/{item_id}")
    assert r.status_code == 200
    html = r.text
    assert "<h1>orders-db" in html and "Orders database" in html
    assert '<dt>Kind</dt><dd><span class="cmdb-kind">database</span>' in html
    assert "<code>resource:default/orders-db</code>" in html
    assert "<dt>Owner</dt><dd>group:default/payments</dd>" in html
    assert "<dt>First seen</dt>" in html and "<dt>Last seen</dt>" in html
    # Terraform adds attributes to the Backstage entity
    assert "<dt>engine</dt><dd><code>postgres</code>" in html

    claims = _section(html, "claims-title")
    assert '<code class="cmdb-origin">catalog-info.yaml:' in claims
    assert '<code class="cmdb-origin">prod.tfstate at $.resources[0]' in claims
    assert claims.count('<span class="badge cmdb-status-active">active</span>') == 2

    conflicts = _section(html, "conflicts-title")
    name_row = conflicts.split("<code>name</code>", 1)[1].split("</tr>")[0]
    assert '<code>orders-db</code> <span class="cmdb-by">[backstage]</span>' in name_row
    assert '<code>orders-primary</code> <span class="cmdb-by">[tf-prod]</span>' in name_row

    relations = _section(html, "relations-title")
    checkout_id = _item_id(web, auth, "component:default/checkout")
    incoming = relations.split("In: other items", 1)[1]
    assert f'<a href="/cmdb/items/{checkout_id}">checkout</a>' in incoming
    assert '<span class="cmdb-rel">depends_on</span>' in incoming
    outgoing = relations.split("In: other items", 1)[0]
    assert '<span class="cmdb-rel">owned_by</span>' in outgoing and ">payments</a>" in outgoing


def test_item_page_impact_lists_services_first_with_paths(web, auth, cmdb_data):
    item_id = _item_id(web, auth, "resource:default/orders-db")
    impact = _section(web.get(f"/cmdb/items/{item_id}").text, "impact-title")
    assert '<option value="5" selected>5 hops</option>' in impact
    services = impact.split("Services affected by a change", 1)[1].split("Affected by a change", 1)[
        0
    ]
    hits = re.findall(r'<a href="/services/([^"]+)" class="cmdb-service">', services)
    assert hits == ["checkout", "storefront"]  # nearest first
    storefront = services.split('class="cmdb-service">storefront</a>', 1)[1]
    assert "3 hops, through" in storefront
    steps = re.findall(r'<span class="cmdb-rel">([a-z_]+)</span>', storefront)
    assert steps == ["depends_on", "provides_api", "consumes_api"]
    assert '<strong class="cmdb-here">orders-db</strong>' in storefront  # the item itself, unlinked
    assert impact.index("Services affected") < impact.index("Affected by a change (depend on it)")
    dependents = impact.split("Affected by a change (depend on it)", 1)[1].split(
        "What it depends on"
    )[0]
    assert ">storefront</a>" in dependents and ">shop</a>" in dependents

    shallow = _section(web.get(f"/cmdb/items/{item_id}?depth=1").text, "impact-title")
    assert '<option value="1" selected>1 hop</option>' in shallow
    assert "storefront" not in shallow
    assert 'class="cmdb-service">checkout</a>' in shallow

    checkout = _item_id(web, auth, "component:default/checkout")
    deps = _section(web.get(f"/cmdb/items/{checkout}").text, "impact-title").split(
        "What it depends on", 1
    )[1]
    assert ">orders-db</a>" in deps
    assert "checkout belongs to it" in web.get(f"/cmdb/items/{checkout}").text


@pytest.mark.parametrize("depth", ["0", "11", "deep"])
def test_impact_depth_is_limited_to_one_to_ten(web, auth, cmdb_data, depth):
    item_id = _item_id(web, auth, "resource:default/orders-db")
    r = web.get(f"/cmdb/items/{item_id}?depth={depth}")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "depth" in r.text


def test_item_page_by_key_and_by_name(web, auth, cmdb_data):
    by_key = web.get("/cmdb/items/component:default/checkout")
    assert by_key.status_code == 200 and "<h1>checkout" in by_key.text
    assert "<h1>storefront" in web.get("/cmdb/items/storefront").text


def test_attribute_values_are_escaped_cut_and_never_secret_looking(web, auth, cmdb_data):
    html = web.get(f"/cmdb/items/{_item_id(web, auth, 'component:default/checkout')}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "x" * 1000 not in html
    assert "characters, cut)" in html
    assert "not-a-real-one" not in html
    assert "(hidden)" in html


def test_retired_items_are_shown_as_retired(web, auth, cmdb_data):
    without_storefront = "---\n".join(
        doc for doc in CATALOG.split("---\n") if "name: storefront" not in doc
    )
    assert _import(web, auth, "backstage", without_storefront)["retired"] == 1
    listed = web.get("/cmdb?status=retired")
    assert _names(listed.text) == ["storefront"]
    row = listed.text.split(">storefront</a>", 1)[1].split("</tr>")[0]
    assert '<span class="badge cmdb-status-retired">retired</span>' in row
    assert '<span class="muted">none active</span>' in row
    assert "+1 retired" in web.get("/cmdb").text
    assert "storefront" not in _names(web.get("/cmdb?status=active").text)

    storefront = _item_id(web, auth, "component:default/storefront")
    page = web.get(f"/cmdb/items/{storefront}").text
    assert '<h1>storefront <span class="badge cmdb-status-retired">retired</span></h1>' in page
    assert "no source describes this item any more" in page
    claims = _section(page, "claims-title")
    assert '<span class="badge cmdb-status-retired">retired</span>' in claims
    # a change to the database no longer reaches the retired storefront
    orders = _item_id(web, auth, "resource:default/orders-db")
    assert "storefront" not in _section(web.get(f"/cmdb/items/{orders}").text, "impact-title")


def test_unknown_item_is_an_html_404_in_the_frame(web):
    r = web.get("/cmdb/items/ci_nothing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<h1 id="error-title">Not found</h1>' in r.text
    assert "no configuration item &#39;ci_nothing&#39;" in r.text
    assert '<a href="/cmdb">Back to CMDB</a>' in r.text


def test_viewer_may_read_and_signed_out_is_sent_to_sign_in(client, sign_in, make_token, auth):
    r = client.get("/cmdb", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=%2Fcmdb")
    assert sign_in(client, make_token("viewer")).status_code == 303
    assert client.get("/cmdb").status_code == 200


class _Assets(HTMLParser):
    """Every URL a page makes the browser load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link":
            self.urls.append(values.get("href") or "")
        elif tag in {"script", "img", "iframe", "source", "embed"} and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag in {"script", "style"} or "style" in values:
            self.inline.append(tag)


def test_pages_load_nothing_from_outside(web, auth, cmdb_data):
    item_id = _item_id(web, auth, "resource:default/orders-db")
    for path in ("/cmdb", "/cmdb?kind=api", f"/cmdb/items/{item_id}", "/cmdb/items/nope"):
        r = web.get(path)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        parser = _Assets()
        parser.feed(r.text)
        assert parser.inline == [], path
        assert "/static/cmdb.css" in " ".join(parser.urls) or path.endswith("nope")
        for url in parser.urls:
            assert url.startswith("/static/"), (path, url)
            assert web.get(url).status_code == 200, url
    css = web.get("/static/cmdb.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "http" not in css.text and "@import" not in css.text

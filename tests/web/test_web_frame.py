"""The page frame: navigation for every practice, placeholders, error pages, local assets only."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from guardrail.web.nav import NAV
from guardrail.web.render import CONTENT_SECURITY_POLICY


class _Assets(HTMLParser):
    """Every URL a page makes the browser load (not the links a person may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link":
            self.urls.append(values.get("href") or "")
        elif tag in {"script", "img", "iframe", "source", "audio", "video", "embed"} and values.get(
            "src"
        ):
            self.urls.append(values["src"] or "")
        for name, value in attrs:
            if name == "style" and value and "url(" in value:
                self.urls.append(value)


class _Nav(HTMLParser):
    """The links of the practices' navigation, with their aria-current values."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str | None]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav":
            self._inside = values.get("aria-label") == "Practices"
        elif tag == "a" and self._inside:
            self.links.append((values.get("href") or "", values.get("aria-current")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._inside = False


def _nav(html: str) -> list[tuple[str, str | None]]:
    parser = _Nav()
    parser.feed(html)
    return parser.links


def _assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def test_every_nav_entry_answers_when_signed_in(web):
    assert len(NAV) == 11
    for item in NAV:
        r = web.get(item.path, follow_redirects=False)
        assert r.status_code == 200, item.path
        links = _nav(r.text)
        assert [href for href, _ in links] == [other.path for other in NAV]
        assert [href for href, current in links if current] == [item.path], item.path
        assert dict(links)[item.path] == "page"


def test_nav_lists_every_practice_in_order(web):
    labels = [
        "Scoreboard",
        "Services",
        "CMDB",
        "Changes",
        "Releases",
        "Incidents",
        "On-call",
        "SLOs",
        "Problems",
        "Improvements",
        "Audit",
    ]
    assert [item.label for item in NAV] == labels
    text = web.get("/").text
    positions = [text.index(f">{label}") for label in labels]
    assert positions == sorted(positions)


@pytest.mark.parametrize("item", [i for i in NAV if not i.live], ids=lambda i: i.key)
def test_practices_not_built_say_so_plainly(web, item):
    r = web.get(item.path)
    assert r.status_code == 200
    assert f"<h1>{item.label}</h1>" in r.text
    assert f"{item.label} is not built yet in this version of guardrail" in r.text
    assert "<table" not in r.text


def test_a_sub_page_marks_its_section_as_current(web, catalogue):
    r = web.get("/services/checkout-api")
    assert [(href, current) for href, current in _nav(r.text) if current] == [("/services", "true")]


def test_header_shows_the_token_and_role_and_sign_out(web):
    r = web.get("/")
    assert "Signed in as <strong>test admin</strong>" in r.text
    assert '<span class="role">admin</span>' in r.text
    assert '<form method="post" action="/signout">' in r.text


def test_frame_is_accessible(web):
    html = web.get("/services").text
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html
    assert '<meta name="viewport"' in html
    for control in ("f-q", "f-team", "f-tier", "f-lifecycle"):
        assert f'<label for="{control}">' in html
        assert f'id="{control}"' in html


def test_pages_load_nothing_from_outside(web, catalogue):
    pages = ["/", "/services", "/services/checkout-api", "/services/nope", "/changes", "/signin"]
    for path in pages:
        r = web.get(path)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        urls = _assets(r.text)
        assert urls, path
        for url in urls:
            assert not url.startswith(("http:", "https:", "//")), (path, url)
            assert "url(" not in url, (path, url)
            assert url.startswith("/static/"), (path, url)
            assert web.get(url).status_code == 200, url


def test_stylesheet_is_served_from_the_package_and_loads_nothing_else(client):
    r = client.get("/static/guardrail.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")
    assert "http://" not in r.text and "https://" not in r.text and "@import" not in r.text
    assert client.get("/static/favicon.svg").status_code == 200
    assert client.get("/static/../routes.py").status_code == 404


def test_unknown_service_is_an_html_404_in_the_frame(web):
    r = web.get("/services/no-such-service")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<h1 id="error-title">Not found</h1>' in r.text
    assert "there is no service named &#39;no-such-service&#39; in the catalogue" in r.text
    assert 'aria-label="Practices"' in r.text
    assert '<a href="/services">Back to Services</a>' in r.text


def test_pages_escape_what_they_show(web, auth):
    body = {
        "name": "xss-check",
        "display_name": "<script>alert(1)</script>",
        "description": "<b>bold</b>",
    }
    assert web.post("/api/v1/services", json=body, headers=auth).status_code == 201
    for path in ("/services", "/services/xss-check"):
        html = web.get(path).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in web.get("/services/xss-check").text


def test_page_errors_are_html_with_the_request_id(web):
    r = web.get("/services?page=0", headers={"X-Request-ID": "req-page-zero"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "<code>req-page-zero</code>" in r.text


def test_unexpected_error_on_a_page_is_an_html_500_and_logged(web, monkeypatch, caplog):
    from guardrail.cmdb import service as cmdb

    def broken(*args, **kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(cmdb, "list_services", broken)
    r = web.get("/services", headers={"X-Request-ID": "req-broken"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert "guardrail hit an unexpected error" in r.text
    assert "database fell over" not in r.text
    assert "<code>req-broken</code>" in r.text
    logged = [rec for rec in caplog.records if rec.name == "guardrail.web"]
    assert logged and logged[0].exc_info is not None

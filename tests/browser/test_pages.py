"""Every page in real Chromium (Debian's /usr/bin/chromium through Playwright): it renders with
the demo's data and without console errors; approving a change in the inbox changes its state;
screenshots of the main pages go to artifacts/screenshots/ (CI artifacts, not committed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrail.demo import seed
from guardrail.identity.enums import Role
from guardrail.metrics import service as metrics
from guardrail.store.session import Database

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGES = [
    ("/", "scoreboard", "Deployment frequency"),
    ("/?team=storefront&since=90d", "scoreboard-storefront", "Change failure rate"),
    ("/services", "services", "checkout-api"),
    ("/services/checkout-api", "service-checkout-api", "Recent changes"),
    ("/cmdb", "cmdb", "checkout-api"),
    ("/changes", "changes", "checkout-api"),
    ("/changes/inbox", "approval-inbox", "Approve"),
    ("/changes/calendar", "change-calendar", "Winter sale"),
    ("/releases", "releases", "production"),
    ("/incidents", "incidents", "web-storefront"),
    ("/oncall", "oncall", "payments-primary"),
    ("/slos", "slos", "availability"),
    ("/problems", "problems", "error rate rises after releases"),
    ("/improvements", "improvements", "Improvements"),
    ("/audit", "audit", "Audit"),
]


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM.exists(), "install the Debian package chromium for the browser tests"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(db: Database) -> Database:
    with db.unit_of_work() as session:
        seed.seed(session, days=21)
    metrics.clear_cache()
    return db


def signed_in_page(
    browser: Any, base: str, secret: str, width: int = 1280, height: int = 900
) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/signin")
    page.fill("#token", secret)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_every_page_renders_with_data(
    demo: Database, live_server: str, make_token: Any, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in_page(browser, live_server, make_token(Role.admin, person="sam"))
    for path, name, expected in PAGES:
        response = page.goto(live_server + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        assert expected in page.content(), f"{path} does not show {expected!r}"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.goto(live_server + "/incidents")
    page.click("main a[href^='/incidents/inc_']:has-text('error rate above SLO')")
    assert "Timeline" in page.content() or "timeline" in page.content()
    page.screenshot(path=str(SHOTS / "incident.png"), full_page=True)
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_scoreboard_at_phone_width_and_by_keyboard(
    demo: Database, live_server: str, make_token: Any, browser: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in_page(browser, live_server, make_token(Role.viewer), width=390, height=844)
    page.goto(live_server + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the scoreboard scrolls sideways at phone width ({width}px)"
    page.screenshot(path=str(SHOTS / "scoreboard-phone.png"), full_page=True)
    # The filters work from the keyboard: choose a period, Tab to "Show", press Enter.
    page.focus("#f-since")
    page.select_option("#f-since", "7d")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Show"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*since=7d.*"))
    assert "last 7d" in page.content()
    for label in ("Team", "Service", "Environment", "Period"):
        assert page.get_by_label(label, exact=True).count() == 1
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_approving_in_the_inbox_changes_the_state(
    demo: Database, live_server: str, make_token: Any, browser: Any
) -> None:
    page = signed_in_page(browser, live_server, make_token(Role.approver, person="sam"))
    page.goto(live_server + "/changes/inbox")
    form = page.locator("form.decision-form").first
    action = form.get_attribute("action")
    assert action is not None
    change_id = action.split("/")[2]
    form.locator("input[name=comment]").fill("checked the evidence")
    form.locator("button", has_text="Approve").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/changes/{change_id}")
    content = page.content()
    assert "pending approval" not in content.lower().replace("_", " ") or "approved" in content
    assert "checked the evidence" in content
    assert page.errors == [], page.errors  # type: ignore[attr-defined]

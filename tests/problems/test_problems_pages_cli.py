"""The problem pages (list with search, a problem, action items) and `guardrail problem …`;
the scoreboard's open-problem and overdue-action figures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from problem_helpers import days

from guardrail.kit.time import utcnow
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.store.session import Database


def test_pages(api: Any, client: Any, admin_token: str, make_token: Any) -> None:
    incident = api.incident("payments time out")
    body = {"title": "Payment gateway timeouts", "incidents": [incident], "workaround": "retry"}
    problem = api.call("POST", "/problems", 201, json=body)["id"]
    item = api.call(
        "POST",
        "/action-items",
        201,
        json={
            "title": "Add a circuit breaker",
            "priority": "P0",
            "due_at": days(-1),
            "problem": problem,
            "service": "checkout",
        },
    )["id"]
    client.cookies.set("guardrail_token", admin_token)
    listing = client.get("/problems")
    assert listing.status_code == 200 and "Payment gateway timeouts" in listing.text
    # The nav entry is live: "Problems" with no "later" mark, and this page is the real one.
    assert '<a href="/problems" aria-current="page">Problems</a>' in listing.text
    found = client.get("/problems", params={"q": "gateway"})
    assert f'href="/problems/{problem}"' in found.text and "1 match for" in found.text
    none = client.get("/problems", params={"q": "kubernetes"})
    assert "0 matches for" in none.text
    page = client.get(f"/problems/{problem}")
    assert page.status_code == 200 and "payments time out" in page.text
    assert "Add a circuit breaker" in page.text and "overdue" in page.text
    assert "Record as known error" in page.text
    moved = client.post(
        f"/problems/{problem}/transition", data={"status": "known_error"}, follow_redirects=False
    )
    assert moved.status_code == 303
    assert api.call("GET", f"/problems/{problem}")["status"] == "known_error"
    items = client.get("/problems/action-items", params={"overdue": "true"})
    assert items.status_code == 200 and item in items.text
    download = client.get("/problems/action-items/export.csv")
    assert download.headers["content-type"].startswith("text/csv") and item in download.text
    client.cookies.set("guardrail_token", make_token("viewer"))
    viewer = client.get(f"/problems/{problem}")
    assert viewer.status_code == 200 and "Reopen" not in viewer.text
    assert (
        client.post(f"/problems/{problem}/transition", data={"status": "open"}).status_code == 403
    )


def test_problem_commands(api: Any, cli: Any, cli_env: Any) -> None:
    incident = api.incident("disk full on db-1", severity="SEV2")
    created = cli(
        "problem", "create", "Disk fills with WAL", "--incident", incident, "--json", env=cli_env
    )
    assert created.exit_code == 0, created.output
    problem = json.loads(created.stdout)["id"]
    refused = cli("problem", "known-error", problem, env=cli_env)
    assert refused.exit_code == 2 and "root cause or workaround" in refused.stderr
    cli("problem", "update", problem, "--workaround", "archive WAL by hand", env=cli_env)
    assert cli("problem", "known-error", problem, env=cli_env).stdout.strip() == (
        f"{problem} is known_error"
    )
    hits = cli("problem", "search", "WAL archive", "--json", env=cli_env)
    assert [h["id"] for h in json.loads(hits.stdout)] == [problem]
    shown = cli("problem", "show", problem, env=cli_env).stdout
    assert "workaround: archive WAL by hand" in shown and f"incident  {incident}" in shown
    listed = cli("problem", "list", "--status", "known_error", "--json", env=cli_env)
    assert [p["id"] for p in json.loads(listed.stdout)] == [problem]
    wrong = cli("problem", "reopen", "prb_nope", env=cli_env)
    assert wrong.exit_code == 2 and "guardrail problem list" in wrong.stderr
    resolved = cli("problem", "resolve", problem, env=cli_env)
    assert resolved.stdout.strip() == f"{problem} is resolved"
    again = cli("problem", "known-error", problem, env=cli_env)
    assert again.exit_code == 2 and "it can move to open, not known_error" in again.stderr


def test_scoreboard_counts_open_problems_and_overdue_items(api: Any, db: Database) -> None:
    other = api.client.post(
        "/api/v1/services", json={"name": "search"}, headers=api.headers
    ).json()["name"]
    for title, service in (("a", "checkout"), ("b", "checkout"), ("c", other)):
        api.call("POST", "/problems", 201, json={"title": title, "services": [service]})
    done = api.call("POST", "/problems", 201, json={"title": "d", "services": ["checkout"]})
    api.call("POST", f"/problems/{done['id']}/transition", json={"status": "resolved"})
    late = {"title": "late", "due_at": days(-1), "service": "checkout"}
    api.call("POST", "/action-items", 201, json=late)
    api.call("POST", "/action-items", 201, json={**late, "due_at": days(2)})
    closed = api.call("POST", "/action-items", 201, json=late)
    api.call("PATCH", f"/action-items/{closed['id']}", json={"status": "done"})
    now = utcnow() + timedelta(seconds=1)
    with db.reader() as session:
        board = metrics.scoreboard(session, ScopeIn(since="7d"), now=now)
        scoped = metrics.scoreboard(session, ScopeIn(since="7d", service="checkout"), now=now)
    figures = {m.key: m for m in board.itil}
    assert figures["open_problems"].tracked and figures["open_problems"].value == 3
    assert figures["overdue_actions"].value == 1
    assert figures["open_problems"].series[-1] == 3 and figures["open_problems"].series[0] == 0
    assert {m.key: m.value for m in scoped.itil}["open_problems"] == 2

"""Action items: CSV and JSON export; export to GitHub and GitLab through the outbox, retried
when the tracker is down; status synced back from signed tracker webhooks, deduplicated."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from problem_helpers import (
    FakeTracker,
    closed_port,
    days,
    github_issue_event,
    gitlab_issue_event,
)

from guardrail.config import reset_settings
from guardrail.store import outbox
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker


@pytest.fixture
def tracker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[FakeTracker]:
    """A fake GitHub and GitLab, with tokens configured for both."""
    fake = FakeTracker()
    for key, value in {
        "GUARDRAIL_GITHUB_API_URL": fake.url,
        "GUARDRAIL_GITHUB_TOKEN": "ghp_secret",
        "GUARDRAIL_GITLAB_URL": fake.url,
        "GUARDRAIL_GITLAB_TOKEN": "glpat_secret",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    yield fake
    fake.close()


def _item(api: Any, title: str = "Size the pool from load tests", **extra: Any) -> str:
    body = {"title": title, "priority": "P1", "owner": "alice", "service": "checkout", **extra}
    return str(api.call("POST", "/action-items", 201, json=body)["id"])


def _work(db: Database, settings: Any) -> None:
    load_job_modules()
    Worker(db, settings, worker_id="test:problems").run_until_empty()


def _hook(api: Any, kind: str) -> dict[str, Any]:
    result: dict[str, Any] = api.call("POST", "/integrations", 201, json={"type": kind})
    return result


def test_csv_and_json_exports(api: Any, cli: Any, cli_env: Any, tmp_path: Path) -> None:
    late = _item(api, 'Add, "quoted" runbook\nsteps', due_at=days(-2), priority="P0")
    later = _item(api, "Alert on pool saturation", due_at=days(5))
    response = api.call("GET", "/action-items/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == [late, later]  # by priority
    assert rows[0]["title"] == 'Add, "quoted" runbook\nsteps' and rows[0]["overdue"] == "True"
    assert rows[1]["service"] == "checkout" and rows[1]["overdue"] == "False"
    data = api.call("GET", "/action-items/export", params={"format": "json", "overdue": "true"})
    assert [r["id"] for r in data] == [late] and data[0]["priority"] == "P0"
    out = tmp_path / "items.csv"
    result = cli("action-item", "export", later, "--format", "csv", "-o", str(out), env=cli_env)
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in csv.DictReader(out.open())] == [later]
    as_json = cli("action-item", "export", "--format", "json", env=cli_env)
    assert {r["id"] for r in json.loads(as_json.stdout)} == {late, later}
    unclear = cli("action-item", "export", "--format", "xml", env=cli_env)
    assert unclear.exit_code == 2 and "use csv or json" in unclear.stderr
    neither = cli("action-item", "export", env=cli_env)
    assert neither.exit_code == 2 and "--tracker github|gitlab, or --format csv|json" in (
        neither.stderr
    )


def test_github_export_and_status_back_from_webhooks(
    api: Any, db: Database, settings: Any, tracker: FakeTracker
) -> None:
    item = _item(api, due_at=days(3))
    body = {"tracker": "github", "items": [item, item]}
    queued = api.call("POST", "/action-items/tracker-export", json=body)
    assert queued["queued"] == [item] and not queued["dry_run"]
    assert api.call("GET", f"/action-items/{item}")["export_status"] == "pending"
    again = api.call("POST", "/action-items/tracker-export", json=body)
    assert again["skipped"] == [item] and again["queued"] == []  # never exported twice
    _work(db, settings)

    (sent,) = tracker.requests
    assert sent["path"] == "/repos/acme/checkout/issues"
    assert sent["headers"]["Authorization"] == "Bearer ghp_secret"
    assert sent["json"]["title"] == "Size the pool from load tests"
    assert "- Priority: P1" in sent["json"]["body"] and "- Owner: alice" in sent["json"]["body"]
    exported = api.call("GET", f"/action-items/{item}")
    assert exported["export_status"] == "exported" and exported["external_ref"] == (
        "acme/checkout#42"
    )
    assert exported["external_url"] == "https://github.example/acme/checkout/issues/42"

    hook = _hook(api, "github")
    delivery = str(uuid.uuid4())
    first = _post_github(api, hook, github_issue_event("closed", 42), delivery)
    # GitHub redelivers: the second copy is recognised, not applied again.
    assert _post_github(api, hook, github_issue_event("closed", 42), delivery)["duplicate"]
    assert not first.get("duplicate")
    _work(db, settings)
    closed = api.call("GET", f"/action-items/{item}")
    assert closed["status"] == "done" and closed["closed_at"]
    _post_github(api, hook, github_issue_event("reopened", 42))
    _work(db, settings)
    assert api.call("GET", f"/action-items/{item}")["status"] == "open"
    _post_github(api, hook, github_issue_event("closed", 42, state_reason="not_planned"))
    _post_github(api, hook, github_issue_event("closed", 99))  # someone else's issue
    _work(db, settings)
    assert api.call("GET", f"/action-items/{item}")["status"] == "wont_do"
    audit = api.call("GET", "/audit/events", params={"object_id": item, "limit": 100})
    syncs = [e for e in audit["items"] if e["action"] == "action_item.sync"]
    assert len(syncs) == 3


def _post_github(
    api: Any, hook: dict[str, Any], body: bytes, delivery: str | None = None
) -> dict[str, Any]:
    import hashlib
    import hmac

    signature = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature,
    }
    response = api.client.post(f"/hooks/github/{hook['id']}", content=body, headers=headers)
    assert response.status_code in (200, 202), response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_gitlab_export_and_issue_hook(
    api: Any, db: Database, settings: Any, tracker: FakeTracker
) -> None:
    item = _item(api, due_at="2031-05-01T00:00:00Z")
    body = {"tracker": "gitlab", "items": [item], "repository": "acme/checkout"}
    api.call("POST", "/action-items/tracker-export", json=body)
    _work(db, settings)
    (sent,) = tracker.requests
    assert sent["path"] == "/api/v4/projects/acme%2Fcheckout/issues"
    assert sent["headers"]["PRIVATE-TOKEN"] == "glpat_secret"
    assert sent["json"]["due_date"] == "2031-05-01"
    assert sent["json"]["labels"] == "guardrail,priority::P1"
    assert api.call("GET", f"/action-items/{item}")["external_ref"] == "acme/checkout#42"

    hook = _hook(api, "gitlab")
    headers = {"Content-Type": "application/json", "X-Gitlab-Token": hook["secret"]}
    for action in ("update", "close"):  # GitLab sends an update beside the close; it is ignored
        headers["X-Gitlab-Event-UUID"] = str(uuid.uuid4())
        response = api.client.post(
            f"/hooks/gitlab/{hook['id']}", content=gitlab_issue_event(action, 42), headers=headers
        )
        assert response.status_code == 202, response.text
    _work(db, settings)
    assert api.call("GET", f"/action-items/{item}")["status"] == "done"


def test_an_unreachable_tracker_is_retried_and_says_so(
    api: Any, db: Database, settings: Any, cli: Any, cli_env: Any, monkeypatch: Any
) -> None:
    failing = FakeTracker(codes=[500])
    try:
        for key, value in {
            "GUARDRAIL_GITHUB_API_URL": f"http://127.0.0.1:{closed_port()}",
            "GUARDRAIL_GITHUB_TOKEN": "ghp_secret",
            "GUARDRAIL_GITLAB_URL": failing.url,
            "GUARDRAIL_GITLAB_TOKEN": "glpat_secret",
        }.items():
            monkeypatch.setenv(key, value)
        reset_settings()
        refused, erroring = _item(api, "refused"), _item(api, "erroring")
        for item, kind in ((refused, "github"), (erroring, "gitlab")):
            api.call(
                "POST", "/action-items/tracker-export", json={"tracker": kind, "items": [item]}
            )
        load_job_modules()
        Worker(db, settings, worker_id="test:problems").run_once()
        assert len(failing.requests) == 1
    finally:
        failing.close()
    with db.reader() as session:
        jobs = outbox.list_jobs(session, status=None, kind="problems.export_action_item", limit=5)
        assert {(j.status, j.attempts) for j in jobs} == {("queued", 1)}
    gone = api.call("GET", f"/action-items/{refused}")
    assert gone["export_status"] == "pending"
    assert gone["export_note"].startswith("export pending, retry 1 at ")
    assert "ConnectError" in gone["export_note"]
    shown = cli("action-item", "show", erroring, env=cli_env)
    assert shown.exit_code == 0 and "export pending, retry 1 at " in shown.stdout
    assert "gitlab answered HTTP 500" in shown.stdout


def test_bad_input(api: Any, cli: Any, cli_env: Any) -> None:
    item = _item(api)
    no_token = api.client.post(
        "/api/v1/action-items/tracker-export",
        json={"tracker": "github", "items": [item]},
        headers=api.headers,
    )
    assert no_token.status_code == 422 and "GUARDRAIL_GITHUB_TOKEN" in no_token.json()["detail"]
    unknown = api.client.post(
        "/api/v1/action-items", json={"title": "x", "priority": "P9"}, headers=api.headers
    )
    assert unknown.status_code == 422
    bad_due = cli("action-item", "create", "x", "--due", "next tuesday", env=cli_env)
    assert bad_due.exit_code == 2 and "neither a date" in bad_due.stderr
    nowhere = api.call("POST", "/action-items", 201, json={"title": "orphan"})
    no_repo = cli(
        "action-item", "export", nowhere["id"], "--tracker", "gitlab", "--dry-run", env=cli_env
    )
    assert no_repo.exit_code == 2 and "--repo owner/name" in no_repo.stderr
    moved = cli("action-item", "update", item, "--status", "in_progress", "--json", env=cli_env)
    assert json.loads(moved.stdout)["status"] == "in_progress"
    missing = cli("action-item", "show", "act_nope", env=cli_env)
    assert missing.exit_code == 2 and "guardrail action-item list" in missing.stderr

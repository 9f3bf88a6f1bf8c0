"""A small delivery history, as the GitHub webhooks that describe it, and ways to post them."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
REPO = {"full_name": "acme/shop", "name": "shop"}


def sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def commit(label: str, hours: float) -> dict[str, Any]:
    return {
        "id": sha(label),
        "message": f"{label}: change",
        "timestamp": at(hours),
        "author": {"name": "Dev", "email": "dev@example.org"},
    }


def push(
    branch: str, before: str | None, commits: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    return "push", {
        "ref": f"refs/heads/{branch}",
        "before": before or "0" * 40,
        "after": commits[-1]["id"],
        "created": before is None,
        "deleted": False,
        "commits": commits,
        "repository": REPO,
    }


def pull_request(action: str, merged_hours: float | None = None) -> tuple[str, dict[str, Any]]:
    merged = merged_hours is not None
    return "pull_request", {
        "action": action,
        "number": 7,
        "repository": REPO,
        "pull_request": {
            "number": 7,
            "title": "Add basket",
            "state": "closed" if merged else "open",
            "created_at": at(0.2),
            "merged": merged,
            "merged_at": at(merged_hours) if merged else None,
            "closed_at": at(merged_hours) if merged else None,
            "merge_commit_sha": sha("m1") if merged else None,
            "head": {"ref": "feature", "sha": sha("c1")},
            "user": {"login": "dev"},
            "html_url": "https://example.org/acme/shop/pull/7",
        },
    }


def deployment(dep_id: int, label: str, env: str, hours: float) -> tuple[str, dict[str, Any]]:
    return "deployment", {
        "action": "created",
        "repository": REPO,
        "deployment": {
            "id": dep_id,
            "sha": sha(label),
            "ref": "main",
            "environment": env,
            "created_at": at(hours),
            "payload": {"version": f"v-{label}"},
        },
    }


def deployment_status(
    dep_id: int, label: str, env: str, hours: float, state: str, status_hours: float | None = None
) -> tuple[str, dict[str, Any]]:
    _, dep = deployment(dep_id, label, env, hours)
    when = at(status_hours if status_hours is not None else hours + 0.1)
    return "deployment_status", {
        "action": "created",
        "repository": REPO,
        "deployment": dep["deployment"],
        "deployment_status": {
            "state": state,
            "environment": env,
            "created_at": when,
            "updated_at": when,
        },
    }


def history() -> list[tuple[str, dict[str, Any]]]:
    """b0 deployed first; then a pull request (c1 on a branch, merged as m1) reaches staging and
    production; then c3 goes straight to main and production."""
    return [
        push("main", None, [commit("b0", -24)]),
        deployment(1, "b0", "production", -23),
        deployment_status(1, "b0", "production", -23, "success"),
        push("feature", sha("b0"), [commit("c1", 0)]),
        pull_request("opened"),
        pull_request("closed", merged_hours=2),
        push("main", sha("b0"), [commit("c1", 0), commit("m1", 2)]),
        deployment(2, "m1", "staging", 2.5),
        deployment_status(2, "m1", "staging", 2.5, "success"),
        deployment(3, "m1", "production", 3),
        deployment_status(3, "m1", "production", 3, "in_progress", 3.05),
        deployment_status(3, "m1", "production", 3, "success", 3.1),
        push("main", sha("m1"), [commit("c3", 4)]),
        deployment(4, "c3", "production", 5),
        deployment_status(4, "c3", "production", 5, "success", 5.1),
    ]


def signed(
    secret: str, event: str, payload: dict[str, Any], delivery: str | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, indent=2).encode() + b"\n"
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature,
    }


def github_integration(client: Any, auth: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/integrations", json={"type": "github"}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def post_all(
    client: Any, integration: dict[str, Any], events: list[tuple[str, dict[str, Any]]]
) -> None:
    for event, payload in events:
        body, headers = signed(integration["secret"], event, payload)
        response = client.post(f"/hooks/github/{integration['id']}", content=body, headers=headers)
        assert response.status_code == 202, response.text


def drain(db: Database, settings: Any) -> None:
    load_job_modules()
    Worker(db, settings, worker_id="test:releases").run_until_empty()

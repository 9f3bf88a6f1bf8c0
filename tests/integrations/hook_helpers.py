"""Posting signed deliveries to /hooks the way GitHub, GitLab and CDEvents senders do."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from guardrail.kit.context import Actor
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker


def create_integration(
    client: Any, auth: dict[str, str], kind: str, service: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind}
    if service:
        body["service"] = service
    response = client.post("/api/v1/integrations", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_github(
    client: Any,
    integration: dict[str, Any],
    event: str,
    body: bytes,
    delivery: str | None = None,
    secret: str | None = None,
) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(secret or integration["secret"], body),
        "User-Agent": "GitHub-Hookshot/test",
    }
    return client.post(f"/hooks/github/{integration['id']}", content=body, headers=headers)


def post_gitlab(
    client: Any,
    integration: dict[str, Any],
    event: str,
    body: bytes,
    delivery: str | None = None,
    token: str | None = None,
) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-Gitlab-Event": event,
        "X-Gitlab-Event-UUID": delivery or str(uuid.uuid4()),
        "X-Gitlab-Token": token or integration["secret"],
    }
    return client.post(f"/hooks/gitlab/{integration['id']}", content=body, headers=headers)


def post_cdevent_binary(
    client: Any,
    integration: dict[str, Any],
    event: dict[str, Any],
    body: bytes,
    token: str | None = None,
) -> Any:
    ctx = event["context"]
    headers = {
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": ctx["id"],
        "ce-source": ctx["source"],
        "ce-type": ctx["type"],
        "ce-time": ctx["timestamp"],
        "ce-subject": event["subject"]["id"],
        "Authorization": f"Bearer {token or integration['secret']}",
    }
    return client.post(f"/hooks/cdevents/{integration['id']}", content=body, headers=headers)


def post_cdevent_structured(client: Any, integration: dict[str, Any], envelope: bytes) -> Any:
    headers = {
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "Authorization": f"Bearer {integration['secret']}",
    }
    return client.post(f"/hooks/cdevents/{integration['id']}", content=envelope, headers=headers)


def drain(db: Database, settings: Any) -> int:
    """Run every queued job (the processing of stored deliveries) to the end."""
    load_job_modules()
    return Worker(db, settings, worker_id="test:hooks").run_until_empty()


ACTOR = Actor.system("tests")

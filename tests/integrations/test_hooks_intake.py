"""The shared intake path: verify, store once, enqueue, answer fast; and what it refuses."""

from __future__ import annotations

import json

from hook_helpers import create_integration, drain, post_cdevent_binary, post_github, post_gitlab
from sqlalchemy import func, select

from guardrail.integrations.models import InboundEvent, Integration
from guardrail.releases.models import Commit, Deployment
from guardrail.store.outbox import Job

PUSH = {
    "ref": "refs/heads/main",
    "before": "a" * 40,
    "after": "b" * 40,
    "commits": [
        {
            "id": "b" * 40,
            "message": "fix",
            "timestamp": "2025-01-01T10:00:00Z",
            "author": {"name": "A", "email": "a@example.org"},
        }
    ],
    "repository": {"full_name": "acme/api"},
}


def _count(db, model) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_bad_signature_is_401_and_stores_nothing(client, auth, db):
    integration = create_integration(client, auth, "github")
    body = json.dumps(PUSH).encode()
    response = post_github(client, integration, "push", body, secret="not-the-secret")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "X-Hub-Signature-256" in response.json()["detail"]
    unsigned = client.post(
        f"/hooks/github/{integration['id']}",
        content=body,
        headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1"},
    )
    assert unsigned.status_code == 401
    assert _count(db, InboundEvent) == 0 and _count(db, Job) == 0


def test_same_delivery_twice_is_counted_once(client, auth, db, settings):
    integration = create_integration(client, auth, "github")
    body = json.dumps(PUSH).encode()
    first = post_github(
        client, integration, "push", body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    again = post_github(
        client, integration, "push", body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    drain(db, settings)
    third = post_github(
        client, integration, "push", body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    assert third.status_code == 200 and third.json()["status"] == "processed"
    assert _count(db, InboundEvent) == 1 and _count(db, Commit) == 1
    with db.reader() as session:
        event = session.scalars(select(InboundEvent)).one()
        assert event.replays == 2
        assert (
            session.scalar(
                select(func.count()).select_from(Job).where(Job.kind == "inbound.process")
            )
            == 1
        )


def test_a_replayed_deployment_status_counts_one_deployment(client, auth, db, settings):
    integration = create_integration(client, auth, "github")
    payload = {
        "action": "created",
        "repository": {"full_name": "acme/api"},
        "deployment": {
            "id": 9,
            "sha": "b" * 40,
            "ref": "main",
            "environment": "production",
            "created_at": "2025-01-01T10:00:00Z",
            "payload": {},
        },
        "deployment_status": {
            "state": "success",
            "created_at": "2025-01-01T10:05:00Z",
            "updated_at": "2025-01-01T10:05:00Z",
        },
    }
    body = json.dumps(payload).encode()
    for delivery in ("d-1", "d-1", "d-2"):  # a replay, then GitHub's redelivery under a new id
        assert post_github(
            client, integration, "deployment_status", body, delivery=delivery
        ).status_code in (200, 202)
    drain(db, settings)
    assert _count(db, Deployment) == 1
    page = client.get("/api/v1/releases/deployments", headers=auth).json()
    assert page["total"] == 1 and page["items"][0]["status"] == "success"


def test_body_over_the_limit_is_413(client, auth, db):
    integration = create_integration(client, auth, "github")
    body = b'{"pad": "' + b"x" * (600 * 1024) + b'"}'
    response = post_github(client, integration, "push", body)
    assert response.status_code == 413
    assert _count(db, InboundEvent) == 0


def test_unknown_integration_revoked_and_wrong_source(client, auth, db):
    integration = create_integration(client, auth, "github")
    body = json.dumps(PUSH).encode()
    assert post_github(client, {**integration, "id": "int_nope"}, "push", body).status_code == 404
    wrong = client.post(
        f"/hooks/gitlab/{integration['id']}", content=body, headers={"X-Gitlab-Token": "x"}
    )
    assert wrong.status_code == 404
    assert client.post("/hooks/nosuch/int_x", content=b"{}").status_code == 404
    revoked = client.post(f"/api/v1/integrations/{integration['id']}/revoke", headers=auth)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert post_github(client, integration, "push", body).status_code == 401
    assert _count(db, InboundEvent) == 0


def test_unknown_events_are_stored_and_acknowledged(client, auth, db, settings):
    integration = create_integration(client, auth, "github")
    response = post_github(client, integration, "star", b'{"action": "created"}')
    assert response.status_code == 202
    ping = post_github(client, integration, "ping", b'{"zen": "Design for failure.", "hook_id": 1}')
    assert ping.status_code == 202 and ping.json()["pong"] is True
    drain(db, settings)
    with db.reader() as session:
        assert {e.status for e in session.scalars(select(InboundEvent))} == {"ignored"}


def test_malformed_json_is_400(client, auth, db):
    gitlab = create_integration(client, auth, "gitlab")
    response = post_gitlab(client, gitlab, "Push Hook", b"{not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert _count(db, InboundEvent) == 0


def test_gitlab_token_and_cdevents_bearer(client, auth, db, settings):
    gitlab = create_integration(client, auth, "gitlab")
    body = json.dumps({"object_kind": "push", **PUSH}).encode()
    assert post_gitlab(client, gitlab, "Push Hook", body, token="wrong").status_code == 401
    assert post_gitlab(client, gitlab, "Push Hook", body).status_code == 202
    cdevents = create_integration(client, auth, "cdevents")
    event = {
        "context": {
            "specversion": "0.5.1",
            "id": "e-1",
            "source": "/ci",
            "type": "dev.cdevents.service.deployed.0.3.0",
            "timestamp": "2025-01-01T11:00:00Z",
        },
        "subject": {
            "id": "api",
            "content": {
                "environment": {"id": "production"},
                "artifactId": "pkg:oci/api@" + "b" * 40,
            },
        },
    }
    raw = json.dumps(event).encode()
    assert post_cdevent_binary(client, cdevents, event, raw, token="wrong").status_code == 401
    assert post_cdevent_binary(client, cdevents, event, raw).status_code == 202
    drain(db, settings)
    with db.reader() as session:
        dep = session.scalars(select(Deployment)).one()
        assert (dep.service, dep.environment, dep.sha, dep.attribution) == (
            "api",
            "production",
            "b" * 40,
            "partial",
        )
        # GitLab keeps only the secret's hash; GitHub keeps the secret (HMAC needs it)
        assert session.get(Integration, gitlab["id"]).secret is None
        assert session.get(Integration, gitlab["id"]).secret_hash


def test_integration_cli_create_list_revoke(cli, db, client, auth):
    client.post("/api/v1/services", json={"name": "checkout"}, headers=auth)
    result = cli(
        "integration",
        "create",
        "--type",
        "github",
        "--service",
        "checkout",
        "--json",
        env={"GUARDRAIL_PUBLIC_URL": "https://guardrail.example.org"},
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["url"] == f"https://guardrail.example.org/hooks/github/{created['id']}"
    assert created["secret"].startswith("whsec_") and created["service"] == "checkout"
    listed = cli("integration", "list", "--json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [created["id"]]
    assert "secret" not in listed.stdout.replace("secret_hint", "")
    assert cli("integration", "revoke", created["id"]).exit_code == 0
    assert json.loads(cli("integration", "list", "--json").stdout) == []
    bad = cli("integration", "create", "--type", "nosuch")
    assert bad.exit_code == 2 and "known types: " in bad.stderr
    assert all(name in bad.stderr for name in ("cdevents", "github", "gitlab"))

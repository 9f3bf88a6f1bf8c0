"""Pipeline triggers leave through the outbox; a local receiver checks each real request format."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from hook_helpers import ACTOR, drain
from sqlalchemy import select

from guardrail.audit.models import AuditEvent
from guardrail.integrations.outbound.pipelines import service as pipelines
from guardrail.store.outbox import Job


class _Receiver(BaseHTTPRequestHandler):
    """Answers like GitHub (204), GitLab (201 + pipeline) and a webhook (200); 500 on /broken."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append((self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        if self.path.startswith("/broken"):
            status, payload = 500, b'{"message": "boom"}'
        elif self.path.endswith("/dispatches"):
            status, payload = 204, b""
        elif self.path.endswith("/trigger/pipeline"):
            status, payload = 201, b'{"id": 4711, "status": "created", "ref": "main"}'
        else:
            status, payload = 200, b"{}"
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_github_gitlab_and_webhook_triggers(db, settings, receiver):
    base = f"http://127.0.0.1:{receiver.server_port}"
    with db.unit_of_work() as session:
        pipelines.add_target(
            session,
            ACTOR,
            name="gh-rollback",
            kind="github",
            url=base,
            repository="acme/shop",
            workflow="rollback.yml",
            secret="ghp_test",
        )
        pipelines.add_target(
            session,
            ACTOR,
            name="gl-deploy",
            kind="gitlab",
            url=base,
            repository="acme/shop",
            secret="glptt-trigger",
        )
        pipelines.add_target(
            session, ACTOR, name="hook", kind="webhook", url=base + "/hook", secret="sign-me"
        )
        for name in ("gh-rollback", "gl-deploy", "hook"):
            pipelines.trigger(
                session,
                ACTOR,
                name,
                ref="v1.2.3",
                inputs={"version": "1.2.2"},
                reason="incident rollback",
                subject="inc_42",
            )
    assert not receiver.requests  # nothing leaves inside the request's transaction
    drain(db, settings)
    by_path = {path: (headers, body) for path, headers, body in receiver.requests}

    headers, body = by_path["/repos/acme/shop/actions/workflows/rollback.yml/dispatches"]
    assert headers["Authorization"] == "Bearer ghp_test"
    assert headers["Accept"] == "application/vnd.github+json"
    assert json.loads(body) == {"ref": "v1.2.3", "inputs": {"version": "1.2.2"}}

    headers, body = by_path["/api/v4/projects/acme%2Fshop/trigger/pipeline"]
    assert parse_qs(body.decode()) == {
        "token": ["glptt-trigger"],
        "ref": ["v1.2.3"],
        "variables[version]": ["1.2.2"],
    }

    headers, body = by_path["/hook"]
    event = json.loads(body)
    assert (
        event["type"] == "dev.guardrail.pipeline.trigger"
        and event["data"]["reason"] == "incident rollback"
    )
    assert (
        headers["X-Guardrail-Signature-256"]
        == "sha256=" + hmac.new(b"sign-me", body, hashlib.sha256).hexdigest()
    )
    with db.reader() as session:
        audits = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pipeline.trigger")
        ).all()
        assert len(audits) == 3 and audits[0].after["subject"] == "inc_42"
        jobs = session.scalars(select(Job).where(Job.kind == "pipelines.trigger")).all()
        assert {j.status for j in jobs} == {"done"}


def test_a_failing_target_is_retried(db, settings, receiver):
    with db.unit_of_work() as session:
        pipelines.add_target(
            session,
            ACTOR,
            name="broken",
            kind="webhook",
            url=f"http://127.0.0.1:{receiver.server_port}/broken",
        )
        pipelines.trigger(session, ACTOR, "broken")
    drain(db, settings)
    with db.reader() as session:
        job = session.scalars(select(Job).where(Job.kind == "pipelines.trigger")).one()
        assert job.status == "queued" and job.attempts == 1 and "HTTP 500" in (job.last_error or "")


def test_trigger_over_http_needs_approver(client, auth, make_token, db, receiver):
    with db.unit_of_work() as session:
        pipelines.add_target(
            session,
            ACTOR,
            name="hook",
            kind="webhook",
            url=f"http://127.0.0.1:{receiver.server_port}/x",
        )
    engineer = {"Authorization": f"Bearer {make_token('engineer')}"}
    assert (
        client.post(
            "/api/v1/releases/pipelines/hook/trigger", json={}, headers=engineer
        ).status_code
        == 403
    )
    ok = client.post(
        "/api/v1/releases/pipelines/hook/trigger", json={"subject": "chg_1"}, headers=auth
    )
    assert ok.status_code == 202 and ok.json()["trigger_id"].startswith("trg_")
    assert (
        client.post("/api/v1/releases/pipelines/nope/trigger", json={}, headers=auth).status_code
        == 404
    )

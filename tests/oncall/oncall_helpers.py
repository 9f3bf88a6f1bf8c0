"""On-call test helpers: people, an on-call file, local HTTP receivers that capture payloads."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from guardrail.config import Settings
from guardrail.identity import service as identity_service
from guardrail.identity.schemas import MemberAdd, PersonCreate, TeamCreate
from guardrail.kit.context import Actor
from guardrail.kit.time import utcnow
from guardrail.oncall import service as oncall
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker

ACTOR = Actor.system("tests")


class Receiver:
    """A loopback HTTP server that records every request and answers with scripted codes."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.codes = list(codes or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "json": json.loads(body) if body else None,
                    }
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"no_service")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def bodies(self, path: str | None = None) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests if path is None or r["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_people(db: Database) -> None:
    """alice, bob, carol (with emails), and team payments with bob and carol."""
    with db.unit_of_work() as session:
        for handle in ("alice", "bob", "carol"):
            identity_service.create_person(
                session,
                ACTOR,
                PersonCreate(handle=handle, name=handle.title(), email=f"{handle}@example.com"),
            )
        identity_service.create_team(session, ACTOR, TeamCreate(slug="payments", name="Payments"))
        for handle in ("bob", "carol"):
            identity_service.add_member(session, ACTOR, "payments", MemberAdd(person=handle))


def apply(db: Database, content: str) -> list[Any]:
    with db.unit_of_work() as session:
        return oncall.apply(session, ACTOR, oncall.parse_document(content))


def escalation_file(slack_url: str, hook_url: str, *, delay: str = "5m", repeat: int = 0) -> str:
    """Level 1: the primary schedule (alice) and the ops Slack channel; level 2: bob by webhook."""
    return f"""
channels:
  - name: ops-slack
    kind: slack
    url: {slack_url}
contacts:
  - person: alice
    slack_user: U00FAKEUSER1
  - person: bob
    webhook: {hook_url}
schedules:
  - name: primary
    timezone: UTC
    layers:
      - name: everyone
        rotation: daily
        start: 2020-01-01
        handoff: "00:00"
        members: [alice]
policies:
  - name: standard
    default: true
    repeat: {repeat}
    levels:
      - delay: {delay}
        targets: [{{schedule: primary}}, {{channel: ops-slack}}]
      - delay: {delay}
        targets: [{{person: bob}}]
"""


SUMMARY = {
    "incident_url": "http://guardrail.test/incidents/inc_1",
    "service": "checkout",
    "runbook_url": "https://runbooks.example.com/checkout",
    "suspect_changes": [
        {
            "id": "dep_1",
            "kind": "deployment",
            "title": "checkout v2.3.1",
            "at": "2025-01-01T10:00:00Z",
            "url": "http://guardrail.test/releases/dep_1",
        },
    ],
    "alerts": [{"name": "HighErrorRate"}],
    "status": "triggered",
}


def start(db: Database, incident_id: str = "inc_test1") -> str:
    with db.unit_of_work() as session:
        return oncall.start_escalation(
            session,
            ACTOR,
            incident_id=incident_id,
            service_id=None,
            title="Checkout errors",
            severity="sev2",
            summary=SUMMARY,
        )


def work(db: Database, settings: Settings, ahead: timedelta = timedelta(seconds=1)) -> int:
    """Run a worker until nothing is due at ``now + ahead``."""
    load_job_modules()
    clock: Callable[[], datetime] = lambda: utcnow() + ahead  # noqa: E731
    return Worker(db, settings, clock=clock).run_until_empty()

"""Helpers the problem tests share."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def days(n: float) -> str:
    """An ISO time ``n`` days from now (negative: in the past)."""
    return (datetime.now(UTC) + timedelta(days=n)).isoformat()


class FakeTracker:
    """A loopback issue tracker: records each request and answers with scripted codes, or with
    201 and the created issue (GitHub's ``number``/``html_url``, GitLab's ``iid``/``web_url``)."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.codes = list(codes or [])
        tracker = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                tracker.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                code = tracker.codes.pop(0) if tracker.codes else 201
                number = len(tracker.requests) + 41
                issue = {
                    "number": number,
                    "html_url": f"https://github.example/acme/checkout/issues/{number}",
                    "iid": number,
                    "web_url": f"https://gitlab.example/acme/checkout/-/issues/{number}",
                }
                answer = json.dumps(issue if code < 300 else {"message": "boom"}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def github_issue_event(action: str, number: int, state_reason: str | None = None) -> bytes:
    """An ``issues`` delivery in GitHub's shape (as in GitHub's documented payloads)."""
    payload = {
        "action": action,
        "issue": {
            "url": f"https://api.github.com/repos/acme/checkout/issues/{number}",
            "html_url": f"https://github.com/acme/checkout/issues/{number}",
            "id": 444500041 + number,
            "number": number,
            "title": "Size the pool from load tests",
            "state": "closed" if action == "closed" else "open",
            "state_reason": state_reason,
            "user": {"login": "octocat", "id": 1},
            "labels": [{"name": "guardrail"}],
        },
        "repository": {"id": 186853002, "name": "checkout", "full_name": "acme/checkout"},
        "sender": {"login": "octocat", "id": 1},
    }
    return json.dumps(payload).encode()


def gitlab_issue_event(action: str, iid: int) -> bytes:
    """A GitLab issue hook (object_kind issue) in GitLab's shape."""
    payload = {
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"id": 1, "name": "Administrator", "username": "root"},
        "project": {
            "id": 15,
            "name": "checkout",
            "path_with_namespace": "acme/checkout",
            "web_url": "https://gitlab.example/acme/checkout",
        },
        "object_attributes": {
            "id": 301,
            "iid": iid,
            "project_id": 15,
            "title": "Size the pool from load tests",
            "state": "closed" if action == "close" else "opened",
            "action": action,
            "url": f"https://gitlab.example/acme/checkout/-/issues/{iid}",
        },
    }
    return json.dumps(payload).encode()

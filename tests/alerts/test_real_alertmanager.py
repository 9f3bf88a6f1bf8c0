"""A real Alertmanager (Debian package prometheus-alertmanager) sends its webhook to guardrail.

Alerts are posted to Alertmanager's own API (POST /api/v2/alerts); Alertmanager groups them and
notifies guardrail (a live server with its worker running). The incident appears once, and
resolves when Alertmanager sends the resolved notification. The test fails (never skips) when the
binary is missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alert_helpers import create_integration, create_service

from guardrail.worker.runner import start_background

BINARY = "/usr/bin/prometheus-alertmanager"
WAIT = 60.0


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(url: str, secret: str) -> str:
    return f"""
global:
  resolve_timeout: 5s
route:
  receiver: guardrail
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: guardrail
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            credentials: {secret}
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Start Alertmanager with a webhook receiver; yields a function (url, secret) -> its URL."""
    if shutil.which(BINARY) is None:
        pytest.fail(
            f"{BINARY} is missing: install the Debian package prometheus-alertmanager "
            "(apt-get install -y prometheus-alertmanager)"
        )
    procs: list[subprocess.Popen[bytes]] = []

    def start(url: str, secret: str) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(_config(url, secret))
        port = _port()
        log = (tmp_path / "alertmanager.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    BINARY,
                    f"--config.file={config}",
                    f"--storage.path={tmp_path / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                    "--log.level=debug",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{port}"
        _wait(
            lambda: httpx.get(f"{base}/-/ready", timeout=1).status_code == 200, "Alertmanager ready"
        )
        return base

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def _wait(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for: {what}")


def _alert(ends_at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "labels": {
                "alertname": "CheckoutErrors",
                "service": "checkout",
                "severity": "critical",
                "instance": "web-1",
            },
            "annotations": {
                "summary": "Checkout 5xx above 5%",
                "runbook_url": "https://runbooks.example/checkout",
            },
            "startsAt": datetime.now(UTC).isoformat(),
            "endsAt": ends_at.isoformat(),
        }
    ]


def test_real_alertmanager_opens_one_incident_and_resolves_it(
    live_server, client, auth, db, settings, alertmanager, tmp_path
):
    create_service(client, auth, "checkout")
    integration = create_integration(client, auth, "alertmanager")
    stop_worker = start_background(db, settings)
    try:
        am = alertmanager(
            f"{live_server}/hooks/alertmanager/{integration['id']}", integration["secret"]
        )
        alert = _alert(datetime.now(UTC) + timedelta(hours=1))
        assert httpx.post(f"{am}/api/v2/alerts", json=alert).status_code == 200
        # Posting the same alert again (Prometheus re-sends every evaluation) changes nothing.
        assert httpx.post(f"{am}/api/v2/alerts", json=alert).status_code == 200

        def incidents() -> list[dict[str, Any]]:
            return list(httpx.get(f"{live_server}/api/v1/incidents", headers=auth).json()["items"])

        (incident,) = _wait(incidents, "an incident from Alertmanager")
        assert (incident["title"], incident["severity"], incident["service"]) == (
            "Checkout 5xx above 5%",
            "SEV1",
            "checkout",
        )
        assert incident["runbook_url"] == "https://runbooks.example/checkout"

        resolved = _alert(datetime.now(UTC))
        resolved[0]["startsAt"] = alert[0]["startsAt"]
        assert httpx.post(f"{am}/api/v2/alerts", json=resolved).status_code == 200
        done = _wait(
            lambda: [i for i in incidents() if i["status"] == "resolved"], "the incident resolved"
        )
        assert [i["id"] for i in done] == [incident["id"]]
        assert len(incidents()) == 1
        detail = httpx.get(f"{live_server}/api/v1/incidents/{incident['id']}", headers=auth).json()
        assert [(a["status"], a["labels"]["instance"]) for a in detail["alerts"]] == [
            ("resolved", "web-1")
        ]
    finally:
        stop_worker()

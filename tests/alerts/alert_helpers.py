"""Helpers for alert tests: integrations, Alertmanager / PagerDuty bodies, draining the worker."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from guardrail.config import Settings
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules
from guardrail.worker.runner import Worker


def create_service(
    client: Any, auth: dict[str, str], name: str, runbook: str | None = None
) -> None:
    body: dict[str, Any] = {"name": name, "tier": 1}
    if runbook:
        body["runbook_url"] = runbook
    response = client.post("/api/v1/services", json=body, headers=auth)
    assert response.status_code == 201, response.text


def create_integration(
    client: Any, auth: dict[str, str], kind: str, service: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind}
    if service:
        body["service"] = service
    response = client.post("/api/v1/integrations", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def drain(db: Database, settings: Settings) -> int:
    """Run every due job (processing of stored deliveries, pages…)."""
    load_job_modules()
    return Worker(db, settings).run_until_empty()


def am_alert(
    name: str = "HighErrorRate",
    *,
    instance: str = "web-1",
    status: str = "firing",
    service: str | None = "checkout",
    severity: str = "critical",
    fingerprint: str | None = None,
    runbook: str | None = "https://runbooks.example/high-error-rate",
    starts_at: str | None = None,
) -> dict[str, Any]:
    labels = {"alertname": name, "instance": instance, "severity": severity}
    if service:
        labels["service"] = service
    annotations = {"summary": f"{name} on {instance}"}
    if runbook:
        annotations["runbook_url"] = runbook
    alert: dict[str, Any] = {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": starts_at or datetime.now(UTC).isoformat(),
        "endsAt": datetime.now(UTC).isoformat() if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
    }
    if fingerprint is not None:
        alert["fingerprint"] = fingerprint
    return alert


def am_body(alerts: list[dict[str, Any]], status: str | None = None, **extra: Any) -> bytes:
    firing = any(a["status"] == "firing" for a in alerts)
    body = {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status or ("firing" if firing else "resolved"),
        "receiver": "guardrail",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
        **extra,
    }
    return json.dumps(body).encode()


def post_am(client: Any, integration: dict[str, Any], body: bytes, token: str | None = None) -> Any:
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token or integration['secret']}",
    }
    return client.post(f"/hooks/alertmanager/{integration['id']}", content=body, headers=headers)


def pd_event(
    routing_key: str, action: str = "trigger", dedup_key: str | None = "srv01/mysql", **payload: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {"routing_key": routing_key, "event_action": action}
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    if action == "trigger":
        event["payload"] = {
            "summary": "DISK at 99% on machine prod-datapipe03.example.com",
            "timestamp": datetime(2024, 5, 1, 10, 0, tzinfo=UTC).isoformat(),
            "severity": "critical",
            "source": "prod-datapipe03.example.com",
            "component": "mysql",
            "group": "prod-datapipe",
            "class": "disk",
            "custom_details": {"free space": "1%"},
            **payload,
        }
    return event

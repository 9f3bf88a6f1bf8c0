"""Alertmanager webhook intake: auth, validation, dedup, grouping, resolution, replays."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from alert_helpers import (
    am_alert,
    am_body,
    create_integration,
    create_service,
    drain,
    post_am,
)

from guardrail.alerts import service as alerts
from guardrail.incidents import repository as incidents_repo
from guardrail.integrations.inbound.core import service as inbound

CORPUS = Path("/work/shared/corpus/alertmanager")


def _incidents(client: Any, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/incidents", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_firing_alerts_open_one_incident_per_group_and_resolve_it(client, auth, db, settings):
    create_service(client, auth, "checkout", runbook="https://runbooks.example/checkout")
    integration = create_integration(client, auth, "alertmanager")
    body = am_body(
        [
            am_alert(instance="web-1"),
            am_alert(instance="web-2"),
            am_alert("DiskFull", instance="db-1", severity="warning"),
        ]
    )
    response = post_am(client, integration, body)
    assert response.status_code == 202, response.text
    assert response.json()["duplicate"] is False
    drain(db, settings)

    found = _incidents(client, auth)
    assert sorted((i["title"], i["severity"], i["alert_count"]) for i in found) == [
        ("DiskFull on db-1", "SEV3", 1),
        ("HighErrorRate on web-1", "SEV1", 2),
    ]
    assert all(i["service"] == "checkout" for i in found)
    high = next(i for i in found if i["alert_count"] == 2)
    detail = client.get(f"/api/v1/incidents/{high['id']}", headers=auth).json()
    assert detail["runbook_url"] == "https://runbooks.example/high-error-rate"
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds.count("alert") == 2 and kinds[0] == "opened"

    # One of the two resolves: still open. Both resolve: resolved.
    post_am(client, integration, am_body([am_alert(instance="web-1", status="resolved")]))
    drain(db, settings)
    assert (
        client.get(f"/api/v1/incidents/{high['id']}", headers=auth).json()["status"] == "triggered"
    )
    post_am(client, integration, am_body([am_alert(instance="web-2", status="resolved")]))
    drain(db, settings)
    detail = client.get(f"/api/v1/incidents/{high['id']}", headers=auth).json()
    assert (detail["status"], detail["resolved_by"]) == ("resolved", "alerts")
    assert all(a["status"] == "resolved" for a in detail["alerts"])


def test_replayed_delivery_and_repeated_alert_make_no_second_incident(client, auth, db, settings):
    create_service(client, auth, "checkout")
    integration = create_integration(client, auth, "alertmanager")
    body = am_body([am_alert()])
    assert post_am(client, integration, body).status_code == 202
    replay = post_am(client, integration, body)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    # Alertmanager re-notifies the same group with a new body (endsAt moves): same alert.
    again = am_body([{**am_alert(), "endsAt": "2024-05-01T10:09:00Z"}])
    assert post_am(client, integration, again).status_code == 202
    drain(db, settings)
    assert len(_incidents(client, auth)) == 1
    with db.reader() as session:
        assert alerts.count_alerts(session) == 1
        assert len(inbound.list_events(session)) == 2


def test_basic_auth_password_is_the_secret(client, auth, db, settings):
    integration = create_integration(client, auth, "alertmanager")
    body = am_body([am_alert(service=None)])
    good = base64.b64encode(f"alertmanager:{integration['secret']}".encode()).decode()
    bad = base64.b64encode(b"alertmanager:wrong").decode()
    url = f"/hooks/alertmanager/{integration['id']}"
    refused = client.post(url, content=body, headers={"Authorization": f"Basic {bad}"})
    assert refused.status_code == 401
    assert client.post(url, content=body).status_code == 401
    accepted = client.post(url, content=body, headers={"Authorization": f"Basic {good}"})
    assert accepted.status_code == 202, accepted.text
    drain(db, settings)
    assert [i["service"] for i in _incidents(client, auth)] == [None]


def test_malformed_and_oversized_bodies_are_refused_and_nothing_is_stored(client, auth, db):
    integration = create_integration(client, auth, "alertmanager")
    bad = json.dumps(
        {
            "version": "4",
            "status": "firing",
            "alerts": [{"labels": {}}, "x", {"labels": {"a": "b"}, "status": "odd"}],
        }
    )
    response = post_am(client, integration, bad.encode())
    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"] == [
        "alerts[0]: `labels` must be a non-empty object",
        "alerts[1]: each alert must be an object",
        "alerts[2]: status is 'odd'; expected firing or resolved",
    ]
    assert post_am(client, integration, b"{not json").status_code == 400
    assert (
        post_am(client, integration, json.dumps({"status": "firing"}).encode()).status_code == 400
    )
    huge = am_body([am_alert()], padding="x" * (512 * 1024))
    assert post_am(client, integration, huge).status_code == 413
    with db.reader() as session:
        assert inbound.list_events(session) == []


def test_corpus_payloads_are_read_leniently(client, auth, db, settings):
    integration = create_integration(client, auth, "alertmanager")
    firing = (CORPUS / "firing-single.prometheus-msteams.json").read_bytes()
    resolved = (CORPUS / "resolved-grouped-2-alerts.prom2teams.json").read_bytes()
    assert post_am(client, integration, firing).status_code == 202
    # Resolved alerts that were never seen firing are dropped, not stored.
    assert post_am(client, integration, resolved).status_code == 202
    drain(db, settings)
    found = _incidents(client, auth)
    assert [(i["title"], i["severity"], i["runbook_url"]) for i in found] == [
        ("Server High Memory usage", "SEV3", "https://github.com/bzon/prometheus-msteams"),
    ]
    with db.reader() as session:
        assert [e.status for e in inbound.list_events(session)] == ["processed", "processed"]
        assert incidents_repo.incident(session, found[0]["id"]) is not None

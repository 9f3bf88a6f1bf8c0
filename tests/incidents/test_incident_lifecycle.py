"""Incident lifecycle, roles, notes, severity, flap damping, and the read functions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alert_helpers import am_alert, am_body, create_integration, create_service, drain, post_am

from guardrail.alerts import service as alerts
from guardrail.alerts.enums import SignalAction
from guardrail.alerts.settings import Origin
from guardrail.alerts.signals import Signal
from guardrail.incidents import reads, service
from guardrail.kit.time import utcnow


def _open_incident(
    client: Any, auth: dict[str, str], db: Any, settings: Any
) -> tuple[dict[str, Any], str]:
    create_service(client, auth, "checkout", runbook="https://runbooks.example/checkout")
    integration = create_integration(client, auth, "alertmanager")
    post_am(client, integration, am_body([am_alert()]))
    drain(db, settings)
    (incident,) = client.get("/api/v1/incidents", headers=auth).json()["items"]
    return integration, incident["id"]


def test_lifecycle_moves_forward_and_is_on_the_timeline(client, auth, db, settings):
    _, incident_id = _open_incident(client, auth, db, settings)
    url = f"/api/v1/incidents/{incident_id}"
    assert client.post(f"{url}/acknowledge", headers=auth).json()["status"] == "acknowledged"
    # A second acknowledgement changes nothing.
    again = client.post(f"{url}/acknowledge", headers=auth).json()
    roles = client.put(
        f"{url}/roles", json={"commander": "ana", "roles": {"scribe": "bo"}}, headers=auth
    )
    assert roles.json()["commander"] == "ana" and roles.json()["roles"] == {"scribe": "bo"}
    assert (
        client.put(f"{url}/severity", json={"severity": "SEV2"}, headers=auth).json()["severity"]
        == "SEV2"
    )
    note = client.post(f"{url}/notes", json={"text": "rolled back by hand"}, headers=auth)
    assert note.status_code == 201
    assert client.post(f"{url}/close", headers=auth).status_code == 409
    assert (
        client.post(f"{url}/mitigate", json={"note": "traffic drained"}, headers=auth).json()[
            "status"
        ]
        == "mitigated"
    )
    resolved = client.post(f"{url}/resolve", headers=auth).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert resolved["resolved_by"].startswith("token:")
    assert client.post(f"{url}/acknowledge", headers=auth).status_code == 409
    closed = client.post(f"{url}/close", headers=auth).json()
    assert closed["status"] == "closed"
    statuses = [e["data"].get("to") for e in closed["timeline"] if e["kind"] == "status"]
    assert statuses == ["acknowledged", "mitigated", "resolved", "closed"]
    assert {"opened", "alert", "role", "severity", "note"} <= {
        e["kind"] for e in closed["timeline"]
    }
    assert again["acknowledged_at"] == closed["acknowledged_at"]
    audit = client.get(
        "/api/v1/audit/events", params={"object_id": incident_id}, headers=auth
    ).json()
    actions = {e["action"] for e in audit["items"]}
    assert {
        "incident.open",
        "incident.acknowledged",
        "incident.roles",
        "incident.note",
        "incident.closed",
    } <= actions


def test_declared_incident_needs_engineer_and_pages(client, auth, make_token):
    create_service(client, auth, "checkout")
    viewer = {"Authorization": f"Bearer {make_token('viewer')}"}
    body = {
        "title": "Checkout is down",
        "severity": "SEV1",
        "service": "checkout",
        "commander": "ana",
    }
    assert client.post("/api/v1/incidents", json=body, headers=viewer).status_code == 403
    created = client.post("/api/v1/incidents", json=body, headers=auth)
    assert created.status_code == 201
    detail = created.json()
    assert (detail["severity"], detail["commander"], detail["service"]) == (
        "SEV1",
        "ana",
        "checkout",
    )
    assert (
        client.get("/api/v1/incidents", params={"status": "triggered"}, headers=viewer).json()[
            "total"
        ]
        == 1
    )


def _signal(action: SignalAction) -> Signal:
    return Signal(
        action=action,
        fingerprint="fp-1",
        title="Latency high",
        severity="warning",
        labels={"alertname": "Latency", "service": "checkout"},
    )


def test_flapping_alert_reopens_its_incident_and_then_holds_resolution(client, auth, db):
    create_service(client, auth, "checkout")
    origin = Origin(type="generic", name="test")
    start = utcnow()
    with db.unit_of_work() as session:
        opened = alerts.ingest(session, origin, [_signal(SignalAction.fire)], now=start)
    (incident_id,) = opened.incidents_opened
    for n in range(3):
        at = start + timedelta(minutes=1 + 2 * n)
        with db.unit_of_work() as session:
            alerts.ingest(session, origin, [_signal(SignalAction.resolve)], now=at)
            status = service.get_incident(session, incident_id).status
        # Fewer than three flaps: each resolution resolves the incident (and the flap reopens it).
        assert status == "resolved"
        with db.unit_of_work() as session:
            summary = alerts.ingest(
                session, origin, [_signal(SignalAction.fire)], now=at + timedelta(minutes=1)
            )
        assert summary.reopened == 1 and summary.incidents_opened == []
    with db.unit_of_work() as session:
        alerts.ingest(
            session, origin, [_signal(SignalAction.resolve)], now=start + timedelta(minutes=8)
        )
        incident = service.get_incident(session, incident_id)
        assert incident.status == "triggered" and incident.hold_until is not None
        hold = incident.hold_until
    with db.unit_of_work() as session:
        assert service.settle_held(session, alerts._actor(origin), hold - timedelta(seconds=1)) == 0
        assert service.settle_held(session, alerts._actor(origin), hold) == 1
        assert service.get_incident(session, incident_id).status == "resolved"
        assert alerts.count_alerts(session) == 1
        kinds = [e.kind for e in reads.repository.timeline(session, incident_id)]
        assert kinds.count("flap") == 4 and kinds.count("opened") == 1


def test_incident_facts_for_other_practices(client, auth, db, settings):
    _, incident_id = _open_incident(client, auth, db, settings)
    client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=auth)
    now = utcnow()
    with db.reader() as session:
        (facts,) = reads.incident_facts(
            session, start=now - timedelta(hours=1), end=now + timedelta(hours=1)
        )
    assert facts.id == incident_id and facts.acknowledged_at is not None
    assert facts.first_alert_at is not None and facts.severity == "SEV1"
    response = client.get(
        "/api/v1/incidents/facts",
        headers=auth,
        params={
            "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert [f["id"] for f in response.json()] == [incident_id]

"""CDEvents incident events (binary and structured), the generic webhook, SLO burn alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alert_helpers import create_integration, create_service, drain

from guardrail.incidents.jobs import slo_sink
from guardrail.kit.time import utcnow
from guardrail.slo.jobs import ALERT_SINKS, AlertEvent

CORPUS = Path("/work/shared/corpus/cdevents")


def _incidents(client: Any, auth: dict[str, str]) -> list[dict[str, Any]]:
    return list(client.get("/api/v1/incidents", headers=auth).json()["items"])


def test_cdevents_incident_detected_then_resolved(client, auth, db, settings):
    create_service(client, auth, "myapp")
    integration = create_integration(client, auth, "cdevents")
    detected = json.loads((CORPUS / "incident_detected.json").read_text())
    headers = {"Authorization": f"Bearer {integration['secret']}"}
    # Binary mode: the CDEvent is the body, the CloudEvents attributes are headers.
    binary = {
        **headers,
        "ce-specversion": "1.0",
        "ce-type": detected["context"]["type"],
        "ce-source": detected["context"]["source"],
        "ce-id": detected["context"]["id"],
        "Content-Type": "application/json",
    }
    url = f"/hooks/cdevents/{integration['id']}"
    assert client.post(url, content=json.dumps(detected), headers=binary).status_code == 202
    drain(db, settings)
    (incident,) = _incidents(client, auth)
    assert (incident["title"], incident["service"]) == (
        "Response time above threshold of 100ms",
        "myapp",
    )

    # Structured mode: the CloudEvent envelope carries the CDEvent under data.
    resolved = json.loads(json.dumps(detected))
    resolved["context"].update(id="resolved-1", type="dev.cdevents.incident.resolved.0.2.0")
    envelope = {
        "specversion": "1.0",
        "id": "resolved-1",
        "source": detected["context"]["source"],
        "type": "dev.cdevents.incident.resolved.0.2.0",
        "data": resolved,
    }
    structured = {**headers, "Content-Type": "application/cloudevents+json"}
    assert client.post(url, content=json.dumps(envelope), headers=structured).status_code == 202
    drain(db, settings)
    assert [i["status"] for i in _incidents(client, auth)] == ["resolved"]


def test_generic_webhook_reads_through_its_mapping(client, auth, db, settings, cli):
    create_service(client, auth, "search")
    integration = create_integration(client, auth, "generic", service="search")
    mapping = {
        "alerts": "events",
        "fingerprint": "key",
        "status": "state",
        "title": "message",
        "severity": "level",
        "resolved_values": ["ok"],
    }
    put = client.put(
        f"/api/v1/alerts/settings/{integration['id']}",
        json={"mapping": mapping, "group_by": ["alertname"], "severity_map": {"sev-a": "SEV2"}},
        headers=auth,
    )
    assert put.status_code == 200, put.text
    headers = {"Authorization": f"Bearer {integration['secret']}"}
    url = f"/hooks/generic/{integration['id']}"
    body = {
        "events": [{"key": "k1", "state": "alerting", "message": "Search slow", "level": "sev-a"}]
    }
    assert client.post(url, json=body, headers=headers).status_code == 202
    drain(db, settings)
    (incident,) = _incidents(client, auth)
    assert (incident["title"], incident["severity"], incident["service"]) == (
        "Search slow",
        "SEV2",
        "search",
    )
    body["events"][0]["state"] = "ok"
    client.post(url, json=body, headers=headers)
    drain(db, settings)
    assert [i["status"] for i in _incidents(client, auth)] == ["resolved"]
    assert client.post(url, content=b"[1, 2]", headers=headers).status_code == 400


def test_page_level_slo_burn_alerts_open_and_resolve_incidents(client, auth, db):
    create_service(client, auth, "checkout")
    assert slo_sink in ALERT_SINKS
    with db.reader() as session:
        from guardrail.cmdb import service as cmdb

        service_id = cmdb.get_service(session, "checkout").id

    def event(action: str, severity: str = "page") -> AlertEvent:
        return AlertEvent(
            action=action,
            alert_id="sla_1",
            slo_id="slo_1",
            slo="availability",
            service_id=service_id,
            service="checkout",
            severity=severity,
            at=utcnow(),
            summary="(page) checkout SLO availability is burning its error budget too fast",
        )

    with db.unit_of_work() as session:
        slo_sink(session, event("fired", "ticket"))  # ticket-level: no incident
    assert _incidents(client, auth) == []
    with db.unit_of_work() as session:
        slo_sink(session, event("fired"))
    (incident,) = _incidents(client, auth)
    assert (incident["severity"], incident["source"]) == ("SEV2", "slo")
    with db.unit_of_work() as session:
        slo_sink(session, event("resolved"))
    assert [i["status"] for i in _incidents(client, auth)] == ["resolved"]

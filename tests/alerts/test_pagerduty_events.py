"""PagerDuty Events API v2 compatibility: /v2/enqueue and /v2/change/enqueue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alert_helpers import create_integration, create_service, drain, pd_event

from guardrail.alerts import service as alerts
from guardrail.integrations.inbound.core import service as inbound

CORPUS = Path("/work/shared/corpus/pagerduty")


def _incidents(client: Any, auth: dict[str, str]) -> list[dict[str, Any]]:
    return list(client.get("/api/v1/incidents", headers=auth).json()["items"])


def test_trigger_acknowledge_resolve_by_dedup_key(client, auth, db, settings):
    create_service(client, auth, "datapipe")
    integration = create_integration(client, auth, "pagerduty", service="datapipe")
    key = integration["routing_key"]
    assert len(key) == 32
    response = client.post("/v2/enqueue", json=pd_event(key))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/mysql",
    }
    drain(db, settings)
    (incident,) = _incidents(client, auth)
    assert (incident["severity"], incident["service"], incident["status"]) == (
        "SEV1",
        "datapipe",
        "triggered",
    )

    assert client.post("/v2/enqueue", json=pd_event(key, "acknowledge")).status_code == 202
    drain(db, settings)
    assert _incidents(client, auth)[0]["status"] == "acknowledged"
    assert client.post("/v2/enqueue", json=pd_event(key, "resolve")).status_code == 202
    drain(db, settings)
    assert _incidents(client, auth)[0]["status"] == "resolved"
    # After resolution an acknowledge for the same key is dropped; a new trigger opens anew.
    client.post("/v2/enqueue", json=pd_event(key, "acknowledge", dedup_key="srv01/mysql"))
    drain(db, settings)
    assert [i["status"] for i in _incidents(client, auth)] == ["resolved"]


def test_trigger_without_dedup_key_gets_one_and_a_replay_gets_the_same(client, auth, db, settings):
    integration = create_integration(client, auth, "pagerduty")
    body = json.dumps(pd_event(integration["routing_key"], dedup_key=None)).encode()
    first = client.post("/v2/enqueue", content=body)
    again = client.post("/v2/enqueue", content=body)
    assert first.status_code == again.status_code == 202
    assert first.json()["dedup_key"] == again.json()["dedup_key"]
    drain(db, settings)
    assert len(_incidents(client, auth)) == 1
    with db.reader() as session:
        assert alerts.count_alerts(session) == 1
        assert len(inbound.list_events(session)) == 1


def test_invalid_events_answer_as_pagerduty_does(client, auth, db):
    integration = create_integration(client, auth, "pagerduty")
    key = integration["routing_key"]
    # The documentation's own example starts with a /* */ comment: not JSON.
    commented = (CORPUS / "event.trigger.docs-block.jsonc").read_bytes()
    response = client.post("/v2/enqueue", content=commented)
    assert response.status_code == 400
    assert response.json()["status"] == "Unrecognized object"

    bad = pd_event(key, severity="x")
    del bad["payload"]["source"]
    bad["dedup_key"] = "k" * 256
    response = client.post("/v2/enqueue", json=bad)
    assert response.status_code == 400
    assert response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'dedup_key' is too long (maximum is 255 characters)",
            "'payload.source' is missing or blank",
            "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
        ],
    }
    missing = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve"})
    assert missing.json()["errors"] == ["'dedup_key' is missing or blank"]
    short = client.post("/v2/enqueue", json=pd_event("abc"))
    assert short.json()["errors"] == [
        "Length of 'routing_key' is incorrect (should be 32 characters)"
    ]
    unknown = client.post("/v2/enqueue", json=pd_event("0" * 32))
    assert unknown.status_code == 400
    assert unknown.json()["status"] == "invalid event"
    huge = pd_event(key)
    huge["payload"]["custom_details"] = {"blob": "x" * (512 * 1024)}
    assert client.post("/v2/enqueue", json=huge).status_code == 413
    with db.reader() as session:
        assert inbound.list_events(session) == []


def test_revoked_routing_key_is_unknown(client, auth):
    integration = create_integration(client, auth, "pagerduty")
    client.post(f"/api/v1/integrations/{integration['id']}/revoke", headers=auth)
    response = client.post("/v2/enqueue", json=pd_event(integration["routing_key"]))
    assert response.status_code == 400


def test_change_events_are_recorded_as_changes(client, auth, db, settings):
    create_service(client, auth, "datapipe")
    integration = create_integration(client, auth, "pagerduty", service="datapipe")
    spec = json.loads((CORPUS / "events-v2.openapiv3.json").read_text())
    example = spec["paths"]["/change/enqueue"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]["build-change-event"]["value"]
    body = {**example, "routing_key": integration["routing_key"]}
    response = client.post("/v2/change/enqueue", json=body)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "success", "message": "Change event processed"}
    drain(db, settings)
    changes = client.get("/api/v1/changes", params={"service": "datapipe"}, headers=auth).json()
    items = changes["items"] if isinstance(changes, dict) else changes
    assert [c["title"] for c in items] == [example["payload"]["summary"]]
    no_service = create_integration(client, auth, "pagerduty")
    refused = client.post(
        "/v2/change/enqueue", json={**example, "routing_key": no_service["routing_key"]}
    )
    assert refused.status_code == 400

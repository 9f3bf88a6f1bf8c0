"""Suspect changes, causes (explicit and from a root-cause note) and automated rollback."""

from __future__ import annotations

from typing import Any

from alert_helpers import am_alert, am_body, create_integration, create_service, drain, post_am

from guardrail.releases import service as releases
from guardrail.store.outbox import list_jobs

SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


def _deploy(client: Any, auth: dict[str, str], version: str, sha: str = SHA, **extra: Any) -> str:
    body = {
        "service": "checkout",
        "environment": "production",
        "version": version,
        "commit": sha,
        **extra,
    }
    response = client.post("/api/v1/releases/deployments", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _policy(client: Any, auth: dict[str, str], mode: str) -> None:
    from guardrail.integrations.outbound.pipelines import service as pipelines
    from guardrail.kit.context import Actor

    db = client.app.state.db
    with db.unit_of_work() as session:
        if not pipelines.list_targets(session):
            pipelines.add_target(
                session,
                Actor.system("tests"),
                name="checkout-rollback",
                kind="webhook",
                url="http://127.0.0.1:9/rollback",
                service="checkout",
            )
    body = {
        "mode": mode,
        "target": "checkout-rollback",
        "inputs": {"version": "{version}", "why": "{incident}"},
    }
    response = client.put("/api/v1/incidents/rollback-policies/checkout", json=body, headers=auth)
    assert response.status_code == 200, response.text


def _alert(
    client: Any, auth: dict[str, str], db: Any, settings: Any, name: str = "HighErrorRate"
) -> dict[str, Any]:
    integration = create_integration(client, auth, "alertmanager")
    post_am(client, integration, am_body([am_alert(name)]))
    drain(db, settings)
    items = client.get("/api/v1/incidents", headers=auth).json()["items"]
    return dict(client.get(f"/api/v1/incidents/{items[0]['id']}", headers=auth).json())


def test_confirmed_cause_links_the_deployment_and_rolls_it_back_once(client, auth, db, settings):
    create_service(client, auth, "checkout")
    _policy(client, auth, "confirmed")
    dep_id = _deploy(client, auth, "1.4.2")
    incident = _alert(client, auth, db, settings)
    assert incident["suspects"][0]["id"] == dep_id
    assert (
        incident["suspects"][0]["kind"] == "deployment" and incident["suspects"][0]["distance"] == 0
    )
    assert incident["rollbacks"] == []  # confirmed mode: nothing before someone confirms

    url = f"/api/v1/incidents/{incident['id']}"
    assert (
        client.post(
            f"{url}/causes", json={"ref": dep_id, "note": "bad config"}, headers=auth
        ).status_code
        == 201
    )
    assert client.post(f"{url}/causes", json={"ref": dep_id}, headers=auth).status_code == 201
    detail = client.get(url, headers=auth).json()
    assert [(c["kind"], c["ref_id"], c["provenance"]) for c in detail["causes"]] == [
        ("deployment", dep_id, "explicit")
    ]
    (rollback,) = detail["rollbacks"]
    assert rollback["reason"] == "confirmed" and rollback["trigger_id"] and rollback["change_id"]
    assert any(e["kind"] == "rollback" for e in detail["timeline"])
    with db.reader() as session:
        (link,) = releases.links_of_incident(session, incident["id"])
        assert (link.deployment_id, link.kind, link.provenance) == (dep_id, "cause", "explicit")
        (job,) = list_jobs(session, status=None, kind="pipelines.trigger", limit=10)
        assert job.payload["inputs"] == {"version": "1.4.2", "why": incident["id"]}
    change = client.get(f"/api/v1/changes/{rollback['change_id']}", headers=auth).json()
    assert change["type"] == "emergency"


def test_root_cause_note_marks_the_deployment(client, auth, db, settings):
    create_service(client, auth, "checkout")
    dep_id = _deploy(client, auth, "1.4.3")
    incident = _alert(client, auth, db, settings)
    url = f"/api/v1/incidents/{incident['id']}"
    client.post(f"{url}/notes", json={"text": f"found it. root cause: {SHA[:10]}"}, headers=auth)
    detail = client.get(url, headers=auth).json()
    assert [c["ref_id"] for c in detail["causes"]] == [dep_id]
    # No rollback policy: the timeline says so, nothing is triggered.
    assert detail["rollbacks"] == []
    assert any("no rollback policy" in e["text"] for e in detail["timeline"])
    bad = client.post(f"{url}/causes", json={"ref": "xyz_123"}, headers=auth)
    assert bad.status_code == 422


def test_suspected_policy_rolls_back_at_opening(client, auth, db, settings):
    create_service(client, auth, "checkout")
    _policy(client, auth, "suspected")
    dep_id = _deploy(client, auth, "2.0.0")
    incident = _alert(client, auth, db, settings)
    (rollback,) = incident["rollbacks"]
    assert (rollback["deployment_id"], rollback["reason"]) == (dep_id, "suspected")
    with db.reader() as session:
        (link,) = releases.links_of_incident(session, incident["id"])
        assert link.provenance == "rollback"


def test_rollback_policy_validation(client, auth):
    create_service(client, auth, "checkout")
    url = "/api/v1/incidents/rollback-policies/checkout"
    assert client.get(url, headers=auth).json()["mode"] == "off"
    assert client.put(url, json={"mode": "confirmed"}, headers=auth).status_code == 422
    assert (
        client.put(url, json={"mode": "confirmed", "target": "nope"}, headers=auth).status_code
        == 404
    )

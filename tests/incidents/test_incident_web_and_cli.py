"""The incident board and detail pages, their forms, and the `guardrail incident` commands."""

from __future__ import annotations

import json

from alert_helpers import am_alert, am_body, create_integration, create_service, drain, post_am


def _incident(client, auth, db, settings) -> str:  # type: ignore[no-untyped-def]
    create_service(client, auth, "checkout", runbook="https://runbooks.example/checkout")
    integration = create_integration(client, auth, "alertmanager")
    post_am(client, integration, am_body([am_alert()]))
    drain(db, settings)
    return str(client.get("/api/v1/incidents", headers=auth).json()["items"][0]["id"])


def test_board_detail_and_forms(client, auth, admin_token, db, settings):
    incident_id = _incident(client, auth, db, settings)
    client.cookies.set("guardrail_token", admin_token)
    board = client.get("/incidents")
    assert board.status_code == 200 and "HighErrorRate on web-1" in board.text
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert "https://runbooks.example/high-error-rate" in page.text and "Acknowledge" in page.text
    ack = client.post(f"/incidents/{incident_id}/acknowledge", follow_redirects=False)
    assert ack.status_code == 303
    note = client.post(
        f"/incidents/{incident_id}/notes", data={"text": "looking"}, follow_redirects=False
    )
    assert note.status_code == 303
    foreign = client.post(
        f"/incidents/{incident_id}/resolve", headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    page = client.get(f"/incidents/{incident_id}")
    assert "acknowledged" in page.text and "looking" in page.text


def test_cli_lists_acknowledges_and_notes(
    client, auth, admin_token, db, settings, live_server, cli
):
    incident_id = _incident(client, auth, db, settings)
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    listed = cli("incident", "list", "--json", env=env)
    assert listed.exit_code == 0 and [i["id"] for i in json.loads(listed.stdout)] == [incident_id]
    assert (
        cli("incident", "ack", incident_id, env=env).stdout.strip()
        == f"{incident_id} is acknowledged"
    )
    assert cli("incident", "note", incident_id, "rolling back", env=env).exit_code == 0
    shown = cli("incident", "show", incident_id, env=env).stdout
    assert "rolling back" in shown and "runbook: https://runbooks.example/high-error-rate" in shown
    missing = cli("incident", "ack", "inc_nope", env=env)
    assert missing.exit_code == 2
    created = cli("integration", "create", "--type", "pagerduty", "--json", env=env)
    assert len(json.loads(created.stdout)["routing_key"]) == 32
    settings_out = cli(
        "alert",
        "settings",
        json.loads(created.stdout)["id"],
        "--group-by",
        "source,class",
        "--severity-map",
        '{"info": "SEV3"}',
        env=env,
    )
    assert settings_out.exit_code == 0, settings_out.stdout
    shown_settings = json.loads(settings_out.stdout)
    assert (
        shown_settings["group_by"] == ["source", "class"]
        and shown_settings["severity_map"]["info"] == "SEV3"
    )

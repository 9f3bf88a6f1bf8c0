"""An emergency change that names an incident makes the deployments it authorises rework, with
provenance, and the scoreboard's deployment rework rate counts them."""

from __future__ import annotations

import json

from guardrail.metrics import service as metrics


def _service(client, auth) -> None:
    response = client.post("/api/v1/services", json={"name": "shop", "tier": 2}, headers=auth)
    assert response.status_code == 201, response.text


def _incident(client, auth) -> str:
    response = client.post(
        "/api/v1/incidents",
        json={"title": "Checkout errors", "service": "shop", "severity": "SEV2"},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _change(client, auth, **body) -> str:
    body = {"service": "shop", "environment": "production", **body}
    response = client.post("/api/v1/changes", json=body, headers=auth)
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def _deploy(cli, env, version: str, commit: str, change: str | None = None) -> dict:
    args = ["deploy", "record", "--service", "shop", "--env", "production"]
    args += ["--version", version, "--commit", commit, "--json"]
    if change:
        args += ["--change", change]
    result = cli(*args, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _rework_rate(client, auth) -> dict:
    metrics.clear_cache()
    response = client.get(
        "/api/v1/metrics", params={"service": "shop", "since": "7d"}, headers=auth
    )
    assert response.status_code == 200, response.text
    return next(m for m in response.json()["dora"] if m["key"] == "rework_rate")


def test_emergency_change_naming_an_incident_counts_as_rework(
    cli, client, auth, live_server, admin_token
):
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    _service(client, auth)
    incident = _incident(client, auth)
    normal = _change(client, auth, commit="a" * 40, title="Add basket")
    emergency = _change(
        client,
        auth,
        commit="b" * 40,
        type="emergency",
        title="Hotfix checkout",
        description=f"Stops the 500s of {incident}.",
    )
    _deploy(cli, env, "1.0", "a" * 40, normal)
    hotfix = _deploy(cli, env, "1.0.1", "b" * 40, emergency)
    assert hotfix["rework"] is True

    detail = client.get(f"/api/v1/releases/deployments/{hotfix['id']}", headers=auth).json()
    [link] = detail["links"]
    assert (link["incident_id"], link["kind"], link["provenance"]) == (
        incident,
        "rework",
        "emergency_change",
    )
    assert emergency in link["note"]

    rate = _rework_rate(client, auth)
    assert rate["value"] == 0.5
    assert rate["detail"] == {"rework": 1, "deployments": 2}

    # The same deployment reported again (a retried pipeline step) is still one rework.
    again = _deploy(cli, env, "1.0.1", "b" * 40, emergency)
    assert again["id"] == hotfix["id"]
    assert _rework_rate(client, auth)["detail"] == {"rework": 1, "deployments": 2}


def test_only_emergency_changes_naming_a_known_incident_make_rework(
    cli, client, auth, live_server, admin_token
):
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    _service(client, auth)
    incident = _incident(client, auth)
    normal_naming = _change(client, auth, commit="c" * 40, title=f"Follow-up to {incident}")
    unknown = _change(
        client,
        auth,
        commit="d" * 40,
        type="emergency",
        title="Hotfix for inc_01aaaaaaaaaaaaaaaaaaaaaaaa",
    )
    by_ticket = _change(client, auth, commit="e" * 40, type="emergency", links={"ticket": incident})
    assert _deploy(cli, env, "2.0", "c" * 40, normal_naming)["rework"] is False
    assert _deploy(cli, env, "2.1", "d" * 40, unknown)["rework"] is False
    assert _deploy(cli, env, "2.2", "e" * 40, by_ticket)["rework"] is True
    assert _deploy(cli, env, "2.3", "f" * 40, "chg_does_not_exist")["rework"] is False
    assert _rework_rate(client, auth)["detail"] == {"rework": 1, "deployments": 4}

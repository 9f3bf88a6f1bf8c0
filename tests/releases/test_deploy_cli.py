"""`guardrail deploy record|list|show` on a live server: a deployment, its commits, lead times."""

from __future__ import annotations

import json

from release_helpers import T0, drain, github_integration, history, post_all, sha


def test_record_then_show_commits_with_lead_times(
    cli, client, auth, db, settings, live_server, admin_token
):
    post_all(client, github_integration(client, auth), history()[:-2])  # all but c3's deployment
    drain(db, settings)
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token, "GITHUB_RUN_ID": "4242"}
    result = cli(
        "deploy",
        "record",
        "--service",
        "shop",
        "--env",
        "production",
        "--version",
        "v-c3",
        "--commit",
        sha("c3"),
        "--status",
        "success",
        "--change",
        "chg_0123",
        "--json",
        env=env,
    )
    assert result.exit_code == 0, result.output
    dep = json.loads(result.stdout)
    assert (dep["commit_count"], dep["attribution"], dep["change_id"]) == (
        1,
        "complete",
        "chg_0123",
    )
    again = cli(
        "deploy",
        "record",
        "--service",
        "shop",
        "--env",
        "production",
        "--version",
        "v-c3",
        "--commit",
        sha("c3"),
        "--json",
        env=env,
    )
    assert json.loads(again.stdout)["id"] == dep["id"]  # same CI run: the same deployment

    shown = cli("deploy", "show", dep["id"], env=env)
    assert shown.exit_code == 0, shown.output
    assert sha("c3")[:12] in shown.stdout and "commits delivered (1)" in shown.stdout
    detail = json.loads(cli("deploy", "show", dep["id"], "--json", env=env).stdout)
    commit = detail["commits"][0]
    assert commit["sha"] == sha("c3") and commit["committed_at"].startswith(
        (T0.replace(hour=13)).strftime("%Y-%m-%dT%H")
    )
    assert commit["lead_time_seconds"] > 0

    listed = cli("deploy", "list", "--service", "shop", "--env", "production", env=env)
    assert dep["id"] in listed.stdout
    bad = cli(
        "deploy", "record", "--service", "shop", "--env", "production", "--commit", "xyz", env=env
    )
    assert bad.exit_code == 2 and "commit" in bad.stderr


def test_releases_pages(client, auth, db, settings, admin_token):
    post_all(client, github_integration(client, auth), history())
    drain(db, settings)
    assert (
        client.post(
            "/signin", data={"token": admin_token, "next": "/releases"}, follow_redirects=False
        ).status_code
        == 303
    )
    page = client.get("/releases?environment=production")
    assert page.status_code == 200
    assert "Deployments" in page.text and "v-m1" in page.text
    dep_id = client.get(
        "/api/v1/releases/deployments",
        params={"environment": "production", "limit": 1},
        headers=auth,
    ).json()["items"][0]["id"]
    detail = client.get(f"/releases/deployments/{dep_id}")
    assert detail.status_code == 200 and sha("c3")[:12] in detail.text and "1h06m" in detail.text
    assert client.get("/releases/deployments/dep_nope").status_code == 404

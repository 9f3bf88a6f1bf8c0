"""Releases group the deployments of a version; their notes are generated from the commits
those deployments delivered, grouped by Conventional Commits type, via API, CLI and page."""

from __future__ import annotations

import json

from release_helpers import (
    at,
    deployment,
    deployment_status,
    drain,
    github_integration,
    post_all,
    pull_request,
    push,
    sha,
)

from guardrail.api.deps import SESSION_COOKIE
from guardrail.releases.notes import parse


def _commit(label: str, hours: float, message: str, author: str = "Dev") -> dict:
    return {
        "id": sha(label),
        "message": message,
        "timestamp": at(hours),
        "author": {"name": author, "email": f"{author.lower()}@example.org"},
    }


def _history() -> list:
    feature = _commit(
        "c1",
        0,
        "feat(cart)!: add basket\n\nBREAKING CHANGE: the cart API needs a token",
        "Ana",
    )
    merge = _commit("m1", 2, "Merge pull request #7 from acme/feature", "Ana")
    return [
        push("main", None, [_commit("b0", -24, "chore: initial import")]),
        deployment(1, "b0", "production", -23),
        deployment_status(1, "b0", "production", -23, "success"),
        push("feature", sha("b0"), [feature]),
        pull_request("opened"),
        pull_request("closed", merged_hours=2),
        push("main", sha("b0"), [feature, merge]),
        push(
            "main",
            sha("m1"),
            [
                _commit("c3", 3, "fix: rounding of totals", "Bo"),
                _commit("c4", 3.2, "perf(search): cache results", "Bo"),
                _commit("c5", 3.4, "Update the README <b>now</b>", "Cy"),
                _commit("c6", 3.5, "Merge branch 'hotfix' into main", "Cy"),
                _commit("c7", 3.6, "fix(api)!: drop the v1 routes", "Ana"),
            ],
        ),
        deployment(2, "c7", "staging", 4),
        deployment_status(2, "c7", "staging", 4, "success"),
    ]


def _setup(client, auth, db, settings) -> dict:
    assert client.post("/api/v1/services", json={"name": "shop"}, headers=auth).status_code == 201
    post_all(client, github_integration(client, auth), _history())
    drain(db, settings)
    incident = client.post(
        "/api/v1/incidents", json={"title": "Totals wrong", "service": "shop"}, headers=auth
    ).json()["id"]
    change = client.post(
        "/api/v1/changes",
        json={"service": "shop", "environment": "production", "commit": sha("c7")},
        headers=auth,
    ).json()["id"]
    production = client.post(
        "/api/v1/releases/deployments",
        json={
            "service": "shop",
            "environment": "production",
            "version": "v-c7",
            "commit": sha("c7"),
            "change_id": change,
            "hotfix_for": incident,
        },
        headers=auth,
    ).json()
    release = client.post(
        "/api/v1/releases/releases",
        json={"service": "shop", "version": "v-c7", "name": "Spring basket"},
        headers=auth,
    )
    assert release.status_code == 201, release.text
    return {
        "incident": incident,
        "change": change,
        "production": production,
        "release": release.json(),
    }


def test_conventional_commit_parsing():
    assert parse("feat(ui)!: new nav\n\nbody").__dict__ == {
        "type": "feat",
        "scope": "ui",
        "description": "new nav",
        "breaking": "",
    }
    assert parse("fix: x\n\nBREAKING-CHANGE: y goes").breaking == "y goes"
    assert parse("docs: readme").type == "other"
    assert parse("Refactor the cache").__dict__ == {
        "type": "other",
        "scope": "",
        "description": "Refactor the cache",
        "breaking": None,
    }


def test_notes_group_the_delivered_commits(client, auth, db, settings):
    made = _setup(client, auth, db, settings)
    release = made["release"]
    response = client.get(f"/api/v1/releases/releases/{release['id']}/notes", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/markdown")
    detail = client.get(f"/api/v1/releases/releases/{release['id']}", headers=auth).json()
    staging, production = detail["deployments"]
    assert (staging["environment"], production["id"]) == ("staging", made["production"]["id"])
    pr = f"[#7](https://example.org/acme/shop/pull/7), `{sha('c1')[:7]}`, `{sha('m1')[:7]}`"
    expected = f"""# shop v-c7: Spring basket

## ⚠ Breaking changes

- **api:** drop the v1 routes (`{sha("c7")[:7]}`) by Ana
- **cart:** the cart API needs a token ({pr}) by Ana, dev

## Features

- **cart:** Add basket ({pr}) by Ana, dev

## Bug fixes

- rounding of totals (`{sha("c3")[:7]}`) by Bo
- **api:** drop the v1 routes (`{sha("c7")[:7]}`) by Ana

## Performance

- **search:** cache results (`{sha("c4")[:7]}`) by Bo

## Other changes

- Update the README &lt;b&gt;now&lt;/b&gt; (`{sha("c5")[:7]}`) by Cy

## Change records

- `{made["change"]}` {_change_line(client, auth, made["change"])}

## Incidents

- `{made["incident"]}` Totals wrong \\[SEV3\\] (fixed by this release (explicit))

## Authors

Ana, Bo, Cy, dev

## Deployments

- `{staging["id"]}` staging, success, {staging["deployed_at"][:16].replace("T", " ")} UTC
- `{production["id"]}` production, success, {production["deployed_at"][:16].replace("T", " ")} UTC
"""
    assert response.text == expected
    # Deterministic: the same records give the same text.
    again = client.get(f"/api/v1/releases/releases/{release['id']}/notes", headers=auth)
    assert again.text == expected


def _change_line(client, auth, change_id: str) -> str:
    change = client.get(f"/api/v1/changes/{change_id}", headers=auth).json()
    state = change["state"].replace("_", "\\_")
    return f"{change['title']} ({change['type']} change, {state})"


def test_release_create_is_idempotent_and_audited(client, auth, db, settings):
    made = _setup(client, auth, db, settings)
    again = client.post(
        "/api/v1/releases/releases",
        json={"service": "shop", "version": "v-c7", "name": "Spring basket"},
        headers=auth,
    )
    assert again.status_code == 200
    assert again.json()["id"] == made["release"]["id"]
    listed = client.get("/api/v1/releases/releases", headers=auth).json()
    assert [r["id"] for r in listed["items"]] == [made["release"]["id"]]
    audit = client.get(
        "/api/v1/audit/events", params={"object_id": made["release"]["id"]}, headers=auth
    ).json()
    assert [e["action"] for e in audit["items"]] == ["release.create"]


def test_unknown_release_and_bad_input(client, auth, cli, live_server, admin_token):
    missing = client.get("/api/v1/releases/releases/rls_nope/notes", headers=auth)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "guardrail release list" in missing.json()["detail"]
    bad = client.post("/api/v1/releases/releases", json={"service": "shop"}, headers=auth)
    assert bad.status_code == 422
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    result = cli("release", "notes", "rls_nope", env=env)
    assert result.exit_code == 2
    assert "there is no release 'rls_nope'" in result.output and "(HTTP 404)" in result.output
    bad_name = cli("release", "create", "--service", "!!!", "--version", "1", env=env)
    assert bad_name.exit_code == 2
    assert "name the service with letters or digits" in bad_name.output


def test_cli_and_page_show_the_notes(
    client, auth, db, settings, cli, live_server, admin_token, tmp_path
):
    made = _setup(client, auth, db, settings)
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    release_id = made["release"]["id"]
    api_text = client.get(f"/api/v1/releases/releases/{release_id}/notes", headers=auth).text
    printed = cli("release", "notes", release_id, env=env)
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == api_text
    out = tmp_path / "NOTES.md"
    assert cli("release", "notes", release_id, "--output", str(out), env=env).exit_code == 0
    assert out.read_text(encoding="utf-8") == api_text
    created = cli("release", "create", "--service", "shop", "--version", "v-b0", "--json", env=env)
    assert created.exit_code == 0, created.output
    listed = json.loads(cli("release", "list", "--json", env=env).stdout)
    assert {r["version"] for r in listed["items"]} == {"v-c7", "v-b0"}

    client.cookies.set(SESSION_COOKIE, admin_token)
    page = client.get(f"/releases/{release_id}")
    assert page.status_code == 200, page.text
    for text in ("Breaking changes", "the cart API needs a token", "rounding of totals", "#7"):
        assert text in page.text
    assert "&lt;b&gt;now&lt;/b&gt;" in page.text and "<b>now</b>" not in page.text
    listing = client.get("/releases")
    assert f'href="/releases/{release_id}"' in listing.text

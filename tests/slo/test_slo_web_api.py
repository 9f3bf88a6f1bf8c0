"""The SLO API, CLI and pages."""

from __future__ import annotations

import json
from datetime import timedelta

from slo_fixtures import SLOTH, events_slo, make_service, policy

from guardrail.identity.enums import Role
from guardrail.kit.time import isoformat, utcnow


def _apply(client, auth, *texts):  # type: ignore[no-untyped-def]
    files = [{"name": f"f{i}.yaml", "content": t} for i, t in enumerate(texts)]
    return client.post("/api/v1/slos/apply", json={"files": files}, headers=auth)


def test_api_apply_push_status_verdict(client, auth, db):
    make_service(db)
    response = _apply(client, auth, events_slo(), policy())
    assert response.status_code == 200, response.text
    kinds = [(i["kind"], i["change"]) for i in response.json()["items"]]
    assert kinds == [("slo", "created"), ("policy", "created")]
    slo_id = response.json()["items"][0]["id"]
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
    body = {"events": [{"start": isoformat(start), "good": 980, "total": 1000}]}
    pushed = client.post(f"/api/v1/slos/{slo_id}/events", json=body, headers=auth)
    assert pushed.json() == {"inserted": 1, "replaced": 0, "unchanged": 0}
    again = client.post(f"/api/v1/slos/{slo_id}/events", json=body, headers=auth)
    assert again.json() == {"inserted": 0, "replaced": 0, "unchanged": 1}
    with db.unit_of_work() as session:
        from guardrail.slo import service as slo_service

        slo_service.evaluate(session)
    page = client.get("/api/v1/slos", params={"service": "checkout-api"}, headers=auth).json()
    (item,) = page["items"]
    assert item["remaining"] < 0 and item["status"] == "ok"
    verdict = client.get("/api/v1/slos/verdict", params={"service": "checkout-api"}, headers=auth)
    assert verdict.json()["allowed"] is False
    assert verdict.json()["reason"].startswith("checkout-api has -")
    detail = client.get(f"/api/v1/slos/{slo_id}", headers=auth).json()
    assert detail["revisions"][0]["version"] == 1 and detail["attainment"][0]["met"] is False


def test_api_bad_input(client, auth, db, make_token):
    make_service(db)
    bad = _apply(client, auth, events_slo().replace("target: 0.999", "target: 0"))
    assert bad.status_code == 422
    assert "f0.yaml:21: spec.objectives[0].target: 0 is outside (0, 1]" in bad.json()["detail"]
    slo_id = _apply(client, auth, events_slo()).json()["items"][0]["id"]
    wrong = {"events": [{"start": isoformat(utcnow()), "good": 5, "total": 1}]}
    assert client.post(f"/api/v1/slos/{slo_id}/events", json=wrong, headers=auth).status_code == 422
    # A Prometheus SLO with no URL anywhere (no DataSource URL, no GUARDRAIL_PROMETHEUS_URL).
    nowhere = _apply(client, auth, SLOTH)
    assert nowhere.status_code == 422
    assert nowhere.headers["content-type"].startswith("application/problem+json")
    assert (
        "SLO 'requests-availability' reads Prometheus and names no URL: set "
        in (nowhere.json()["detail"])
    )
    viewer = {"Authorization": f"Bearer {make_token(Role.viewer)}"}
    assert _apply(client, viewer, events_slo()).status_code == 403


def test_cli_apply_and_status(cli, live_server, admin_token, db, tmp_path):
    make_service(db)
    spec = tmp_path / "slo.yaml"
    spec.write_text(events_slo() + "---\n" + policy())
    env = {"GUARDRAIL_URL": live_server, "GUARDRAIL_TOKEN": admin_token}
    applied = cli("slo", "apply", str(spec), env=env)
    assert applied.exit_code == 0, applied.output
    assert "checkout-events" in applied.output and "created" in applied.output
    status = cli("slo", "status", "--service", "checkout-api", env=env)
    assert status.exit_code == 0 and "not evaluated" in status.output
    as_json = cli("slo", "status", "--json", env=env)
    assert json.loads(as_json.output)["items"][0]["name"] == "checkout-events"
    month = f"{utcnow():%Y-%m}"
    report = cli("slo", "report", "checkout-events", "--months", "1", env=env)
    assert report.exit_code == 0, report.output
    assert "objective 99.9% over 28d, months in UTC (events)" in report.output
    assert f"\n{month}" in report.output and "no data" in report.output
    missing = cli("slo", "report", "nope", env=env)
    assert missing.exit_code == 2 and "no SLO 'nope'" in missing.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: openslo/v1\nkind: Widget\nmetadata: {name: w}\n")
    failed = cli("slo", "apply", str(bad), env=env)
    assert failed.exit_code == 2 and "kind: unknown OpenSLO kind 'Widget'" in failed.output


def test_pages_list_and_detail_with_chart(client, auth, admin_token, db):
    make_service(db)
    slo_id = _apply(client, auth, events_slo()).json()["items"][0]["id"]
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=3)
    body = {"events": [{"start": isoformat(start), "good": 999, "total": 1000}]}
    client.post(f"/api/v1/slos/{slo_id}/events", json=body, headers=auth)
    from guardrail.slo import service as slo_service

    with db.unit_of_work() as session:
        slo_service.evaluate(session)
    client.post("/signin", data={"token": admin_token, "next": "/"}, follow_redirects=False)
    listing = client.get("/slos")
    assert listing.status_code == 200 and "checkout-events" in listing.text
    assert "/static/slos.css" in listing.text
    detail = client.get(f"/slos/{slo_id}")
    assert detail.status_code == 200
    assert '<svg class="burn-down"' in detail.text and "burn-line" in detail.text
    assert "Error budget remaining: 0.0% now" in detail.text
    assert client.get("/static/slos.css").status_code == 200
    assert client.get("/slos/slo_missing").status_code == 404

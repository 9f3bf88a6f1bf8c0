"""Health, readiness, OpenAPI and Prometheus metrics."""

from __future__ import annotations

from sqlalchemy import text


def test_healthz(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_readyz_ready_then_not_when_migrations_behind(client, db):
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    with db.unit_of_work() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "guardrail db upgrade" in response.json()["detail"]


def test_openapi_documents_every_route(client):
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "guardrail"
    assert "/api/v1/services" in schema["paths"] and "/api/v1/tokens" in schema["paths"]
    # Slack's interactivity endpoint is part of the public contract too.
    assert set(schema["paths"]["/hooks/slack"]["post"]["responses"]) >= {"200", "401"}
    # The PagerDuty-compatible endpoints are served outside FastAPI and described by hand.
    for path, body in (
        ("/v2/enqueue", "PagerDutyEvent"),
        ("/v2/change/enqueue", "PagerDutyChangeEvent"),
    ):
        post = schema["paths"][path]["post"]
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{body}"
        for answer in post["responses"].values():
            for content in answer.get("content", {}).values():
                name = content["schema"]["$ref"].rsplit("/", 1)[1]
                assert name in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["PagerDutyEvent"]["properties"]["event_action"][
        "enum"
    ] == [
        "trigger",
        "acknowledge",
        "resolve",
    ]


def test_metrics_count_requests_by_route_template(client, auth):
    client.get("/api/v1/services/one", headers=auth)
    client.get("/api/v1/services/two", headers=auth)
    body = client.get("/metrics").text
    series = 'method="GET",route="/api/v1/services/{ref}",status="404"'
    assert f"guardrail_http_requests_total{{{series}}} 2.0" in body
    assert "guardrail_http_request_duration_seconds_bucket" in body


def test_no_swagger_ui_from_a_cdn(client):
    assert client.get("/api/docs").status_code == 404
    assert client.get("/docs").status_code in {404, 303, 307}

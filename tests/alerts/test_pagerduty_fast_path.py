"""The PagerDuty endpoints as bare ASGI routes that the request middleware tries first.

They skip FastAPI's routing and request handling, so what FastAPI gave them for free is checked
here: the request id, metrics by route, 405 for another method, the body limit on a streamed
body, and a 500 problem+json (nothing stored) when something unexpected fails. And the raw store's
inserts on the driver's cursor write exactly what SQLAlchemy would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import cast

from alert_helpers import create_integration, pd_event
from sqlalchemy import Table, text

from guardrail.api.routes import pagerduty
from guardrail.integrations.inbound.core import service as inbound
from guardrail.integrations.inbound.core.driver import DriverInsert
from guardrail.integrations.models import InboundEvent
from guardrail.kit.ids import new_id
from guardrail.kit.time import utcnow


def _series(client, route: str, status: int) -> float:  # type: ignore[no-untyped-def]
    wanted = f'guardrail_http_requests_total{{method="POST",route="{route}",status="{status}"}}'
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(wanted):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_an_accepted_event_has_a_request_id_and_its_route_in_the_metrics(client, auth):
    integration = create_integration(client, auth, "pagerduty")
    # A GET first (405) must not make later POSTs count as "unmatched".
    refused = client.get("/v2/enqueue")
    assert refused.status_code == 405
    assert refused.headers["content-type"] == "application/problem+json"
    assert "GET is not allowed on /v2/enqueue" in refused.json()["detail"]
    response = client.post(
        "/v2/enqueue", json=pd_event(integration["routing_key"]), headers={"X-Request-ID": "pd-1"}
    )
    assert response.status_code == 202
    assert response.headers["x-request-id"] == "pd-1"
    assert response.headers["content-type"] == "application/json"
    assert _series(client, "/v2/enqueue", 202) == 1.0
    assert client.post("/v2/change/enqueue", content=b"[]").status_code == 400
    assert _series(client, "/v2/change/enqueue", 400) == 1.0


def test_a_streamed_body_over_the_limit_is_refused_and_not_stored(client, auth, db):
    integration = create_integration(client, auth, "pagerduty")
    event = pd_event(integration["routing_key"])
    event["payload"]["custom_details"] = {"blob": "x" * (600 * 1024)}
    body = json.dumps(event).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: only the bytes read can tell
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = client.post("/v2/enqueue", content=chunks())
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    with db.reader() as session:
        assert inbound.list_events(session) == []


def test_an_unexpected_error_answers_500_problem_json_and_stores_nothing(
    client, auth, db, monkeypatch
):
    integration = create_integration(client, auth, "pagerduty")

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(pagerduty, "_pending", broken)
    response = client.post("/v2/enqueue", json=pd_event(integration["routing_key"]))
    assert response.status_code == 500
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["request_id"].startswith("req_")  # the server log has it with the traceback
    assert "unexpected error" in problem["detail"]
    with db.reader() as session:
        assert inbound.list_events(session) == []


def test_the_driver_insert_writes_what_sqlalchemy_would(client, auth, db):
    integration = create_integration(client, auth, "pagerduty")
    now = utcnow()
    rows = [
        {
            "id": new_id("evt"),
            "integration_id": integration["id"],
            "source": "pagerduty",
            "event_type": "pagerduty.trigger",
            "dedup_key": key,
            "headers": {"content-type": "application/json", "x-note": "héllo"},
            "body": '{"summary": "ünïcode"}',
            "received_at": now,
            "status": "received",
            "replays": 0,
        }
        for key in ("by-driver", "by-core", "again")
    ]
    events = cast(Table, InboundEvent.__table__)
    insert = DriverInsert(events.insert().returning(events.c.id), tuple(rows[0]))
    with db.unit_of_work() as session:
        conn = session.connection()
        returned = insert.execute(conn, [rows[0], rows[2]])
        conn.execute(events.insert(), rows[1])
    assert sorted(r[0] for r in returned) == sorted([rows[0]["id"], rows[2]["id"]])
    columns = "headers, body, received_at, status, replays, source, event_type"
    with db.reader() as session:
        raw = {
            key: tuple(row)
            for key, *row in session.execute(
                text(f"SELECT dedup_key, {columns} FROM inbound_events")
            )
        }
        stored = session.get(InboundEvent, rows[0]["id"])
    assert raw["by-driver"] == raw["by-core"] == raw["again"]
    assert stored is not None and stored.headers == rows[0]["headers"]
    assert stored.received_at == now

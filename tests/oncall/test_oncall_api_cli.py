"""On-call through its shells: apply a file, `guardrail oncall who`, overrides, feeds, the page."""

from __future__ import annotations

import json

import pytest
from icalendar import Calendar
from oncall_helpers import make_people

from guardrail.identity.enums import Role

FILE = """
schedules:
  - name: payments-primary
    description: Payments, first line
    timezone: Europe/London
    team: payments
    layers:
      - name: weekly
        rotation: weekly
        start: 2025-03-24
        handoff: "09:00"
        members: [alice, bob]
      - name: business-hours
        rotation: daily
        start: 2025-03-24
        handoff: "09:00"
        members: [carol]
        restrictions:
          - days: [mon, tue, wed, thu, fri]
            from: "09:00"
            to: "17:00"
policies:
  - name: payments
    default: true
    levels:
      - delay: 10m
        targets: [{schedule: payments-primary}]
      - delay: 15m
        targets: [{team: payments}]
"""


@pytest.fixture
def applied(client, auth, db):
    make_people(db)
    response = client.post("/api/v1/oncall/apply", json={"content": FILE}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def _env(url, token):
    return {"GUARDRAIL_URL": url, "GUARDRAIL_TOKEN": token}


def test_apply_is_idempotent_and_validates(client, auth, applied):
    assert [(i["kind"], i["name"], i["change"]) for i in applied] == [
        ("schedule", "payments-primary", "created"),
        ("policy", "payments", "created"),
    ]
    again = client.post("/api/v1/oncall/apply", json={"content": FILE}, headers=auth).json()
    assert {i["change"] for i in again} == {"unchanged"}
    bad = FILE.replace("Europe/London", "Mars/Olympus").replace(
        "rotation: daily", "rotation: hourly"
    )
    response = client.post("/api/v1/oncall/apply", json={"content": bad}, headers=auth)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "unknown time zone 'Mars/Olympus'" in detail and "rotation" in detail
    unknown = FILE.replace("members: [carol]", "members: [zed]")
    response = client.post("/api/v1/oncall/apply", json={"content": unknown}, headers=auth)
    assert response.status_code == 404 and "zed" in response.json()["detail"]


def test_who_through_the_cli(cli, live_server, admin_token, applied):
    env = _env(live_server, admin_token)
    # Friday 28 March 2025 12:00 UTC = 12:00 GMT: carol's business hours beat the weekly layer.
    result = cli(
        "oncall",
        "who",
        "--schedule",
        "payments-primary",
        "--at",
        "2025-03-28T12:00Z",
        "--json",
        env=env,
    )
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["person"], row["source"]) == ("carol", "business-hours")
    assert row["until"].startswith("2025-03-28T17:00")
    # Saturday 29 March: alice's week; the next handoff is Monday 09:00 BST = 08:00 UTC.
    [row] = json.loads(cli("oncall", "who", "--at", "2025-03-29T12:00Z", "--json", env=env).output)
    assert (row["person"], row["source"]) == ("alice", "weekly")
    assert row["until"].startswith("2025-03-31T08:00")
    table = cli("oncall", "who", "--at", "2025-03-29T12:00Z", env=env).output
    assert "payments-primary" in table and "alice" in table
    bad = cli("oncall", "who", "--at", "yesterday", env=env)
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_override_through_the_cli(cli, live_server, admin_token, applied):
    env = _env(live_server, admin_token)
    made = cli(
        "oncall",
        "override",
        "payments-primary",
        "bob",
        "--start",
        "2025-03-29T10:00Z",
        "--end",
        "2025-03-29T14:00Z",
        "--reason",
        "swap",
        env=env,
    )
    assert made.exit_code == 0, made.output
    [row] = json.loads(cli("oncall", "who", "--at", "2025-03-29T12:00Z", "--json", env=env).output)
    assert (row["person"], row["source"]) == ("bob", "override")
    shifts = json.loads(
        cli(
            "oncall",
            "shifts",
            "payments-primary",
            "--start",
            "2025-03-29T00:00Z",
            "--days",
            "1",
            "--json",
            env=env,
        ).output
    )
    assert [(s["person"], s["source"]) for s in shifts] == [
        ("alice", "weekly"),
        ("bob", "override"),
        ("alice", "weekly"),
    ]


def test_policies_and_cli_apply(cli, live_server, admin_token, db, tmp_path):
    make_people(db)
    path = tmp_path / "oncall.yaml"
    path.write_text(FILE)
    env = _env(live_server, admin_token)
    dry = cli("oncall", "apply", str(path), "--dry-run", env=env)
    assert dry.exit_code == 0 and "created" in dry.output
    assert "(none)" in cli("oncall", "schedules", env=env).output
    assert cli("oncall", "apply", str(path), env=env).exit_code == 0
    policies = json.loads(cli("oncall", "policies", "--json", env=env).output)
    assert [(p["name"], p["default"], len(p["levels"])) for p in policies] == [
        ("payments", True, 2)
    ]
    assert "payments-primary (10m)" in cli("oncall", "policies", env=env).output


def _events(body: bytes):
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_schedule_and_person_feeds(client, auth, applied, make_token):
    url = "/api/v1/oncall/schedules/payments-primary/calendar.ics?days=30"
    assert client.get(url).status_code == 401
    viewer = {"Authorization": f"Bearer {make_token(Role.viewer)}"}
    response = client.get(url, headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = _events(response.content)
    assert events and all(str(e["summary"]).startswith("On call: ") for e in events)
    # A secret feed URL opens without a header, only for its own feed.
    made = client.post("/api/v1/oncall/feeds", json={"person": "alice"}, headers=auth).json()
    assert made["url"].endswith(f"/api/v1/oncall/people/alice/calendar.ics?token={made['token']}")
    mine = client.get(f"/api/v1/oncall/people/alice/calendar.ics?token={made['token']}")
    assert mine.status_code == 200
    alice = _events(mine.content)
    assert alice and all("payments-primary" in str(e["summary"]) for e in alice)
    starts = [e.decoded("dtstart") for e in alice]
    assert all(s.tzinfo is not None for s in starts)
    assert (
        client.get(f"/api/v1/oncall/people/bob/calendar.ics?token={made['token']}").status_code
        == 401
    )
    assert (
        client.get("/api/v1/oncall/people/alice/calendar.ics?token=gcal_wrong").status_code == 401
    )


def test_feed_shifts_follow_london_time(client, auth, applied):
    response = client.get(
        "/api/v1/oncall/schedules/payments-primary/shifts",
        params={"start": "2025-03-29T00:00:00Z", "days": 3},
        headers=auth,
    )
    segments = [(s["start"], s["person"]) for s in response.json()]
    # Weekend: alice's week. Monday 31 March (BST since Sunday): carol's business hours start at
    # 09:00 London = 08:00 UTC; at 17:00 London = 16:00 UTC bob's week shows through.
    assert ("2025-03-31T08:00:00Z", "carol") in segments
    assert ("2025-03-31T16:00:00Z", "bob") in segments
    assert ("2025-03-28T09:00:00Z", "carol") not in segments  # Friday was GMT: 09:00 UTC


@pytest.fixture
def web(client, admin_token):
    signed = client.post(
        "/signin", data={"token": admin_token, "next": "/"}, follow_redirects=False
    )
    assert signed.status_code == 303
    return client


def test_calendar_page(web, applied):
    page = web.get("/oncall")
    assert page.status_code == 200
    assert "payments-primary" in page.text and "On call now" in page.text
    assert "Europe/London" in page.text
    assert 'href="/oncall"' in page.text


def test_empty_calendar_page(web):
    page = web.get("/oncall")
    assert page.status_code == 200 and "guardrail oncall apply FILE" in page.text

"""Freeze windows with RRULEs, the calendar and its iCalendar feed, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from guardrail.changes import freeze
from guardrail.changes.models import FreezeWindow


def test_weekly_rrule_is_in_force_on_fridays_only():
    window = FreezeWindow(
        name="Friday",
        starts_at=datetime(2026, 1, 2, 12, tzinfo=UTC),
        ends_at=datetime(2026, 1, 3, 0, tzinfo=UTC),
        rrule="FREQ=WEEKLY;BYDAY=FR",
        environments=["production"],
        services=[],
        tiers=[],
        created_by="t",
    )
    friday = datetime(2026, 3, 6, 15, tzinfo=UTC)
    assert [o.starts_at for o in freeze.active([window], friday, "x", 3, "production")] == [
        datetime(2026, 3, 6, 12, tzinfo=UTC)
    ]
    assert freeze.active([window], friday, "x", 3, "staging") == []
    assert freeze.active([window], friday + timedelta(days=1), "x", 3, "production") == []


def test_bad_rrule_is_refused(client, org):
    body = {
        "name": "x",
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2026-01-02T00:00:00Z",
        "rrule": "FREQ=SECONDLY",
    }
    refused = client.post("/api/v1/freezes", json=body, headers=org.headers("bob"))
    assert refused.status_code == 422 and "FREQ" in refused.json()["detail"]


def test_calendar_feed_and_conflicts(client, org):
    now = datetime.now(UTC).replace(microsecond=0)
    freeze_body = {
        "name": "Month end",
        "reason": "finance close",
        "starts_at": (now + timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=2)).isoformat(),
        "rrule": "FREQ=MONTHLY",
    }
    assert (
        client.post("/api/v1/freezes", json=freeze_body, headers=org.headers("bob")).status_code
        == 201
    )
    planned = {
        "service": "catalog",
        "environment": "production",
        "planned_start": (now + timedelta(days=1, hours=2)).isoformat(),
        "planned_end": (now + timedelta(days=1, hours=3)).isoformat(),
    }
    for commit in ("p1", "p2"):
        client.post(
            "/api/v1/changes", json={**planned, "commit": commit}, headers=org.headers("ci")
        )
    view = client.get("/api/v1/calendar", headers=org.headers("ci")).json()
    kinds = sorted(c["kind"] for c in view["conflicts"])
    assert kinds == ["freeze", "freeze", "overlap"]
    feed = client.get("/api/v1/calendar.ics", headers=org.headers("ci"))
    assert feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    freezes = [e for e in events if str(e["summary"]).startswith("Change freeze")]
    assert freezes and freezes[0]["rrule"]["FREQ"] == ["MONTHLY"]
    assert sum(str(e["summary"]).startswith("[") for e in events) == 2

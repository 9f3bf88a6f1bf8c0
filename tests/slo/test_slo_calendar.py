"""Calendar-aligned windows: the budget period starts at the calendar boundary in the SLO's time
zone (a Europe/Berlin month, week or day, across a month boundary and the DST changes), and
budget remaining, the burn-down series and the monthly SLA view are computed over that period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slo_fixtures import ACTOR, apply, events_slo, make_service

from guardrail.slo import service as slo_service
from guardrail.slo.periods import period_bounds
from guardrail.slo.schemas import EventIn, EventsIn
from guardrail.slo.spec import TimeWindow

HOUR = 3600


def _calendar_slo(name: str, duration: str, start: str, target: float = 0.99) -> str:
    return events_slo(name=name, target=target).replace(
        "    - duration: 28d\n      isRolling: true",
        f"    - duration: {duration}\n      isRolling: false\n      calendar:\n"
        f"        startTime: {start}\n        timeZone: Europe/Berlin",
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _push(db, slo_id, first: datetime, minutes: int, good: int, total: int):  # type: ignore[no-untyped-def]
    events = [
        EventIn(start=first + timedelta(minutes=i), interval_seconds=60, good=good, total=total)
        for i in range(minutes)
    ]
    with db.unit_of_work() as session:
        slo_service.push_events(session, ACTOR, slo_id, EventsIn(events=events))


def _evaluate(db, slo_id, now: datetime):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        slo_service.evaluate(session, now)
    with db.reader() as session:
        return dict(slo_service.get_slo(session, slo_id).state)


def _window(duration: str, count: int, unit: str, start: str) -> TimeWindow:
    return TimeWindow(
        duration=duration,
        rolling=False,
        count=count,
        unit=unit,
        calendar_start=start,
        time_zone="Europe/Berlin",
    )


def test_period_starts_at_the_berlin_calendar_boundary():
    month = _window("1M", 1, "M", "2026-01-01T00:00:00")
    # Berlin's March starts at 23:00 UTC (winter time) and ends at 22:00 UTC (summer time).
    assert period_bounds(month, _at("2026-03-31T21:59:59")) == (
        _at("2026-02-28T23:00:00"),
        (31 * 24 - 1) * HOUR,
    )
    assert period_bounds(month, _at("2026-03-31T22:00:00")) == (
        _at("2026-03-31T22:00:00"),
        720 * HOUR,
    )
    week = _window("1w", 1, "w", "2026-03-23T00:00:00")  # a Monday
    assert period_bounds(week, _at("2026-03-29T21:59:00")) == (
        _at("2026-03-22T23:00:00"),
        167 * HOUR,
    )
    assert period_bounds(week, _at("2026-03-29T22:00:00")) == (
        _at("2026-03-29T22:00:00"),
        168 * HOUR,
    )
    assert period_bounds(week, _at("2026-03-20T12:00:00"))[0] == _at("2026-03-15T23:00:00")
    day = _window("1d", 1, "d", "2026-01-01T00:00:00")
    assert period_bounds(day, _at("2026-03-29T12:00:00")) == (_at("2026-03-28T23:00:00"), 23 * HOUR)
    assert period_bounds(day, _at("2026-10-25T12:00:00")) == (_at("2026-10-24T22:00:00"), 25 * HOUR)
    # A period anchored on the 31st starts on the last day of shorter months.
    late = _window("1M", 1, "M", "2026-01-31T00:00:00").model_copy(update={"time_zone": "UTC"})
    assert period_bounds(late, _at("2026-03-15T00:00:00")) == (
        _at("2026-02-28T00:00:00"),
        31 * 86400,
    )


def test_month_budget_resets_at_the_berlin_month_start(db):
    make_service(db)
    (applied,) = apply(db, _calendar_slo("monthly", "1M", "2026-01-01 00:00:00"))
    slo_id = applied.id
    # March (Berlin): 600 clean minutes on the 30th, then a bad hour that ends at midnight in
    # Berlin (21:00-22:00 UTC), 5% errors. April (Berlin) begins at 22:00 UTC, clean.
    _push(db, slo_id, _at("2026-03-30T08:00:00"), 600, 1000, 1000)
    _push(db, slo_id, _at("2026-03-31T21:00:00"), 60, 950, 1000)
    _push(db, slo_id, _at("2026-03-31T22:00:00"), 30, 1000, 1000)

    before = _evaluate(db, slo_id, _at("2026-03-31T21:59:30"))
    assert before["period_start"] == "2026-02-28T23:00:00Z"
    assert before["period_seconds"] == 743 * HOUR
    march_ratio = 60 * 50 / (660 * 1000)
    assert before["error_ratio"] == pytest.approx(march_ratio)
    assert before["remaining"] == pytest.approx(1 - march_ratio / 0.01)

    after = _evaluate(db, slo_id, _at("2026-03-31T22:30:00"))
    assert after["period_start"] == "2026-03-31T22:00:00Z"
    assert after["period_seconds"] == 720 * HOUR
    assert after["error_ratio"] == 0.0 and after["remaining"] == pytest.approx(1.0)
    # The bad hour still burns in the rolling alert windows: only the budget period reset.
    assert after["burn_rates"]["1h"] == pytest.approx((30 * 50 / 60_000) / 0.01)

    with db.reader() as session:
        slo = slo_service.get_slo(session, slo_id)
        series = slo_service.burn_down(session, slo, _at("2026-03-31T22:30:00"))
        report = slo_service.report(session, slo, months=2, now=_at("2026-04-01T00:00:00"))
    # The burn-down chart covers the running period only: the March snapshot is not in it.
    assert series == [(_at("2026-03-31T22:30:00"), pytest.approx(1.0))]
    assert report.zone == "Europe/Berlin"
    assert [(r.period, r.start, r.end) for r in report.rows[1:]] == [
        ("2026-03", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z"),
        ("2026-04", "2026-03-31T22:00:00Z", "2026-04-01T00:00:00Z"),
    ]
    assert report.rows[1].sli == pytest.approx(1 - march_ratio)
    assert report.rows[1].met is True  # 99.55% over the month against 99%
    assert report.rows[2].sli == pytest.approx(1.0)


def test_week_across_the_dst_change_is_167_hours(db):
    make_service(db)
    (applied,) = apply(db, _calendar_slo("weekly", "1w", "2026-03-23 00:00:00", target=0.999))
    # Sunday 29 March, the day summer time starts: 120 minutes at 1% errors just before the
    # Berlin week ends (20:00-22:00 UTC = 22:00-24:00 CEST), and 10 clean minutes in the next week.
    _push(db, applied.id, _at("2026-03-23T00:00:00"), 240, 1000, 1000)  # Monday, same week
    _push(db, applied.id, _at("2026-03-29T20:00:00"), 120, 990, 1000)
    _push(db, applied.id, _at("2026-03-29T22:00:00"), 10, 1000, 1000)
    state = _evaluate(db, applied.id, _at("2026-03-29T21:59:00"))
    assert state["period_start"] == "2026-03-22T23:00:00Z"
    assert state["period_seconds"] == 167 * HOUR
    ratio = 120 * 10 / (360 * 1000)
    assert state["remaining"] == pytest.approx(1 - ratio / 0.001)  # overspent: about -2.33
    assert state["exhaustion_seconds"] == 0.0
    state = _evaluate(db, applied.id, _at("2026-03-29T22:10:00"))
    assert state["period_start"] == "2026-03-29T22:00:00Z"
    assert state["period_seconds"] == 168 * HOUR
    assert state["remaining"] == pytest.approx(1.0)


def test_day_window_on_the_25_hour_day(db):
    make_service(db)
    (applied,) = apply(db, _calendar_slo("daily", "1d", "2026-01-01 00:00:00"))
    # Berlin's 25 October 2026 runs from 22:00 UTC on the 24th to 23:00 UTC on the 25th.
    _push(db, applied.id, _at("2026-10-24T21:00:00"), 60, 0, 1000)  # the day before: all bad
    _push(db, applied.id, _at("2026-10-24T22:00:00"), 100, 980, 1000)
    state = _evaluate(db, applied.id, _at("2026-10-25T12:00:00"))
    assert (state["period_start"], state["period_seconds"]) == ("2026-10-24T22:00:00Z", 25 * HOUR)
    assert state["error_ratio"] == pytest.approx(0.02)
    assert state["remaining"] == pytest.approx(1 - 0.02 / 0.01)

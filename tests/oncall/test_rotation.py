"""Schedule arithmetic: rotations, handoffs across DST changes, restrictions, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from guardrail.oncall.enums import Rotation
from guardrail.oncall.rotation import Layer, Override, Restriction, segments, shift_at, who

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(start: date, members: tuple[str, ...] = ("alice", "bob")) -> Layer:
    return Layer("weekly", Rotation.weekly, start, time(9, 0), members)


def test_weekly_handoff_stays_at_nine_local_across_london_spring_forward():
    # Clocks go forward on Sunday 30 March 2025 at 01:00 UTC: 09:00 is 09:00 GMT before, BST after.
    layer = weekly(date(2025, 3, 24))
    before = shift_at(layer, LONDON, utc(2025, 3, 28, 12))
    assert before is not None
    assert before.person_id == "alice"
    assert before.start == utc(2025, 3, 24, 9)  # 09:00 GMT
    assert before.end == utc(2025, 3, 31, 8)  # 09:00 BST
    assert before.end - before.start == timedelta(days=7, hours=-1)  # that week is an hour short
    assert who([layer], [], LONDON, utc(2025, 3, 31, 7, 59)) == ("alice", "weekly")
    assert who([layer], [], LONDON, utc(2025, 3, 31, 8, 0)) == ("bob", "weekly")


def test_daily_handoff_across_london_fall_back():
    # Clocks go back on Sunday 26 October 2025 at 01:00 UTC: that day lasts 25 hours.
    layer = Layer("daily", Rotation.daily, date(2025, 10, 1), time(9, 0), ("a", "b", "c"))
    shift = shift_at(layer, LONDON, utc(2025, 10, 26, 3))
    assert shift is not None
    assert (shift.start, shift.end) == (utc(2025, 10, 25, 8), utc(2025, 10, 26, 9))
    assert shift.end - shift.start == timedelta(hours=25)
    nxt = shift_at(layer, LONDON, shift.end)
    assert nxt is not None and nxt.start == shift.end and nxt.person_id != shift.person_id


def test_new_york_daylight_saving_both_ways():
    # 9 March 2025 spring forward (EST -5 → EDT -4); 2 November 2025 fall back.
    layer = Layer("days", Rotation.daily, date(2025, 1, 1), time(9, 0), ("x", "y"))
    march = shift_at(layer, NEW_YORK, utc(2025, 3, 9, 12))
    assert march is not None
    assert (march.start, march.end) == (utc(2025, 3, 8, 14), utc(2025, 3, 9, 13))
    assert march.end - march.start == timedelta(hours=23)
    november = shift_at(layer, NEW_YORK, utc(2025, 11, 2, 12))
    assert november is not None
    assert (november.start, november.end) == (utc(2025, 11, 1, 13), utc(2025, 11, 2, 14))
    assert november.end - november.start == timedelta(hours=25)
    # Every handoff of the year is at 09:00 New York time.
    cuts = segments([layer], [], NEW_YORK, utc(2025, 1, 1, 14), utc(2025, 12, 31, 14))
    assert {s.start.astimezone(NEW_YORK).time() for s in cuts} == {time(9, 0)}


def test_handoff_inside_the_skipped_hour_is_consistent():
    # 02:30 does not exist in New York on 9 March 2025; the shift boundaries still meet exactly.
    layer = Layer("night", Rotation.daily, date(2025, 3, 1), time(2, 30), ("x", "y"))
    one = shift_at(layer, NEW_YORK, utc(2025, 3, 9, 5))
    assert one is not None
    two = shift_at(layer, NEW_YORK, one.end)
    assert two is not None and two.start == one.end and two.index == one.index + 1


def test_custom_hours_rotation_counts_elapsed_time_over_dst():
    layer = Layer(
        "12h",
        Rotation.custom,
        date(2025, 3, 29),
        time(8, 0),
        ("a", "b"),
        length=timedelta(hours=12),
    )
    shifts = segments([layer], [], LONDON, utc(2025, 3, 29, 8), utc(2025, 3, 31, 8))
    assert all(s.end - s.start == timedelta(hours=12) for s in shifts)
    assert [s.person_id for s in shifts] == ["a", "b", "a", "b"]


def test_business_hours_restriction_and_a_later_layer_overrides_an_earlier_one():
    base = Layer("follow-the-sun", Rotation.weekly, date(2025, 1, 6), time(9, 0), ("night",))
    day = Layer(
        "business",
        Rotation.weekly,
        date(2025, 1, 6),
        time(9, 0),
        ("day",),
        restrictions=(Restriction(frozenset(range(5)), time(9, 0), time(17, 0)),),
    )
    # Wednesday 8 January 2025, London = UTC in winter.
    assert who([base, day], [], LONDON, utc(2025, 1, 8, 10)) == ("day", "business")
    assert who([base, day], [], LONDON, utc(2025, 1, 8, 18)) == ("night", "follow-the-sun")
    assert who([base, day], [], LONDON, utc(2025, 1, 11, 10)) == ("night", "follow-the-sun")  # Sat
    week = segments([base, day], [], LONDON, utc(2025, 1, 6, 9), utc(2025, 1, 13, 9))
    assert sum(1 for s in week if s.person_id == "day") == 5
    assert all(s.end - s.start == timedelta(hours=8) for s in week if s.person_id == "day")


def test_overnight_restriction_belongs_to_the_day_it_starts():
    r = Restriction(frozenset({4}), time(22, 0), time(6, 0))  # Friday 22:00 → Saturday 06:00
    fri = datetime(2025, 1, 10, 23, tzinfo=LONDON)
    assert r.contains(fri)
    assert r.contains(fri + timedelta(hours=5))  # Saturday 04:00
    assert not r.contains(fri + timedelta(hours=8))
    assert not r.contains(datetime(2025, 1, 9, 23, tzinfo=LONDON))  # Thursday night


def test_override_wins_and_splits_the_segment():
    layer = weekly(date(2025, 1, 6))
    override = Override("carol", utc(2025, 1, 7, 12), utc(2025, 1, 7, 18), "ovr_1")
    result = segments([layer], [override], LONDON, utc(2025, 1, 7), utc(2025, 1, 8))
    assert [(s.person_id, s.source) for s in result] == [
        ("alice", "weekly"),
        ("carol", "override"),
        ("alice", "weekly"),
    ]
    assert result[1].start == override.starts_at and result[1].end == override.ends_at


def test_nobody_before_the_rotation_starts():
    layer = weekly(date(2025, 6, 2))
    assert who([layer], [], LONDON, utc(2025, 6, 1)) == (None, "")
    result = segments([layer], [], LONDON, utc(2025, 5, 31), utc(2025, 6, 3))
    assert result[0].person_id is None
    assert result[1].person_id == "alice" and result[1].start == utc(2025, 6, 2, 8)  # 09:00 BST

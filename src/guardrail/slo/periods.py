"""Where an SLO's period starts: a rolling window, or a calendar-aligned one in its time zone.

Calendar periods are counted in the zone's wall-clock time (a day starts at midnight, a week on
the start time's weekday, a month on its day of the month), then turned into UTC instants. Their
length in seconds comes from those instants, so a Europe/Berlin day is 23 hours on the day
summer time starts and March is 743 hours long there.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from guardrail.slo.spec import TimeWindow

_MONTHS = {"M": 1, "Q": 3, "Y": 12}
_DAYS = {"d": 1, "w": 7}


def period_bounds(window: TimeWindow, now: datetime) -> tuple[datetime, int]:
    """The start of the period containing ``now`` and the period's full length in seconds."""
    if window.rolling:
        return now - timedelta(seconds=window.nominal_seconds), window.nominal_seconds
    start, end = calendar_period(window, now)
    return start, int((end - start).total_seconds())


def calendar_period(window: TimeWindow, now: datetime) -> tuple[datetime, datetime]:
    """The calendar-aligned period containing ``now`` as UTC (start, end)."""
    zone = ZoneInfo(window.time_zone)
    anchor = datetime.fromisoformat(window.calendar_start or "1970-01-01T00:00:00")
    anchor = anchor.replace(tzinfo=None)
    local = now.astimezone(zone).replace(tzinfo=None)  # wall-clock time in the zone
    if window.unit in _MONTHS:
        start, end = _month_period(anchor, local, window.count * _MONTHS[window.unit])
    elif window.unit in _DAYS:
        start, end = _wall_period(anchor, local, timedelta(days=window.count * _DAYS[window.unit]))
    else:
        start, end = _wall_period(anchor, local, timedelta(seconds=window.nominal_seconds))
    return _utc(start, zone), _utc(end, zone)


def _utc(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _wall_period(anchor: datetime, local: datetime, size: timedelta) -> tuple[datetime, datetime]:
    periods = (local - anchor) // size  # floor, also before the anchor
    start = anchor + periods * size
    return start, start + size


def _add_months(value: datetime, months: int, day: int | None = None) -> datetime:
    """``value`` moved by ``months``, on ``day`` (or its own day), clamped to the month's end."""
    index = value.year * 12 + value.month - 1 + months
    year, month = index // 12, index % 12 + 1
    wanted = day or value.day
    return value.replace(
        year=year, month=month, day=min(wanted, calendar.monthrange(year, month)[1])
    )


def _month_period(anchor: datetime, local: datetime, months: int) -> tuple[datetime, datetime]:
    # Periods start on the anchor's day of month (the first, usually) and time of day; on the
    # 31st the period starts on the last day of shorter months.
    elapsed = (local.year - anchor.year) * 12 + local.month - anchor.month
    steps = (elapsed // months) * months
    start = _add_months(anchor, steps, anchor.day)
    if start > local:
        steps -= months
        start = _add_months(anchor, steps, anchor.day)
    return start, _add_months(anchor, steps + months, anchor.day)


def month_starts(now: datetime, count: int, zone: str = "UTC") -> list[tuple[datetime, datetime]]:
    """The last ``count`` calendar months in ``zone`` (the current one last) as UTC bounds."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz).replace(tzinfo=None)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = []
    for back in range(count - 1, -1, -1):
        start = _add_months(first, -back)
        months.append((_utc(start, tz), _utc(_add_months(start, 1), tz)))
    return months

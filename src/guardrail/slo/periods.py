"""Where an SLO's period starts: a rolling window, or a calendar-aligned one in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from guardrail.slo.spec import TimeWindow

_MONTHS = {"M": 1, "Q": 3, "Y": 12}


def period_bounds(window: TimeWindow, now: datetime) -> tuple[datetime, int]:
    """The start of the period containing ``now`` and the period's full length in seconds."""
    if window.rolling:
        return now - timedelta(seconds=window.nominal_seconds), window.nominal_seconds
    zone = ZoneInfo(window.time_zone)
    anchor = datetime.fromisoformat(window.calendar_start or "1970-01-01T00:00:00")
    anchor = anchor.replace(tzinfo=zone)
    local = now.astimezone(zone)
    if window.unit in _MONTHS:
        start, end = _month_period(anchor, local, window.count * _MONTHS[window.unit])
    else:
        start, end = _fixed_period(anchor, local, window.nominal_seconds)
    return start.astimezone(UTC), int((end - start).total_seconds())


def _fixed_period(anchor: datetime, local: datetime, seconds: int) -> tuple[datetime, datetime]:
    elapsed = (local - anchor).total_seconds()
    periods = int(elapsed // seconds)
    start = anchor + timedelta(seconds=periods * seconds)
    return start, start + timedelta(seconds=seconds)


def _add_months(value: datetime, months: int) -> datetime:
    index = value.year * 12 + value.month - 1 + months
    return value.replace(year=index // 12, month=index % 12 + 1)


def _month_period(anchor: datetime, local: datetime, months: int) -> tuple[datetime, datetime]:
    # Calendar periods start on the anchor's day of month (the first, usually) and time of day.
    anchor = anchor.replace(day=min(anchor.day, 28))
    elapsed = (local.year - anchor.year) * 12 + local.month - anchor.month
    start = _add_months(anchor, (elapsed // months) * months)
    if start > local:
        start = _add_months(start, -months)
    return start, _add_months(start, months)


def month_starts(now: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The last ``count`` calendar months in UTC (the current one last), as (start, end)."""
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = []
    for back in range(count - 1, -1, -1):
        start = _add_months(first, -back)
        months.append((start, _add_months(start, 1)))
    return months

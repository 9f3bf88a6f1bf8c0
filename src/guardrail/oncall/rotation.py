"""Schedule arithmetic, free of the database: layers of rotations, restrictions and overrides.

Daily and weekly rotations, and custom rotations a whole number of days long, hand off at a wall
clock time in the schedule's time zone, so a handoff at 09:00 stays at 09:00 across daylight saving
changes (that day's shift is an hour shorter or longer). Custom rotations of hours hand off after
exactly that much elapsed time. A later layer overrides an earlier one wherever it has someone on
call; an override beats every layer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from guardrail.oncall.enums import Rotation

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Restriction:
    """A window of the week (in the schedule's zone) in which a layer is on call."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time  # at or before ``start``: the window runs past midnight

    def contains(self, local: datetime) -> bool:
        """Whether the local time falls inside the window."""
        clock, day = local.time().replace(tzinfo=None), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= clock < self.end
        # Overnight: the evening part belongs to the day it starts, the morning to the day before.
        return (day in self.days and clock >= self.start) or (
            (day - 1) % 7 in self.days and clock < self.end
        )


@dataclass(frozen=True)
class Layer:
    name: str
    rotation: Rotation
    start: date
    handoff: time
    members: tuple[str, ...]
    length: timedelta = timedelta(days=1)  # custom rotations only
    restrictions: tuple[Restriction, ...] = ()

    @property
    def period(self) -> timedelta:
        if self.rotation == Rotation.daily:
            return timedelta(days=1)
        if self.rotation == Rotation.weekly:
            return timedelta(days=7)
        return self.length

    @property
    def wall_clock(self) -> bool:
        """Whether turns are counted in calendar days (True) or elapsed time."""
        return self.period % timedelta(days=1) == timedelta(0)


@dataclass(frozen=True)
class Override:
    person_id: str
    starts_at: datetime
    ends_at: datetime
    id: str = ""


@dataclass(frozen=True)
class Shift:
    """One member's turn on a layer (before restrictions)."""

    index: int
    start: datetime
    end: datetime
    person_id: str


@dataclass(frozen=True)
class Segment:
    """A stretch of the final schedule with one person (or nobody) on call."""

    start: datetime
    end: datetime
    person_id: str | None
    source: str  # the layer's name, "override", or "" when nobody is on call


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time in ``tz`` as UTC (a time skipped by a DST change maps past the gap)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def shift_at(layer: Layer, tz: ZoneInfo, at: datetime) -> Shift | None:
    """The layer's shift containing ``at``; None before the rotation starts or without members."""
    if not layer.members:
        return None
    index = _index(layer, tz, at)
    if index < 0:
        return None
    return _shift(layer, tz, index)


def _index(layer: Layer, tz: ZoneInfo, at: datetime) -> int:
    if not layer.wall_clock:
        anchor = local_to_utc(layer.start, layer.handoff, tz)
        return (at - anchor) // layer.period
    local_day = at.astimezone(tz).date()
    days = (local_day - layer.start).days
    if at < local_to_utc(local_day, layer.handoff, tz):
        days -= 1
    return days // layer.period.days


def _shift(layer: Layer, tz: ZoneInfo, index: int) -> Shift:
    person = layer.members[index % len(layer.members)]
    if layer.wall_clock:
        days = layer.period.days
        start = local_to_utc(layer.start + timedelta(days=index * days), layer.handoff, tz)
        end = local_to_utc(layer.start + timedelta(days=(index + 1) * days), layer.handoff, tz)
    else:
        anchor = local_to_utc(layer.start, layer.handoff, tz)
        start, end = anchor + index * layer.period, anchor + (index + 1) * layer.period
    return Shift(index, start, end, person)


def layer_person(layer: Layer, tz: ZoneInfo, at: datetime) -> str | None:
    """Who the layer has on call at ``at``, restrictions applied."""
    shift = shift_at(layer, tz, at)
    if shift is None:
        return None
    if layer.restrictions:
        local = at.astimezone(tz)
        if not any(r.contains(local) for r in layer.restrictions):
            return None
    return shift.person_id


def who(
    layers: Sequence[Layer], overrides: Sequence[Override], tz: ZoneInfo, at: datetime
) -> tuple[str | None, str]:
    """The person on call at ``at`` and where that comes from (layer name or "override")."""
    for override in reversed(sorted(overrides, key=lambda o: o.starts_at)):
        if override.starts_at <= at < override.ends_at:
            return override.person_id, "override"
    for layer in reversed(layers):
        person = layer_person(layer, tz, at)
        if person is not None:
            return person, layer.name
    return None, ""


def segments(
    layers: Sequence[Layer],
    overrides: Sequence[Override],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[Segment]:
    """The final schedule between ``start`` and ``end`` as consecutive segments."""
    cuts = sorted({start, end, *_boundaries(layers, overrides, tz, start, end)})
    result: list[Segment] = []
    for left, right in pairwise(cuts):
        person, source = who(layers, overrides, tz, left)
        if result and result[-1].person_id == person and result[-1].source == source:
            result[-1] = Segment(result[-1].start, right, person, source)
        else:
            result.append(Segment(left, right, person, source))
    return result


def _boundaries(
    layers: Sequence[Layer],
    overrides: Sequence[Override],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
) -> Iterator[datetime]:
    for layer in layers:
        yield from _layer_cuts(layer, tz, start, end)
    for override in overrides:
        yield from (t for t in (override.starts_at, override.ends_at) if start < t < end)


def _layer_cuts(layer: Layer, tz: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    shift = shift_at(layer, tz, start)
    if shift is None and layer.members:
        first = _shift(layer, tz, 0)
        shift = first if first.start < end else None
    while shift is not None and shift.start < end:
        if shift.start > start:
            yield shift.start
        shift = _shift(layer, tz, shift.index + 1)
    day = start.astimezone(tz).date() - timedelta(days=1)
    while layer.restrictions and day <= end.astimezone(tz).date():
        for restriction in layer.restrictions:
            for clock in (restriction.start, restriction.end):
                cut = local_to_utc(day, clock, tz)
                if start < cut < end:
                    yield cut
        day += timedelta(days=1)

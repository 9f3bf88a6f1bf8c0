"""Freeze windows: one-off or recurring (RFC 5545 RRULE), scoped by environment, service, tier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dateutil.rrule import rrule as RRule  # type: ignore[import-untyped]
from dateutil.rrule import rrulestr

from guardrail.changes.models import FreezeWindow
from guardrail.errors import InvalidInput
from guardrail.kit.time import as_utc, isoformat

ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_OCCURRENCES = 1000


@dataclass(frozen=True)
class Occurrence:
    window: FreezeWindow
    starts_at: datetime
    ends_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.window.id,
            "name": self.window.name,
            "reason": self.window.reason,
            "starts_at": isoformat(self.starts_at),
            "ends_at": isoformat(self.ends_at),
            "allow_emergency": self.window.allow_emergency,
            "recurring": self.window.rrule is not None,
        }


def parse_rrule(text: str, starts_at: datetime) -> RRule:
    """A recurrence rule (``FREQ=WEEKLY;BYDAY=FR``), or InvalidInput saying what is wrong."""
    body = text.strip().removeprefix("RRULE:")
    parts = dict(p.split("=", 1) for p in body.split(";") if "=" in p)
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise InvalidInput(
            f"rrule FREQ must be one of {', '.join(ALLOWED_FREQ)}, e.g. FREQ=WEEKLY;BYDAY=FR"
        )
    try:
        rule = rrulestr(body, dtstart=as_utc(starts_at))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"rrule {text!r} is not a valid RFC 5545 RRULE: {exc}") from exc
    if not isinstance(rule, RRule):
        raise InvalidInput("rrule must be a single RRULE, without RDATE or EXRULE")
    return rule


def occurrences(window: FreezeWindow, start: datetime, end: datetime) -> list[Occurrence]:
    """The window's periods that overlap [start, end)."""
    length = as_utc(window.ends_at) - as_utc(window.starts_at)
    if window.rrule is None:
        first, last = as_utc(window.starts_at), as_utc(window.ends_at)
        return [Occurrence(window, first, last)] if first < end and last > start else []
    rule = parse_rrule(window.rrule, window.starts_at)
    found = []
    for begin in rule.xafter(start - length, count=MAX_OCCURRENCES, inc=True):
        if begin >= end:
            break
        if begin + length > start:
            found.append(Occurrence(window, begin, begin + length))
    return found


def in_scope(window: FreezeWindow, service: str, tier: int, environment: str) -> bool:
    """Whether the window applies to a change of ``service`` in ``environment``."""
    return (
        (not window.environments or environment in window.environments)
        and (not window.services or service in window.services)
        and (not window.tiers or tier in window.tiers)
    )


def active(
    windows: list[FreezeWindow], at: datetime, service: str, tier: int, environment: str
) -> list[Occurrence]:
    """Occurrences in force at ``at`` for this scope."""
    scoped = [w for w in windows if in_scope(w, service, tier, environment)]
    return [o for w in scoped for o in occurrences(w, at, at + timedelta(seconds=1))]


def hours_to_next(
    windows: list[FreezeWindow], at: datetime, service: str, tier: int, environment: str
) -> float | None:
    """Hours until the next freeze in scope begins (within a week), or None."""
    horizon = at + timedelta(days=7)
    scoped = [w for w in windows if in_scope(w, service, tier, environment)]
    starts = [o.starts_at for w in scoped for o in occurrences(w, at, horizon) if o.starts_at > at]
    if not starts:
        return None
    return (min(starts) - at).total_seconds() / 3600

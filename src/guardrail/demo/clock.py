"""A settable clock for generating history through the practices' own services.

Every practice reads the time through ``guardrail.kit.time.utcnow``, which calls
``datetime.now`` on the ``datetime`` name of that module. While the demo writes history, that
name is a subclass whose ``now`` answers the simulated time, so records, timelines, audit events
and outbox jobs all carry the time the story says. Only the demo uses this, only while it seeds
(before the server starts), and the real class is put back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo

from guardrail.kit import time as kit_time


class _Simulated(datetime):
    current: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        at = cls.current
        return at.astimezone(tz) if tz is not None else at.replace(tzinfo=None)


class Clock:
    """The simulated now; ``set`` moves it (to any time, forwards or back)."""

    def set(self, at: datetime) -> datetime:
        _Simulated.current = at.astimezone(UTC)
        return _Simulated.current

    @property
    def now(self) -> datetime:
        return _Simulated.current


@contextmanager
def simulated(start: datetime) -> Iterator[Clock]:
    """Route ``utcnow()`` to a settable clock for the duration of the block."""
    real = kit_time.datetime
    clock = Clock()
    clock.set(start)
    kit_time.datetime = _Simulated  # type: ignore[misc]
    try:
        yield clock
    finally:
        kit_time.datetime = real  # type: ignore[misc]

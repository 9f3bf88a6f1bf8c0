"""Measuring an improvement's metric from the scoreboard, and judging a value against a target.

Only the scoreboard's figures are used (``metrics.service.scoreboard``), so an improvement's
baseline and its review are the numbers people see on the scoreboard for the same scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from guardrail.errors import InvalidInput, NotFound
from guardrail.improvements.enums import Direction, Outcome
from guardrail.kit.time import parse_duration
from guardrail.metrics import display
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import Metric, ScopeIn, Scoreboard


@dataclass(frozen=True)
class Scope:
    """What an improvement measures: service or team (or the organisation), environment, window."""

    service: str | None
    team: str | None
    environment: str
    window: str

    def scope_in(self) -> ScopeIn:
        return ScopeIn(
            service=self.service, team=self.team, environment=self.environment, since=self.window
        )

    def describe(self) -> str:
        who = (
            f"service {self.service}"
            if self.service
            else f"team {self.team}"
            if self.team
            else "the organisation"
        )
        return f"{who} in {self.environment} over {self.window.strip()}"


@dataclass(frozen=True)
class Measurement:
    """One figure for a scope over the window ending at ``end``."""

    metric: Metric
    start: datetime
    end: datetime

    @property
    def value(self) -> float | None:
        return self.metric.value

    @property
    def samples(self) -> int:
        return self.metric.samples


def catalogue(board: Scoreboard) -> dict[str, Metric]:
    """The metrics an improvement may name: tracked, and with a direction that is better."""
    return {m.key: m for m in [*board.dora, *board.itil] if m.tracked and m.better is not None}


def board_at(session: Session, scope: Scope, end: datetime | None) -> Scoreboard:
    """The scope's scoreboard for the window ending at ``end`` (now, cached, when None)."""
    if parse_duration(scope.window.strip()).total_seconds() <= 0:
        raise InvalidInput("the window must be at least one day, e.g. 30d or 12w")
    return metrics.scoreboard(session, scope.scope_in(), now=end)


def pick(board: Scoreboard, key: str) -> Metric:
    """The metric ``key`` from ``board``, or an error that lists the keys there are."""
    known = catalogue(board)
    if key in known:
        return known[key]
    untracked = {m.key for m in [*board.dora, *board.itil] if not m.tracked}
    why = "is not tracked yet" if key in untracked else "is not a scoreboard metric"
    choices = ", ".join(sorted(known))
    raise InvalidInput(f"metric {key!r} {why}; name one of: {choices}")


def measure(session: Session, scope: Scope, key: str, end: datetime | None) -> Measurement:
    """The metric for the scope over the window ending at ``end``; an unknown scope is bad input."""
    try:
        board = board_at(session, scope, end)
    except NotFound as exc:
        raise InvalidInput(exc.detail) from exc
    return Measurement(pick(board, key), board.scope.start, board.scope.end)


def shortfall(direction: str, value: float, target: float) -> float:
    """How far ``value`` is from ``target`` the wrong way (<= 0: met or beaten)."""
    return value - target if direction == Direction.down else target - value


def judge(direction: str, value: float | None, target: float) -> tuple[Outcome, float | None]:
    """achieved / not_achieved with the shortfall, or no_data."""
    if value is None:
        return Outcome.no_data, None
    gap = shortfall(direction, value, target)
    return (Outcome.achieved if gap <= 0 else Outcome.not_achieved), gap


def progress(baseline: float, target: float, value: float | None) -> float | None:
    """How far from the baseline towards the target ``value`` is: 0 at the baseline, 1 at it."""
    if value is None or baseline == target:
        return None
    return round((baseline - value) / (baseline - target), 4)


def check_target(direction: str, unit: str, baseline: float, target: float, what: str) -> None:
    """Refuse a target out of the unit's range, or one that is no better than the baseline."""
    if unit == "ratio" and not 0 <= target <= 1:
        raise InvalidInput(
            f"{what} is a ratio between 0 and 1; write a target of 10 % as 0.1, not {target:g}"
        )
    if target < 0:
        raise InvalidInput(f"{what} cannot be negative; the target {target:g} is impossible")
    if shortfall(direction, baseline, target) > 0:
        return
    better = "lower" if direction == Direction.down else "higher"
    best = baseline <= 0 if direction == Direction.down else unit == "ratio" and baseline >= 1
    if best:
        raise InvalidInput(
            f"{what} is already {display.figure(baseline, unit)}, as good as it gets; there is "
            "nothing to improve: pick another metric or scope"
        )
    raise InvalidInput(
        f"{what} is better {better}: its baseline is {display.figure(baseline, unit)}, so a "
        f"target of {display.figure(target, unit)} is no improvement; set a target {better} "
        f"than {display.figure(baseline, unit)}"
    )


def summary(
    outcome: Outcome, label: str, unit: str, value: float | None, target: float, gap: float | None
) -> str:
    """One line on what a review found."""
    shown, goal = display.figure(value, unit), display.figure(target, unit)
    if outcome is Outcome.no_data:
        return f"no data: nothing to measure {label.lower()} from in the window"
    if outcome is Outcome.achieved:
        return f"achieved: {label.lower()} was {shown} against a target of {goal}"
    return (
        f"not achieved: {label.lower()} was {shown} against a target of {goal}, "
        f"{display.figure(gap, unit)} short"
    )

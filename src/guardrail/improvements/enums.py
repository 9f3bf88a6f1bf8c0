"""The improvement register's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class ImprovementStatus(StrEnum):
    """proposed -> in_progress -> review -> achieved / not_achieved.

    ``review`` is also where an improvement waits when its review found no data: moving its
    review date lets guardrail measure again then.
    """

    proposed = "proposed"
    in_progress = "in_progress"
    review = "review"
    achieved = "achieved"
    not_achieved = "not_achieved"


OPEN_STATUSES = frozenset(
    {ImprovementStatus.proposed, ImprovementStatus.in_progress, ImprovementStatus.review}
)
DONE_STATUSES = frozenset({ImprovementStatus.achieved, ImprovementStatus.not_achieved})

# The moves a person may make by hand; achieved / not_achieved come only from a measurement.
MANUAL_MOVES: dict[ImprovementStatus, frozenset[ImprovementStatus]] = {
    ImprovementStatus.proposed: frozenset({ImprovementStatus.in_progress}),
    ImprovementStatus.in_progress: frozenset({ImprovementStatus.review}),
    ImprovementStatus.review: frozenset({ImprovementStatus.in_progress}),
}


class Outcome(StrEnum):
    """What a review found ("did we get there?")."""

    achieved = "achieved"
    not_achieved = "not_achieved"
    no_data = "no_data"


class Direction(StrEnum):
    """Which way a metric gets better (the scoreboard's ``better``)."""

    up = "up"
    down = "down"

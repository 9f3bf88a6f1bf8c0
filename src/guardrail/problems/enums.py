"""The words the problems practice uses for statuses, priorities and link kinds."""

from __future__ import annotations

from enum import StrEnum


class ProblemStatus(StrEnum):
    open = "open"
    known_error = "known_error"
    resolved = "resolved"


# Which status may follow which: a known error may be reopened to "open" when the root cause
# turns out wrong; a resolved problem reopens when it recurs.
PROBLEM_TRANSITIONS: dict[str, frozenset[str]] = {
    ProblemStatus.open: frozenset({ProblemStatus.known_error, ProblemStatus.resolved}),
    ProblemStatus.known_error: frozenset({ProblemStatus.open, ProblemStatus.resolved}),
    ProblemStatus.resolved: frozenset({ProblemStatus.open}),
}


class LinkKind(StrEnum):
    incident = "incident"
    service = "service"
    change = "change"


class PostmortemStatus(StrEnum):
    draft = "draft"
    published = "published"


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    wont_do = "wont_do"


OPEN_ACTION_STATUSES = (ActionStatus.open.value, ActionStatus.in_progress.value)


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class Tracker(StrEnum):
    github = "github"
    gitlab = "gitlab"


class ExportStatus(StrEnum):
    none = "none"
    pending = "pending"
    exported = "exported"
    failed = "failed"

"""Improvements as the API, CLI and pages show them: figures in words, the current value live."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from guardrail.errors import GuardrailError
from guardrail.improvements import measure, repository
from guardrail.improvements.models import Improvement, ImprovementReview
from guardrail.improvements.schemas import (
    ActionOut,
    Current,
    ImprovementDetail,
    ImprovementOut,
    ReviewOut,
)
from guardrail.improvements.service import scope_of
from guardrail.metrics import display


def to_out(row: Improvement) -> ImprovementOut:
    """The list view of an improvement."""
    out = ImprovementOut.model_validate(row)
    return out.model_copy(update=_displays(row))


def _displays(row: Improvement) -> dict[str, Any]:
    return {
        "result_progress": measure.progress(row.baseline, row.target, row.result),
        "baseline_display": display.figure(row.baseline, row.unit),
        "target_display": display.figure(row.target, row.unit),
        "result_display": display.figure(row.result, row.unit),
    }


def review_out(entry: ImprovementReview, unit: str) -> ReviewOut:
    """A review with its figures in words."""
    out = ReviewOut.model_validate(entry)
    return out.model_copy(
        update={
            "value_display": display.figure(entry.value, unit),
            "gap_display": display.figure(abs(entry.gap), unit) if entry.gap is not None else "—",
            "summary": str(entry.detail.get("summary", "")),
        }
    )


def current(session: Session, row: Improvement) -> Current | None:
    """The metric now over the improvement's window (the scoreboard's cached figure); None when
    the scope is gone from the catalogue."""
    try:
        board = measure.board_at(session, scope_of(row), None)
        metric = measure.pick(board, row.metric)
    except GuardrailError:
        return None
    return Current(
        value=metric.value,
        display=display.figure(metric.value, row.unit),
        samples=metric.samples,
        at=board.scope.end,
        progress=measure.progress(row.baseline, row.target, metric.value),
    )


def detail(session: Session, row: Improvement, *, live: bool = True) -> ImprovementDetail:
    """One improvement with its seven questions, actions, reviews, follow-ups and (when
    ``live``) the metric's value now."""
    base = to_out(row).model_dump()
    return ImprovementDetail(
        **base,
        vision=row.vision,
        current_state=row.current_state,
        plan=row.plan,
        momentum=row.momentum,
        next_review_at=row.next_review_at,
        current=current(session, row) if live else None,
        actions=[ActionOut.model_validate(a) for a in repository.actions(session, row.id)],
        reviews=[review_out(r, row.unit) for r in repository.reviews(session, row.id)],
        follow_ups=repository.follow_ups(session, row.id),
        scope={"description": scope_of(row).describe()},
    )

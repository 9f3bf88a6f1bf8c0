"""Improvement rules: register one with a measured baseline, edit it, log actions, review it,
follow it up.

An improvement's metric, scope and window are fixed at creation; guardrail measures the baseline
itself then, and at the review date measures the same window length ending at that date.
Flushes, never commits; every write is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from guardrail.audit import service as audit_service
from guardrail.cmdb import service as cmdb
from guardrail.errors import Conflict, InvalidInput, NotFound
from guardrail.improvements import measure, repository
from guardrail.improvements.enums import (
    DONE_STATUSES,
    MANUAL_MOVES,
    OPEN_STATUSES,
    ImprovementStatus,
    Outcome,
)
from guardrail.improvements.models import Improvement, ImprovementAction, ImprovementReview
from guardrail.improvements.schemas import (
    ActionIn,
    FollowUpIn,
    ImprovementCreate,
    ImprovementPatch,
)
from guardrail.kit.context import Actor
from guardrail.kit.time import as_utc, isoformat, utcnow

REVIEW_BATCH = 50
_WORDS = ("title", "owner", "vision", "current_state", "plan", "momentum", "next_review_at")


def get_improvement(session: Session, improvement_id: str, *, lock: bool = False) -> Improvement:
    """One improvement by id."""
    row = repository.improvement(session, improvement_id, lock=lock)
    if row is None:
        raise NotFound(
            f"there is no improvement {improvement_id!r}; list them with "
            "`guardrail improvement list`"
        )
    return row


def list_improvements(
    session: Session,
    *,
    statuses: list[str] | None = None,
    service: str | None = None,
    team: str | None = None,
    metric: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Improvement], int]:
    """Improvements, newest first, filtered by status, service, team and metric."""
    return repository.list_improvements(
        session,
        statuses=statuses,
        service=service,
        team=team,
        metric=metric,
        limit=limit,
        offset=offset,
    )


def scope_of(row: Improvement) -> measure.Scope:
    """The scope an improvement measures."""
    return measure.Scope(row.service, row.team, row.environment, row.window)


def _view(row: Improvement) -> dict[str, Any]:
    return {
        "title": row.title,
        "status": row.status,
        "metric": row.metric,
        "scope": scope_of(row).describe(),
        "baseline": row.baseline,
        "target": row.target,
        "review_at": isoformat(row.review_at),
        "outcome": row.outcome,
        "result": row.result,
    }


def _audit(
    session: Session, actor: Actor, action: str, row: Improvement, before: dict[str, Any] | None
) -> None:
    audit_service.record(
        session, actor, action, "improvement", row.id, before=before, after=_view(row)
    )


# --- creating ---------------------------------------------------------------------------------


def _scope(session: Session, data: ImprovementCreate) -> measure.Scope:
    if data.service and data.team:
        raise InvalidInput("name a service or a team, not both (or neither for the organisation)")
    service = cmdb.find_service(session, data.service) if data.service else None
    if data.service and service is None:
        raise InvalidInput(
            f"no service {data.service!r} in the catalogue; list them with `guardrail service list`"
        )
    return measure.Scope(
        service.name if service else None,
        data.team.strip() if data.team else None,
        data.environment.strip().lower(),
        data.window.strip(),
    )


def _future(at: datetime, now: datetime, what: str) -> datetime:
    at = as_utc(at)
    if at <= now:
        raise InvalidInput(
            f"the {what} {isoformat(at)} is not in the future (it is {isoformat(now)} now); "
            "pick a later date"
        )
    return at


def _duplicate(session: Session, title: str, scope: measure.Scope, metric: str) -> None:
    rows, _ = repository.list_improvements(
        session,
        statuses=[s.value for s in OPEN_STATUSES],
        service=scope.service,
        team=scope.team,
        metric=metric,
        limit=500,
        offset=0,
    )
    for row in rows:
        same = row.environment == scope.environment and row.title.casefold() == title.casefold()
        if same and row.service == scope.service and row.team == scope.team:
            raise Conflict(
                f"improvement {row.id} ({row.title!r}) already works on {metric} for "
                f"{scope.describe()}; update it instead"
            )


def create_improvement(
    session: Session,
    actor: Actor,
    data: ImprovementCreate,
    *,
    now: datetime | None = None,
    follows_id: str | None = None,
) -> Improvement:
    """Register an improvement; guardrail measures its baseline from the scoreboard now."""
    now = as_utc(now or utcnow())
    scope = _scope(session, data)
    review_at = _future(data.review_at, now, "review date")
    _duplicate(session, data.title.strip(), scope, data.metric)
    found = measure.measure(session, scope, data.metric.strip(), now)
    metric = found.metric
    if found.value is None:
        raise InvalidInput(
            f"there is no {metric.label.lower()} for {scope.describe()} to start from (no data "
            "in that window); choose a longer window or a scope with history"
        )
    assert metric.better is not None  # the catalogue holds only metrics with a direction
    measure.check_target(metric.better, metric.unit, found.value, data.target, metric.label)
    row = Improvement(
        **{key: getattr(data, key) for key in _WORDS},
        metric=metric.key,
        metric_label=metric.label,
        unit=metric.unit,
        direction=metric.better,
        service=scope.service,
        team=scope.team,
        environment=scope.environment,
        window=scope.window,
        target=data.target,
        baseline=found.value,
        baseline_samples=found.samples,
        baseline_start=found.start,
        baseline_at=found.end,
        review_at=review_at,
        status=ImprovementStatus.proposed.value,
        follows_id=follows_id,
        created_by=actor.name[:200],
        created_at=now,
        updated_at=now,
    )
    row.title = row.title.strip()
    session.add(row)
    session.flush()
    _audit(session, actor, "improvement.create", row, None)
    return row


def follow_up(
    session: Session,
    actor: Actor,
    improvement_id: str,
    data: FollowUpIn,
    *,
    now: datetime | None = None,
) -> Improvement:
    """A new improvement carrying on from one not achieved: same metric, scope and window."""
    source = get_improvement(session, improvement_id, lock=True)
    if source.status != ImprovementStatus.not_achieved:
        raise Conflict(
            f"improvement {source.id} is {source.status}; only one not achieved gets a follow-up"
        )
    for other_id in repository.follow_ups(session, source.id):
        if get_improvement(session, other_id).status in OPEN_STATUSES:
            raise Conflict(f"improvement {source.id} is followed up by {other_id} already")
    reached = measure.display.figure(source.result, source.unit)
    create = ImprovementCreate(
        title=data.title or f"{source.title} (follow-up)",
        owner=source.owner,
        vision=source.vision,
        current_state=f"Follows {source.id}, which reached {reached} against its target "
        f"of {measure.display.figure(source.target, source.unit)}.",
        plan=data.plan if data.plan is not None else source.plan,
        momentum=source.momentum,
        metric=source.metric,
        service=source.service,
        team=source.team,
        environment=source.environment,
        window=source.window,
        target=source.target if data.target is None else data.target,
        review_at=data.review_at,
    )
    return create_improvement(session, actor, create, now=now, follows_id=source.id)


# --- editing ----------------------------------------------------------------------------------


def update_improvement(
    session: Session,
    actor: Actor,
    improvement_id: str,
    data: ImprovementPatch,
    *,
    now: datetime | None = None,
) -> Improvement:
    """Edit the words any time; the target, review date and status only while it is open."""
    now = as_utc(now or utcnow())
    row = get_improvement(session, improvement_id, lock=True)
    before = _view(row)
    given = data.model_dump(exclude_unset=True)
    settled = {"target", "review_at", "status"} & given.keys()
    if settled and ImprovementStatus(row.status) in DONE_STATUSES:
        raise Conflict(
            f"improvement {row.id} is {row.status}: its {', '.join(sorted(settled))} are "
            "settled; start a follow-up instead"
        )
    for key in _WORDS:
        if key in given:
            setattr(row, key, given[key].strip() if isinstance(given[key], str) else given[key])
    if data.target is not None:
        measure.check_target(row.direction, row.unit, row.baseline, data.target, row.metric)
        row.target = data.target
    if data.review_at is not None:
        row.review_at = _future(data.review_at, now, "review date")
        if row.status == ImprovementStatus.review:
            row.status = ImprovementStatus.in_progress.value  # measured again at the new date
    if data.status is not None:
        _move(row, data.status)
    row.updated_at = now
    session.flush()
    _audit(session, actor, "improvement.update", row, before)
    return row


def _move(row: Improvement, target: ImprovementStatus) -> None:
    current = ImprovementStatus(row.status)
    if target is current:
        return
    if target not in MANUAL_MOVES.get(current, frozenset()):
        raise Conflict(
            f"improvement {row.id} cannot move from {current.value} to {target.value}; achieved "
            "and not_achieved come from a review (`guardrail improvement review ID`)"
        )
    row.status = target.value


def add_action(
    session: Session, actor: Actor, improvement_id: str, data: ActionIn
) -> ImprovementAction:
    """Log a step taken; a proposed improvement is in progress from its first action."""
    row = get_improvement(session, improvement_id, lock=True)
    refs = list(dict.fromkeys(r.strip() for r in data.refs if r.strip()))
    if any(len(r) > 60 for r in refs):
        raise InvalidInput("a reference is an id such as act_… or chg_…, at most 60 characters")
    action = ImprovementAction(
        improvement_id=row.id, text=data.text.strip(), refs=refs, actor=actor.name[:200]
    )
    session.add(action)
    before = _view(row)
    if row.status == ImprovementStatus.proposed:
        row.status = ImprovementStatus.in_progress.value
    row.updated_at = utcnow()
    session.flush()
    _audit(session, actor, "improvement.action", row, before)
    return action


# --- reviewing --------------------------------------------------------------------------------


def review(
    session: Session,
    actor: Actor,
    improvement_id: str,
    *,
    early: bool = False,
    now: datetime | None = None,
) -> tuple[ImprovementReview, bool]:
    """Measure "did we get there?" at the review date; True when recorded now, False when that
    date was reviewed already (nothing is recorded twice)."""
    now = as_utc(now or utcnow())
    row = get_improvement(session, improvement_id, lock=True)
    done = repository.review_at(session, row.id, row.review_at)
    if done is not None:
        return done, False
    if as_utc(row.review_at) > now:
        if not early:
            raise Conflict(
                f"improvement {row.id} is due for review at {isoformat(row.review_at)}; it is "
                f"{isoformat(now)} now. The worker reviews it then; to measure now and end it "
                "early, review with early=true (`guardrail improvement review ID --now`)"
            )
        before = _view(row)
        row.review_at = now
        _audit(session, actor, "improvement.review_early", row, before)
    return _record(session, actor, row), True


def _record(session: Session, actor: Actor, row: Improvement) -> ImprovementReview:
    """Measure over the window ending at the review date and record the outcome."""
    before = _view(row)
    try:
        found: measure.Measurement | None = measure.measure(
            session, scope_of(row), row.metric, row.review_at
        )
    except InvalidInput:  # the service or team left the catalogue: nothing to measure
        found = None
    value = found.value if found else None
    outcome, gap = measure.judge(row.direction, value, row.target)
    label = row.metric_label or row.metric
    entry = ImprovementReview(
        improvement_id=row.id,
        review_at=row.review_at,
        window_start=found.start if found else row.review_at,
        value=value,
        samples=found.samples if found else 0,
        target=row.target,
        outcome=outcome.value,
        gap=gap,
        detail={
            "summary": measure.summary(outcome, label, row.unit, value, row.target, gap),
            "baseline": row.baseline,
            "progress": measure.progress(row.baseline, row.target, value),
            "figures": found.metric.detail if found else {},
        },
        created_by=actor.name[:200],
    )
    session.add(entry)
    row.status = ImprovementStatus.review.value if outcome is Outcome.no_data else outcome.value
    row.outcome, row.result, row.reviewed_at = outcome.value, value, utcnow()
    row.updated_at = row.reviewed_at
    session.flush()
    _audit(session, actor, "improvement.review", row, before)
    return entry


def review_due(session: Session, actor: Actor, now: datetime) -> int:
    """Review every open improvement whose review date has come (claimed with row locks, so
    several workers share the work); return how many were reviewed."""
    rows = repository.claim_due(session, [s.value for s in OPEN_STATUSES], now, REVIEW_BATCH)
    for row in rows:
        _record(session, actor, row)
    return len(rows)

"""Baselines measured from real deployments; reviews at the review date: achieved, not achieved,
no data; the periodic job reviews each improvement once; follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from guardrail.audit.models import AuditEvent
from guardrail.errors import Conflict, InvalidInput
from guardrail.improvements import jobs, service
from guardrail.improvements.models import ImprovementReview
from guardrail.improvements.schemas import FollowUpIn, ImprovementCreate, ImprovementPatch
from guardrail.kit.context import Actor
from guardrail.store.outbox import PERIODICS
from guardrail.store.session import Database
from guardrail.worker.registry import load_job_modules

Deploy = Callable[..., None]  # the conftest's deploy fixture
ACTOR = Actor.system("tests")


def plan(service_name: str, review_at: datetime, target: float = 0.2) -> ImprovementCreate:
    return ImprovementCreate(
        title=f"Fewer failed deployments of {service_name}",
        metric="change_failure_rate",
        service=service_name,
        window="7d",
        target=target,
        review_at=review_at,
        vision="Deploying is boring",
        plan="Canary every deployment",
    )


def create(db: Database, data: ImprovementCreate, at: datetime) -> str:
    with db.unit_of_work() as session:
        return service.create_improvement(session, ACTOR, data, now=at).id


def test_baseline_is_measured_from_the_scoreboard(
    db: Database, deploy: Deploy, now: datetime
) -> None:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    deploy("shop", t0 - timedelta(days=10), ok=0, failed=5)  # before the window: not counted
    imp_id = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    with db.reader() as session:
        row = service.get_improvement(session, imp_id)
        assert row.baseline == pytest.approx(0.4)
        assert row.baseline_samples == 10
        assert (row.baseline_at, row.baseline_start) == (t0, t0 - timedelta(days=7))
        assert (row.direction, row.unit, row.status) == ("down", "ratio", "proposed")
        assert row.metric_label == "Change failure rate"


def test_target_met_after_more_good_deployments(
    db: Database, deploy: Deploy, now: datetime
) -> None:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    imp_id = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    deploy("shop", t0 + timedelta(days=4), ok=9, failed=1)  # inside the review's window
    deploy("shop", t0 + timedelta(days=11), failed=6)  # after the review date: not counted
    with db.unit_of_work() as session:
        entry, recorded = service.review(session, ACTOR, imp_id, now=now)
    assert recorded and entry.outcome == "achieved"
    assert entry.value == pytest.approx(0.1) and entry.samples == 10
    assert entry.gap == pytest.approx(-0.1)
    assert entry.window_start == t0 + timedelta(days=3)
    assert "achieved: change failure rate was 10.0 %" in entry.detail["summary"]
    assert entry.detail["progress"] == pytest.approx(1.5)
    with db.reader() as session:
        row = service.get_improvement(session, imp_id)
        assert (row.status, row.outcome, row.result) == ("achieved", "achieved", entry.value)


def test_target_not_met_says_how_far(db: Database, deploy: Deploy, now: datetime) -> None:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    imp_id = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    deploy("shop", t0 + timedelta(days=4), ok=7, failed=3)
    with db.unit_of_work() as session:
        entry, _ = service.review(session, ACTOR, imp_id, now=now)
    assert entry.outcome == "not_achieved"
    assert entry.gap == pytest.approx(0.1)
    assert "30.0 % against a target of 20.0 %, 10.0 % short" in entry.detail["summary"]
    with db.reader() as session:
        assert service.get_improvement(session, imp_id).status == "not_achieved"


def test_no_data_waits_in_review_until_the_date_moves(
    db: Database, deploy: Deploy, now: datetime
) -> None:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    imp_id = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    with db.unit_of_work() as session:
        entry, _ = service.review(session, ACTOR, imp_id, now=now)
        assert entry.outcome == "no_data" and entry.value is None
        assert service.get_improvement(session, imp_id).status == "review"
    with db.unit_of_work() as session:
        patch = ImprovementPatch(review_at=now + timedelta(days=3))
        row = service.update_improvement(session, ACTOR, imp_id, patch, now=now)
        assert row.status == "in_progress"


def test_reviewing_twice_records_once(db: Database, deploy: Deploy, now: datetime) -> None:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    imp_id = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    deploy("shop", t0 + timedelta(days=4), ok=9, failed=1)
    with db.unit_of_work() as session:
        first, recorded = service.review(session, ACTOR, imp_id, now=now)
        assert recorded
    with db.unit_of_work() as session:
        again, recorded = service.review(session, ACTOR, imp_id, now=now)
        assert not recorded and again.id == first.id
    with db.reader() as session:
        assert _count(session, ImprovementReview) == 1
        assert _audits(session, "improvement.review") == 1


def test_the_periodic_job_reviews_each_due_improvement_once(
    db: Database, deploy: Deploy, now: datetime
) -> None:
    load_job_modules()
    assert PERIODICS["improvements.review"].handler is jobs.review_due
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    deploy("cart", t0 - timedelta(days=5), ok=6, failed=4)
    due = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    also_due = create(db, plan("cart", t0 + timedelta(days=12)), t0)
    later = create(db, plan("cart", now + timedelta(days=30)).model_copy(update={"title": "x"}), t0)
    deploy("shop", t0 + timedelta(days=4), ok=9, failed=1)
    for _ in range(3):
        with db.unit_of_work() as session:
            jobs.review_due(session, {"period_start": "whatever"})
    with db.reader() as session:
        assert service.get_improvement(session, due).status == "achieved"
        assert service.get_improvement(session, also_due).status == "review"  # no data
        assert service.get_improvement(session, later).status == "proposed"
        assert _count(session, ImprovementReview) == 2
        assert _audits(session, "improvement.review") == 2


def test_early_review_needs_asking(db: Database, deploy: Deploy, now: datetime) -> None:
    deploy("shop", now - timedelta(days=5), ok=6, failed=4)
    imp_id = create(db, plan("shop", now + timedelta(days=10)), now)
    later = now + timedelta(hours=1)
    with db.unit_of_work() as session, pytest.raises(Conflict, match="due for review at"):
        service.review(session, ACTOR, imp_id, now=later)
    with db.unit_of_work() as session:
        entry, recorded = service.review(session, ACTOR, imp_id, early=True, now=later)
        assert recorded and entry.review_at == later
        assert entry.value == pytest.approx(0.4)  # nothing changed: not achieved
        assert service.get_improvement(session, imp_id).review_at == later


def test_follow_up_only_from_not_achieved_and_only_once(
    db: Database, deploy: Deploy, now: datetime
) -> None:
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    imp_id = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    deploy("shop", t0 + timedelta(days=14), ok=5, failed=3)  # the last 7 days: 37.5 %
    with db.unit_of_work() as session, pytest.raises(Conflict, match="only one not achieved"):
        service.follow_up(session, ACTOR, imp_id, FollowUpIn(review_at=now + timedelta(days=9)))
    deploy("shop", t0 + timedelta(days=4), ok=7, failed=3)
    with db.unit_of_work() as session:
        service.review(session, ACTOR, imp_id, now=now)
    with db.unit_of_work() as session:
        data = FollowUpIn(review_at=now + timedelta(days=30), target=0.25)
        new = service.follow_up(session, ACTOR, imp_id, data, now=now)
        assert new.follows_id == imp_id and new.baseline == pytest.approx(0.375)
        assert new.metric == "change_failure_rate" and new.window == "7d"
        assert "reached 30.0 %" in new.current_state
    with db.unit_of_work() as session, pytest.raises(Conflict, match="followed up by"):
        service.follow_up(session, ACTOR, imp_id, FollowUpIn(review_at=now + timedelta(days=9)))


def test_refusals(db: Database, deploy: Deploy, now: datetime) -> None:
    deploy("shop", now - timedelta(days=5), ok=6, failed=4)
    deploy("calm", now - timedelta(days=5), ok=6)
    good = plan("shop", now + timedelta(days=10))
    cases = [
        (good.model_copy(update={"metric": "happiness"}), "name one of: .*change_failure_rate"),
        (good.model_copy(update={"service": "calm"}), "already 0.0 %, as good as it gets"),
        (good.model_copy(update={"target": 0.5}), "better lower.*no improvement"),
        (good.model_copy(update={"target": 0.4}), "no improvement"),
        (good.model_copy(update={"target": 12.0}), "ratio between 0 and 1"),
        (good.model_copy(update={"review_at": now - timedelta(days=1)}), "not in the future"),
        (good.model_copy(update={"service": "nope"}), "no service 'nope'"),
        (good.model_copy(update={"team": "payments"}), "not both"),
        (good.model_copy(update={"window": "0d"}), "at least one day"),
        (good.model_copy(update={"window": "1d", "service": "shop"}), "no change failure rate"),
    ]
    for data, message in cases:
        with db.unit_of_work() as session, pytest.raises(InvalidInput, match=message):
            service.create_improvement(session, ACTOR, data, now=now)
    create(db, good, now)
    with db.unit_of_work() as session, pytest.raises(Conflict, match="already works on"):
        service.create_improvement(session, ACTOR, good, now=now)


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def _audits(session, action: str) -> int:  # type: ignore[no-untyped-def]
    return (
        session.scalar(
            select(func.count()).where(AuditEvent.action == action).select_from(AuditEvent)
        )
        or 0
    )


def test_workers_skip_an_improvement_another_worker_is_reviewing(
    db: Database, deploy: Deploy, now: datetime, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises write transactions instead of locking rows")
    t0 = now - timedelta(days=20)
    deploy("shop", t0 - timedelta(days=5), ok=6, failed=4)
    deploy("cart", t0 - timedelta(days=5), ok=6, failed=4)
    first = create(db, plan("shop", t0 + timedelta(days=10)), t0)
    second = create(db, plan("cart", t0 + timedelta(days=11)), t0)
    holder = db.session()
    try:
        held = service.get_improvement(holder, first, lock=True)  # a review still in flight
        with db.unit_of_work() as session:
            assert service.review_due(session, Actor.system("other worker"), now) == 1
        assert held.status == "proposed"
    finally:
        holder.rollback()
        holder.close()
    with db.reader() as session:
        assert service.get_improvement(session, first).status == "proposed"
        assert service.get_improvement(session, second).status == "review"

"""The demo registers an improvement that its history achieves, reviewed the way the worker
does it, and one still in progress."""

from __future__ import annotations

from datetime import UTC, datetime

from guardrail.demo import seed
from guardrail.improvements import service, views
from guardrail.store.session import Database

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_demo_has_an_achieved_improvement(db: Database) -> None:
    with db.unit_of_work() as session:
        assert seed.seed(session, days=30, now=NOW) is True
    with db.reader() as session:
        rows, total = service.list_improvements(session)
        by_status = {row.status: views.detail(session, row, live=False) for row in rows}
    assert total == 2 and set(by_status) == {"achieved", "in_progress"}
    achieved = by_status["achieved"]
    assert achieved.metric == "lead_time" and achieved.service == "checkout-api"
    assert achieved.result is not None and achieved.result <= achieved.target < achieved.baseline
    assert [r.outcome for r in achieved.reviews] == ["achieved"]
    assert achieved.reviews[0].created_by == "improvements.review"
    assert len(achieved.actions) == 2
    assert by_status["in_progress"].team == "payments"

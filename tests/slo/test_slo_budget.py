"""Event-sourced SLOs end to end: idempotent pushes, budget math, alerts, and the gate's verdict."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slo_fixtures import ACTOR, apply, events_slo, make_service, policy

from guardrail.kit.time import utcnow
from guardrail.slo import jobs
from guardrail.slo import service as slo_service
from guardrail.slo.schemas import EventIn, EventsIn
from guardrail.slo.verdict import BudgetState


def _push(db, slo_id, rows):  # type: ignore[no-untyped-def]
    events = EventsIn(
        events=[EventIn(start=s, interval_seconds=60, good=g, total=t) for s, g, t in rows]
    )
    with db.unit_of_work() as session:
        return slo_service.push_events(session, ACTOR, slo_id, events)


def _minutes(now, count, good, total, offset=0):  # type: ignore[no-untyped-def]
    base = now.replace(second=0, microsecond=0)
    return [(base - timedelta(minutes=offset + i + 1), good, total) for i in range(count)]


def _evaluate(db, now=None):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return slo_service.evaluate(session, now or utcnow())


def _verdict(db, change_type="normal", env="production"):  # type: ignore[no-untyped-def]
    with db.reader() as session:
        return slo_service.budget_verdict(session, "checkout-api", env, change_type)


@pytest.fixture
def slo_id(db):  # type: ignore[no-untyped-def]
    make_service(db)
    (applied,) = apply(db, events_slo())
    return applied.id


def test_apply_is_versioned_and_idempotent(db, slo_id):
    (again,) = apply(db, events_slo())
    assert (again.id, again.version, again.change) == (slo_id, 1, "unchanged")
    (changed,) = apply(db, events_slo(target=0.99))
    assert (changed.version, changed.change) == (2, "updated")
    with db.reader() as session:
        slo = slo_service.get_slo(session, slo_id)
        assert [r["version"] for r in slo_service.revisions(session, slo)] == [2, 1]


def test_apply_needs_a_known_service(db):
    with pytest.raises(Exception, match="no service 'nowhere' in the catalogue"):
        apply(db, events_slo(service="nowhere"))


def test_duplicate_push_replaces_never_double_counts(db, slo_id):
    now = utcnow()
    rows = _minutes(now, 10, 990, 1000)
    assert _push(db, slo_id, rows).model_dump() == {"inserted": 10, "replaced": 0, "unchanged": 0}
    assert _push(db, slo_id, rows).model_dump() == {"inserted": 0, "replaced": 0, "unchanged": 10}
    fixed = [(s, 1000, 1000) for s, _, _ in rows[:3]]
    assert _push(db, slo_id, fixed).model_dump() == {"inserted": 0, "replaced": 3, "unchanged": 0}
    _evaluate(db, now)
    with db.reader() as session:
        state = slo_service.get_slo(session, slo_id).state
    assert state["error_ratio"] == pytest.approx(70 / 10000)  # 7 intervals of 10 bad in 1000


def test_budget_math_as_the_workbook_defines_it(db, slo_id):
    now = utcnow()
    # 60 minutes at 0.5% errors: with a 0.1% budget that is a burn rate of 5.
    _push(db, slo_id, _minutes(now, 60, 995, 1000))
    _evaluate(db, now)
    with db.reader() as session:
        state = slo_service.get_slo(session, slo_id).state
    assert state["budget"] == pytest.approx(0.001)
    assert state["burn_rates"]["1h"] == pytest.approx(5.0)
    assert state["remaining"] == pytest.approx(1 - 5.0)  # all the traffic so far burnt at 5x
    assert state["current_burn_rate"] == pytest.approx(5.0)
    assert state["exhaustion_seconds"] == 0.0


def test_remaining_and_time_to_exhaustion(db, slo_id):
    now = utcnow()
    # a long clean history and one bad hour: 6h of 1000/min, 60 bad in the last hour.
    _push(db, slo_id, _minutes(now, 300, 1000, 1000, offset=60))
    _push(db, slo_id, _minutes(now, 60, 999, 1000))
    _evaluate(db, now)
    with db.reader() as session:
        state = slo_service.get_slo(session, slo_id).state
    ratio = 60 / 360_000
    assert state["remaining"] == pytest.approx(1 - ratio / 0.001)
    assert state["burn_rates"]["1h"] == pytest.approx(1.0)
    expected = (1 - ratio / 0.001) * 28 * 86400 / 1.0
    assert state["exhaustion_seconds"] == pytest.approx(expected)


def test_page_alert_fires_once_and_resolves(db, slo_id, monkeypatch):
    seen: list[jobs.AlertEvent] = []
    monkeypatch.setattr(jobs, "ALERT_SINKS", [lambda session, event: seen.append(event)])
    now = utcnow()
    _push(db, slo_id, _minutes(now, 60, 900, 1000))  # 10% errors for an hour: burn rate 100
    for _ in range(3):
        _evaluate(db, now)
    with db.reader() as session:
        alerts = slo_service.active_alerts(session, service_id="checkout-api")
    assert sorted(a.severity for a in alerts) == ["page", "ticket"]
    assert [e.action for e in seen if e.severity == "page"] == ["fired"]
    page = next(e for e in seen if e.severity == "page")
    assert page.service == "checkout-api" and page.burn_rates["1h"] == pytest.approx(100.0)
    later = now + timedelta(minutes=35)
    # 35 clean minutes: both short windows (5m, 30m) recover, so neither page pair fires.
    _push(db, slo_id, _minutes(later, 35, 1000, 1000))
    _evaluate(db, later)
    with db.reader() as session:
        assert slo_service.active_alerts(session, severity="page") == []
    assert [e.action for e in seen if e.severity == "page"] == ["fired", "resolved"]


def test_verdict_blocks_on_exhausted_budget_and_lets_emergencies_through(db, slo_id):
    apply(db, policy())
    now = utcnow()
    _push(db, slo_id, _minutes(now, 100, 1000, 1000, offset=20))
    _push(db, slo_id, _minutes(now, 20, 993, 1000))  # 140 bad of 120,000: 117% of the budget
    _evaluate(db, now)
    blocked = _verdict(db, "normal")
    assert blocked.state == BudgetState.exhausted and not blocked.allowed
    assert blocked.reason == (
        "checkout-api has -17% of its error budget left (policy freeze-on-exhaustion)"
    )
    assert blocked.remaining == pytest.approx(1 - (140 / 120_000) / 0.001)
    assert (blocked.slo, blocked.policy) == ("checkout-events", "freeze-on-exhaustion")
    emergency = _verdict(db, "emergency")
    assert emergency.allowed and emergency.exempt and emergency.state == BudgetState.exhausted
    assert emergency.reason.endswith(
        "allowed because emergency changes are exempt from this policy"
    )


def test_verdict_ok_no_slo_and_no_data(db, slo_id):
    assert _verdict(db).state == BudgetState.ok  # no policy: the budget does not gate
    apply(db, policy(no_data="fail_closed"))
    closed = _verdict(db)  # never evaluated
    assert closed.state == BudgetState.no_data and not closed.allowed
    assert "no data for SLO checkout-events since it was applied" in closed.reason
    assert "fails closed" in closed.reason
    assert _verdict(db, "security").allowed
    apply(db, policy(no_data="fail_open"))
    opened = _verdict(db)
    assert opened.allowed and opened.reason.split("; ")[1].startswith(
        "policy freeze-on-exhaustion fails open"
    )
    now = utcnow()
    _push(db, slo_id, _minutes(now, 30, 1000, 1000))
    _evaluate(db, now)
    fine = _verdict(db)
    assert fine.state == BudgetState.ok and fine.allowed and fine.remaining == pytest.approx(1.0)
    make_service(db, "other")
    with db.reader() as session:
        none = slo_service.budget_verdict(session, "other", "production", "normal")
    assert none.state == BudgetState.no_slo and none.allowed


def test_stale_state_counts_as_no_data(db, slo_id):
    apply(db, policy())
    now = utcnow()
    _push(db, slo_id, _minutes(now, 30, 1000, 1000))
    _evaluate(db, now - timedelta(minutes=30))  # the worker stopped half an hour ago
    verdict = _verdict(db)
    assert verdict.state == BudgetState.no_data and verdict.allowed
    assert "no data for SLO checkout-events since" in verdict.reason


def test_budget_consumed_and_postmortem_rule(db, slo_id):
    apply(db, policy())
    now = utcnow().replace(second=0, microsecond=0)
    _push(db, slo_id, _minutes(now, 600, 1000, 1000, offset=30))
    _push(db, slo_id, _minutes(now, 30, 990, 1000))  # incident: 300 bad of 630,000
    with db.reader() as session:
        consumed = slo_service.budget_consumed(
            session, "checkout-api", now - timedelta(minutes=30), now
        )
        needed = slo_service.postmortem_required(
            session, "checkout-api", now - timedelta(minutes=30), now
        )
    assert consumed == {"checkout-events": pytest.approx(300 / (0.001 * 630_000))}
    (item,) = needed
    assert item["policy"] == "postmortem-over-20-percent" and item["consumed"] > 0.2
    assert "requires a postmortem" in item["reason"]


def test_timeslices_count_good_slices(db):
    make_service(db)
    text = events_slo(name="slices", target=0.9).replace("Occurrences", "Timeslices")
    text = text.replace(
        "    - target: 0.9",
        "    - target: 0.9\n      timeSliceTarget: 0.99\n      timeSliceWindow: 1m",
    )
    (applied,) = apply(db, text)
    now = utcnow()
    # 10 slices: 8 good (>= 99% good), 2 bad (95%): bad slices 20%, budget 10% → burn rate 2.
    rows = _minutes(now, 8, 995, 1000) + _minutes(now, 2, 950, 1000, offset=8)
    _push(db, applied.id, rows)
    _evaluate(db, now)
    with db.reader() as session:
        state = slo_service.get_slo(session, applied.id).state
    assert state["error_ratio"] == pytest.approx(0.2)
    assert state["remaining"] == pytest.approx(1 - 2.0)

"""The demo's scoreboard for one service, checked against its raw rows by a calculation written
here from the definitions in docs/metrics.md (plain Python over table rows; no practice code)."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from guardrail.demo import seed
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.store.base import Base
from guardrail.store.session import Database

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SERVICE = "checkout-api"


@pytest.fixture
def seeded(db: Database) -> Database:
    with db.unit_of_work() as session:
        assert seed.seed(session, days=30, now=NOW) is True
    return db


def rows(session: Any, table: str) -> list[dict[str, Any]]:
    t = Base.metadata.tables[table]
    return [dict(r._mapping) for r in session.execute(select(t))]


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def within(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= utc(at) < end  # type: ignore[operator]


def nearest_rank_p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def test_checkout_figures_match_an_independent_calculation(seeded: Database) -> None:
    start, end = NOW - timedelta(days=14), NOW
    with seeded.reader() as session:
        board = metrics.scoreboard(session, ScopeIn(service=SERVICE, since="14d"), now=NOW)
        deps = rows(session, "deployments")
        links = rows(session, "deployment_incident_links")
        delivered = rows(session, "deployment_commits")
        commits = {c["id"]: c for c in rows(session, "commits")}
        incidents = rows(session, "incidents")
        causes = rows(session, "incident_causes")
        changes = rows(session, "changes")
        service_id = next(s["id"] for s in rows(session, "services") if s["name"] == SERVICE)

    mine = [
        d
        for d in deps
        if d["service"] == SERVICE
        and d["environment"] == "production"
        and within(d["deployed_at"], start, end)
    ]
    weeks = 2.0
    ok = [d for d in mine if d["status"] == "success"]
    assert board.metric("deployment_frequency").value == pytest.approx(len(ok) / weeks)
    days = {utc(d["deployed_at"]).date() for d in ok}  # type: ignore[union-attr]
    assert board.metric("deployment_frequency").detail["deployment_days_per_week"] == (
        pytest.approx(len(days) / weeks)
    )

    # Change failure rate: failed, rolled back by a successful deployment, or caused an incident.
    finished = [d for d in mine if d["status"] in ("success", "failed")]
    rolled_back = {
        d["rollback_of_id"] for d in deps if d["rollback_of_id"] and d["status"] == "success"
    }
    caused = {link["deployment_id"] for link in links if link["kind"] == "cause"}
    failed = [
        d
        for d in finished
        if d["status"] == "failed" or d["id"] in rolled_back or d["id"] in caused
    ]
    assert len(failed) > 0, "the demo must give checkout-api some failures in two weeks"
    assert board.metric("change_failure_rate").value == pytest.approx(len(failed) / len(finished))
    assert board.metric("change_failure_rate").detail == {
        "failed": len(failed),
        "deployments": len(finished),
    }
    rework = {link["deployment_id"] for link in links if link["kind"] == "rework"}
    assert board.metric("rework_rate").value == pytest.approx(
        sum(1 for d in finished if d["id"] in rework) / len(finished)
    )

    # Lead time: each commit's first successful production deployment, committed -> deployed.
    by_id = {d["id"]: d for d in deps}
    first: dict[str, datetime] = {}
    for row in delivered:
        dep = by_id[row["deployment_id"]]
        if dep["status"] == "success" and dep["environment"] == "production":
            at = utc(dep["deployed_at"])
            if row["commit_id"] not in first or at < first[row["commit_id"]]:  # type: ignore[operator]
                first[row["commit_id"]] = at  # type: ignore[assignment]
    mine_ids = {d["id"] for d in deps if d["service"] == SERVICE}
    own = {r["commit_id"] for r in delivered if r["deployment_id"] in mine_ids}
    leads = [
        (at - utc(commits[cid]["committed_at"])).total_seconds()  # type: ignore[operator]
        for cid, at in first.items()
        if cid in own and start <= at < end
    ]
    lead = board.metric("lead_time")
    assert lead.value == pytest.approx(statistics.median(leads))
    assert lead.detail["p90"] == pytest.approx(nearest_rank_p90(leads))
    assert lead.detail["commits"] == len(leads)

    # Incidents of the service opened in the period.
    opened = [
        i for i in incidents if i["service_id"] == service_id and within(i["opened_at"], start, end)
    ]
    assert board.metric("incidents").value == len(opened)
    acked = [
        (utc(i["acknowledged_at"]) - utc(i["opened_at"])).total_seconds()  # type: ignore[operator]
        for i in opened
        if i["acknowledged_at"]
    ]
    assert board.metric("mtta").value == pytest.approx(statistics.fmean(acked) if acked else None)
    change_caused = {c["incident_id"] for c in causes} | {
        link["incident_id"] for link in links if link["kind"] == "cause"
    }
    recoveries = [
        (utc(i["resolved_at"]) - utc(i["started_at"])).total_seconds()  # type: ignore[operator]
        for i in opened
        if i["id"] in change_caused and i["resolved_at"]
    ]
    expected = statistics.median(recoveries) if recoveries else None
    assert board.metric("recovery_time").value == pytest.approx(expected)

    # Change success rate: completed among closed changes created in the period.
    closed = [
        c
        for c in changes
        if c["service_id"] == service_id
        and c["environment"] == "production"
        and within(c["created_at"], start, end)
        and c["state"] in ("completed", "failed", "rolled_back")
    ]
    completed = sum(1 for c in closed if c["state"] == "completed")
    assert board.metric("change_success_rate").value == pytest.approx(completed / len(closed))

    # Problem management is tracked: nobody opened a problem or an action item here.
    problems = board.metric("open_problems")
    assert problems.tracked is True and problems.value == 0
    assert board.metric("overdue_actions").value == 0

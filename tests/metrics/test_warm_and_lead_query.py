"""Startup warming compiles the templates and sets up the default board without caching stale
figures; the period-first lead-time query gives the same rows as computing every commit's first
production delivery over the whole history and filtering afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from guardrail.cmdb import service as cmdb
from guardrail.cmdb.schemas import ServiceCreate
from guardrail.kit.context import Actor
from guardrail.metrics import service as metrics
from guardrail.metrics.schemas import ScopeIn
from guardrail.releases import reports
from guardrail.releases import service as releases
from guardrail.releases.models import Commit, DeploymentCommit
from guardrail.releases.schemas import DeploymentRecord
from guardrail.store.session import Database
from guardrail.web.render import environment, warm_templates

ACTOR = Actor.system("tests")
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    metrics.clear_cache()
    yield
    metrics.clear_cache()


def _deploy(db: Database, service: str, version: str, at: datetime, **more: object) -> str:
    with db.unit_of_work() as session:
        data = DeploymentRecord(
            service=service, environment="production", version=version, finished_at=at, **more
        )
        return releases.record_deployment(session, ACTOR, data).id


def test_warm_templates_compiles_every_page_template() -> None:
    count = warm_templates()
    names = [n for n in environment().list_templates() if n.endswith(".html")]
    assert count == len(names) and "home.html" in names and "releases/release.html" in names
    cached = {template.name for template in environment().cache.values()}  # type: ignore[union-attr]
    assert set(names) <= cached


def test_warm_builds_nothing_on_an_empty_database_and_caches_nothing(db: Database) -> None:
    assert metrics.warm(db) == 0
    _deploy(db, "shop", "1.0", NOW - timedelta(hours=2))
    assert metrics.warm(db) == 0  # "shop" is not in the catalogue: no board to build
    with db.unit_of_work() as session:
        cmdb.create_service(session, ACTOR, ServiceCreate(name="shop"))
    _deploy(db, "shop", "1.0.1", NOW - timedelta(hours=90))  # a deployment of the catalogued one
    assert metrics.warm(db) == 1
    _deploy(db, "shop", "1.1", NOW - timedelta(hours=1))
    with db.reader() as session:
        board = metrics.scoreboard(session, ScopeIn(since="7d"))
    frequency = next(m for m in board.dora if m.key == "deployment_frequency")
    assert frequency.detail["deployments"] == 3  # 1.1 too: computed now, nothing kept from warming


def test_app_startup_warms_in_the_background(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    _deploy(db, "shop", "1.0", NOW - timedelta(hours=2))
    assert app.openapi_schema is None
    with TestClient(app):
        warming = [t for t in threading.enumerate() if t.name == "guardrail-warm"]
        assert warming, "the app's startup started no warm-up"
        for thread in warming:
            thread.join(timeout=60)
        assert all(not t.is_alive() for t in warming)
        assert app.openapi_schema is not None  # built before any request asked for it
    assert {t.name for t in environment().cache.values()} >= {"home.html"}  # type: ignore[union-attr]


def _commit(db: Database, label: str, at: datetime) -> str:
    with db.unit_of_work() as session:
        row = Commit(sha=label * 40, repository="acme/shop", committed_at=at, message=label)
        session.add(row)
        session.flush()
        return row.id


def _deliver(db: Database, dep_id: str, *commit_ids: str) -> None:
    with db.unit_of_work() as session:
        for commit_id in commit_ids:
            session.add(DeploymentCommit(deployment_id=dep_id, commit_id=commit_id))


def _whole_history_then_filter(db: Database, start: datetime, end: datetime, by_service: bool):  # type: ignore[no-untyped-def]
    """The definition, computed the slow way: every commit's first delivery, then the period."""
    with db.reader() as session:
        everything = reports.lead_times(
            session, service=None, start=None, end=None, per_service=by_service
        )
    return sorted(
        (t.sha, t.service, t.deployed_at)
        for t in everything
        if start <= t.deployed_at.replace(tzinfo=UTC) < end
    )


def test_period_first_lead_times_match_the_whole_history_definition(db: Database) -> None:
    day = timedelta(days=1)
    a, b, c, d = (_commit(db, x, NOW - 40 * day) for x in "abcd")
    old = _deploy(db, "shop", "1", NOW - 30 * day)  # a: first delivered before the period
    new = _deploy(db, "shop", "2", NOW - 5 * day)  # a again (re-delivered), b
    other = _deploy(db, "cart", "1", NOW - 4 * day)  # a and c, by another service
    late = _deploy(db, "shop", "3", NOW + day)  # d: after the period
    _deliver(db, old, a)
    _deliver(db, new, a, b)
    _deliver(db, other, a, c)
    _deliver(db, late, d)
    start, end = NOW - 10 * day, NOW
    for by_service in (False, True):
        with db.reader() as session:
            fast = reports.lead_times(
                session, service=None, start=start, end=end, per_service=by_service
            )
        got = sorted((t.sha, t.service, t.deployed_at) for t in fast)
        assert got == _whole_history_then_filter(db, start, end, by_service)
        with db.reader() as session:
            lean = reports.commit_lead_seconds(
                session,
                start=start,
                end=end,
                environments=["production"],
                per_service=by_service,
            )
        assert sorted((s, at, sec) for s, at, sec in lean) == sorted(
            (t.service, t.deployed_at, t.commit_to_deploy) for t in fast
        )
    with db.reader() as session:
        org = reports.lead_times(session, service=None, start=start, end=end)
        per = reports.lead_times(session, service=None, start=start, end=end, per_service=True)
        shop = reports.lead_times(session, service="shop", start=start, end=end)
    assert sorted(t.sha[0] for t in org) == ["b", "c"]  # a reached production 30 days ago
    assert sorted((t.sha[0], t.service) for t in per) == [
        ("a", "cart"),
        ("b", "shop"),
        ("c", "cart"),
    ]
    assert [t.sha[0] for t in shop] == ["b"]

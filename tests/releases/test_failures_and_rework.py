"""Failure links with provenance, rollbacks, rework, and `root cause: <sha>` references."""

from __future__ import annotations

from datetime import timedelta

from release_helpers import T0, drain, github_integration, history, post_all, sha
from sqlalchemy import select

from guardrail.audit.models import AuditEvent
from guardrail.kit.context import Actor
from guardrail.releases import reports
from guardrail.releases import service as releases
from guardrail.releases.schemas import DeploymentRecord

ACTOR = Actor.system("tests")
WINDOW = {
    "service": "shop",
    "environment": "production",
    "start": T0 - timedelta(days=2),
    "end": T0 + timedelta(days=2),
}


def _record(db, **values):
    with db.unit_of_work() as session:
        return releases.record_deployment(session, ACTOR, DeploymentRecord(**values)).id


def test_one_deployment_counted_once_whatever_names_it(db):
    dep = _record(
        db, service="shop", environment="production", version="1.0", commit="a" * 40, finished_at=T0
    )
    with db.unit_of_work() as session:
        releases.link_failure(
            session, ACTOR, dep, "inc_1", "heuristic", "suspect: deployed 4 min before"
        )
        releases.link_failure(session, ACTOR, dep, "inc_1", "explicit", "confirmed in triage")
        releases.link_failure(session, ACTOR, dep, "inc_2", "rollback")
        releases.link_failure(session, ACTOR, dep, "inc_1", "heuristic")  # weaker: changes nothing
    rollback = _record(
        db,
        service="shop",
        environment="production",
        version="0.9",
        commit="9" * 40,
        finished_at=T0 + timedelta(minutes=30),
        rollback_of=dep,
    )
    with db.reader() as session:
        failures = reports.failures(session, **WINDOW)
        assert [f.deployment.id for f in failures] == [dep]
        assert failures[0].incidents == [("inc_1", "explicit"), ("inc_2", "rollback")]
        assert failures[0].reasons[0] == f"rolled back by {rollback}"
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "deployment.link")
        ).all()
        assert len(events) == 3  # create, upgrade to explicit, second incident
    with db.unit_of_work() as session:
        assert releases.unlink(session, ACTOR, dep, "inc_2") is True
        assert releases.unlink(session, ACTOR, dep, "inc_2") is False


def test_failed_status_and_rework(db):
    failed = _record(
        db,
        service="shop",
        environment="production",
        version="2.0",
        commit="b" * 40,
        status="failed",
        finished_at=T0,
    )
    hotfix = _record(
        db,
        service="shop",
        environment="production",
        version="2.0.1",
        commit="c" * 40,
        finished_at=T0 + timedelta(hours=1),
        hotfix_for="inc_9",
    )
    with db.reader() as session:
        assert [(f.deployment.id, f.reasons) for f in reports.failures(session, **WINDOW)] == [
            (failed, ["status failed"])
        ]
        assert reports.rework(session, **WINDOW) == {hotfix: ["inc_9"]}
        deps = reports.deployments(session, **WINDOW)
        assert {d.id for d in deps} == {failed, hotfix}


def test_root_cause_references_resolve_to_the_delivering_deployment(client, auth, db, settings):
    post_all(client, github_integration(client, auth), history())
    drain(db, settings)
    with db.reader() as session:
        found = releases.resolve_root_cause_refs(
            session, f"Root cause: {sha('c1')[:10]} broke the basket"
        )
        assert [(d.key, d.environment) for d in found] == [("github:acme/shop:3", "production")]
        by_sha = releases.resolve_root_cause_refs(session, f"root-cause={sha('c3')}")
        assert [d.key for d in by_sha] == ["github:acme/shop:4"]
        assert releases.resolve_root_cause_refs(session, "no reference here") == []
        by_id = releases.resolve_root_cause_refs(session, f"root cause: {found[0].id}")
        assert [d.id for d in by_id] == [found[0].id]


def test_links_over_http(client, auth, make_token):
    dep = client.post(
        "/api/v1/releases/deployments",
        headers=auth,
        json={"service": "shop", "environment": "production", "version": "3", "commit": "d" * 40},
    ).json()
    viewer = {"Authorization": f"Bearer {make_token('viewer')}"}
    denied = client.post(
        f"/api/v1/releases/deployments/{dep['id']}/failures",
        headers=viewer,
        json={"incident_id": "inc_7"},
    )
    assert denied.status_code == 403
    made = client.post(
        f"/api/v1/releases/deployments/{dep['id']}/failures",
        headers=auth,
        json={"incident_id": "inc_7", "provenance": "explicit", "note": "triage"},
    )
    assert made.status_code == 201 and made.json()["kind"] == "cause"
    shown = client.get(f"/api/v1/releases/deployments/{dep['id']}", headers=auth).json()
    assert shown["failed"] is True and shown["failure_reasons"] == ["caused inc_7 (explicit)"]
    gone = client.delete(
        f"/api/v1/releases/deployments/{dep['id']}/links/cause/inc_7", headers=auth
    )
    assert gone.status_code == 204
    assert (
        client.get(f"/api/v1/releases/deployments/{dep['id']}", headers=auth).json()["failed"]
        is False
    )
    missing = client.post(
        "/api/v1/releases/deployments/dep_nope/failures", headers=auth, json={"incident_id": "x"}
    )
    assert missing.status_code == 404


def test_period_flags_match_the_per_deployment_rules(db):
    """The scoreboard's three-query read gives the same failed and rework flags as
    failure_reasons and rework_of over the same deployments."""
    start = T0 - timedelta(days=1)
    ids = [
        _record(db, service="shop", environment="production", version=f"{n}.0",
                commit=f"{n:x}" * 40, finished_at=start + timedelta(hours=n),
                status="failed" if n == 3 else "success")
        for n in range(1, 7)
    ]  # fmt: skip
    _record(
        db,
        service="shop",
        environment="production",
        version="1.1",
        commit="e" * 40,
        finished_at=start + timedelta(hours=8),
        rollback_of=ids[0],
    )
    with db.unit_of_work() as session:
        releases.link_failure(session, ACTOR, ids[1], "inc_a", "heuristic")
        releases.link_failure(session, ACTOR, ids[1], "inc_b", "explicit")
        releases.link_rework(session, ACTOR, ids[4], "inc_a")
        releases.link_rework(session, ACTOR, ids[5], "inc_b", "emergency_change")
    window = {**WINDOW, "start": start, "end": start + timedelta(hours=7)}  # not the rollback
    with db.reader() as session:
        fast = reports.period_deployments(session, **window)
        deps = reports.deployments(session, **window)
        failed = reports.failure_reasons(session, deps)
        rework = reports.rework_of(session, deps)
    assert [d.id for d in fast] == sorted(ids, key=lambda i: ids.index(i))
    assert {d.id for d in fast if d.failed} == set(failed) == {ids[0], ids[1], ids[2]}
    assert {d.id for d in fast if d.rework} == set(rework) == {ids[4], ids[5]}
    by_id = {d.id: d for d in fast}
    assert sorted(by_id[ids[1]].incidents) == sorted(failed[ids[1]].incidents)

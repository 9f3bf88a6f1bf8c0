"""The read side: deployments as shown, one deployment with its commits and lead times, and the
functions the scoreboard reads (deployments, failures, lead times, rework) for a service,
environment and period.

A deployment failed when its status is failed, or a successful deployment rolled it back, or an
incident names it as the cause; it is one failure however many of those hold (``reasons`` lists
them all, with each link's provenance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from guardrail.releases import repository
from guardrail.releases.enums import PRODUCTION_ENVIRONMENTS, LinkKind, is_production
from guardrail.releases.models import Deployment, Release
from guardrail.releases.schemas import (
    CommitLeadTime,
    DeploymentDetail,
    DeploymentOut,
    LinkOut,
    ReleaseDetail,
    ReleaseOut,
)


@dataclass
class Failure:
    """One failed deployment and every reason it counts as failed."""

    deployment: Deployment
    reasons: list[str] = field(default_factory=list)
    incidents: list[tuple[str, str]] = field(default_factory=list)  # (incident id, provenance)


@dataclass
class LeadTime:
    """One commit's way to production (seconds; None where a time is unknown)."""

    sha: str
    deployed_at: datetime
    commit_to_deploy: float | None
    merge_to_deploy: float | None
    pr_first_commit_to_deploy: float | None
    service: str | None = None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def failure_reasons(session: Session, deps: list[Deployment]) -> dict[str, Failure]:
    """Deployment id -> its Failure, for the failed ones among ``deps``."""
    ids = [d.id for d in deps]
    rolled = repository.rollbacks_of(session, ids)
    result: dict[str, Failure] = {}
    for dep in deps:
        reasons = []
        if dep.status == "failed":
            reasons.append("status failed")
        if dep.id in rolled:
            reasons.append(f"rolled back by {rolled[dep.id]}")
        if reasons:
            result[dep.id] = Failure(dep, reasons)
    by_id = {d.id: d for d in deps}
    for link in repository.links_of(session, ids):
        if link.kind != LinkKind.cause.value:
            continue
        failure = result.setdefault(link.deployment_id, Failure(by_id[link.deployment_id]))
        failure.reasons.append(f"caused {link.incident_id} ({link.provenance})")
        failure.incidents.append((link.incident_id, link.provenance))
    return result


def rework_of(session: Session, deps: list[Deployment]) -> dict[str, list[str]]:
    """Deployment id -> incidents it was made for, for the rework among ``deps``."""
    result: dict[str, list[str]] = {}
    for link in repository.links_of(session, [d.id for d in deps]):
        if link.kind == LinkKind.rework.value:
            result.setdefault(link.deployment_id, []).append(link.incident_id)
    return result


def to_out(session: Session, deps: list[Deployment]) -> list[DeploymentOut]:
    """Deployments as the API shows them, with failure and rework flags."""
    failures = failure_reasons(session, deps)
    rework = rework_of(session, deps)
    return [
        DeploymentOut.model_validate(d).model_copy(
            update={
                "failed": d.id in failures,
                "failure_reasons": failures[d.id].reasons if d.id in failures else [],
                "rework": d.id in rework,
            }
        )
        for d in deps
    ]


def list_deployments(
    session: Session,
    *,
    service: str | None = None,
    environment: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DeploymentOut], int]:
    """Deployments, newest first, with their flags."""
    rows, total = repository.list_deployments(
        session,
        service=service,
        environment=environment,
        status=status,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    return to_out(session, rows), total


def deployment_detail(session: Session, dep: Deployment) -> DeploymentDetail:
    """One deployment with the commits it delivered and each commit's lead time."""
    out = to_out(session, [dep])[0]
    rows = repository.delivered_commits(session, dep.id)
    production = (
        {dep.environment} if is_production(dep.environment) else set(PRODUCTION_ENVIRONMENTS)
    )
    first = repository.first_deliveries(session, [c.id for c, _ in rows], production)
    commits = [_commit_out(c, pr, first.get(c.id)) for c, pr in rows]
    links = [LinkOut.model_validate(link) for link in repository.links_of(session, [dep.id])]
    rolled = repository.rollbacks_of(session, [dep.id]).get(dep.id)
    releases = (
        [r.id for r in repository.releases_of(session, dep.service, dep.version)]
        if dep.version
        else []
    )
    return DeploymentDetail(
        **out.model_dump(), commits=commits, links=links, rolled_back_by=rolled, releases=releases
    )


def median_lead_times(session: Session, deps: list[DeploymentOut]) -> dict[str, float | None]:
    """Deployment id -> the median lead time of the commits it delivered (as its detail shows
    them), for a page of deployments in a few queries."""
    rows = repository.delivered_times(session, [d.id for d in deps if d.commit_count])
    by_dep: dict[str, list[tuple[str, datetime | None]]] = {}
    for dep_id, commit_id, committed_at in rows:
        by_dep.setdefault(dep_id, []).append((commit_id, committed_at))
    firsts: dict[frozenset[str], dict[str, tuple[datetime, str]]] = {}
    result: dict[str, float | None] = {}
    for dep in deps:
        commits = by_dep.get(dep.id)
        if not commits:
            continue
        envs = frozenset(
            {dep.environment} if is_production(dep.environment) else PRODUCTION_ENVIRONMENTS
        )
        if envs not in firsts:
            ids = sorted({c for rows_ in by_dep.values() for c, _ in rows_})
            firsts[envs] = repository.first_deliveries(session, ids, envs)
        values = [
            s
            for commit_id, committed in commits
            for s in [_seconds(committed, firsts[envs].get(commit_id, (None,))[0])]
            if s is not None
        ]
        result[dep.id] = median(values) if values else None
    return result


def _commit_out(commit, pr, first: tuple[datetime, str] | None) -> CommitLeadTime:  # type: ignore[no-untyped-def]
    at, dep_id = first if first else (None, None)
    return CommitLeadTime(
        sha=commit.sha,
        message=commit.message.split("\n", 1)[0][:200],
        author=commit.author_name or commit.author_email,
        committed_at=commit.committed_at,
        pull_request=pr.key if pr else None,
        merged_at=pr.merged_at if pr else None,
        first_commit_at=pr.first_commit_at if pr else None,
        first_production_at=at,
        first_production_deployment=dep_id,
        lead_time_seconds=_seconds(commit.committed_at, at),
        merge_to_deploy_seconds=_seconds(pr.merged_at, at) if pr else None,
        pr_first_commit_to_deploy_seconds=_seconds(pr.first_commit_at, at) if pr else None,
    )


def list_releases(
    session: Session, *, service: str | None, limit: int, offset: int
) -> tuple[list[ReleaseOut], int]:
    """Releases, newest first."""
    rows, total = repository.list_releases(session, service=service, limit=limit, offset=offset)
    return [ReleaseOut.model_validate(r) for r in rows], total


def release_detail(session: Session, release: Release) -> ReleaseDetail:
    """A release with the deployments of its version, oldest first."""
    deps = repository.deployments_of_version(session, release.service, release.version)
    out = ReleaseOut.model_validate(release).model_dump()
    return ReleaseDetail(**out, deployments=to_out(session, deps))


# --- the scoreboard's read side ---


@dataclass(frozen=True)
class PeriodDeployment:
    """A deployment as the scoreboard counts it: when, its status, and whether it failed (any
    reason, once) or was rework; ``incidents`` are those it caused, with provenance."""

    id: str
    service: str
    deployed_at: datetime
    status: str
    failed: bool
    rework: bool
    incidents: tuple[tuple[str, str], ...] = ()


def period_deployments(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> list[PeriodDeployment]:
    """Deployments (any status) in [start, end) with their failure and rework flags, by the
    same rules as ``failure_reasons`` and ``rework_of``, in three queries whatever the count."""
    period: dict[str, Any] = {
        "service": service,
        "environment": environment,
        "start": start,
        "end": end,
    }
    rows = repository.period_rows(session, **period)
    rolled = repository.period_rolled_back(session, **period)
    caused: dict[str, list[tuple[str, str]]] = {}
    rework: set[str] = set()
    for link in repository.period_links(session, **period):
        if link.kind == LinkKind.cause.value:
            caused.setdefault(link.deployment_id, []).append((link.incident_id, link.provenance))
        elif link.kind == LinkKind.rework.value:
            rework.add(link.deployment_id)
    return [
        PeriodDeployment(
            id=r.id,
            service=r.service,
            deployed_at=r.deployed_at,
            status=r.status,
            failed=r.status == "failed" or r.id in rolled or r.id in caused,
            rework=r.id in rework,
            incidents=tuple(caused.get(r.id, ())),
        )
        for r in rows
    ]


def a_catalogued_service(session: Session) -> str | None:
    """The name of some service that has deployments and is in the catalogue, if any."""
    return repository.a_catalogued_service(session)


def deployments(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> list[Deployment]:
    """Deployments (any status) of a service and environment whose time falls in [start, end)."""
    rows, _ = repository.list_deployments(
        session,
        service=service,
        environment=environment,
        status=None,
        start=start,
        end=end,
        limit=None,
    )
    return rows


def failures(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> list[Failure]:
    """The failed deployments in the period, each once, with every reason and provenance."""
    deps = deployments(session, service=service, environment=environment, start=start, end=end)
    found = failure_reasons(session, deps)
    return [found[d.id] for d in deps if d.id in found]


def rework(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> dict[str, list[str]]:
    """Deployment id -> incidents, for the deployments in the period made because of incidents."""
    return rework_of(
        session,
        deployments(session, service=service, environment=environment, start=start, end=end),
    )


def lead_times(
    session: Session,
    *,
    service: str | None,
    start: datetime | None,
    end: datetime | None,
    environments: list[str] | None = None,
    services: list[str] | None = None,
    per_service: bool = False,
) -> list[LeadTime]:
    """Per commit first delivered to production in [start, end): commit -> deploy, merge ->
    deploy and pull request's first commit -> deploy. ``services`` limits the deployments to
    those services; ``per_service`` gives one row per commit and service that delivered it
    (``LeadTime.service`` set), as if asked service by service, in one query."""
    envs = environments or sorted(PRODUCTION_ENVIRONMENTS)
    rows = repository.lead_time_rows(
        session,
        service=service,
        environments=envs,
        start=start,
        end=end,
        services=services,
        per_service=per_service,
    )
    return [
        LeadTime(
            sha=r.sha,
            deployed_at=r.deployed_at,
            commit_to_deploy=_seconds(r.committed_at or r.authored_at, r.deployed_at),
            merge_to_deploy=_seconds(r.merged_at, r.deployed_at),
            pr_first_commit_to_deploy=_seconds(r.first_commit_at or r.opened_at, r.deployed_at),
            service=r.service if per_service else service,
        )
        for r in rows
    ]


def commit_lead_seconds(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    environments: list[str],
    services: list[str] | None = None,
    per_service: bool = False,
) -> list[tuple[str | None, datetime, float]]:
    """(service or None, deployed at, commit -> deploy seconds) per commit first delivered in
    [start, end): the same commits and seconds as ``lead_times``, without the pull request
    times, for the scoreboard's hundreds of thousands of commits."""
    rows = repository.commit_lead_rows(
        session,
        environments=environments,
        start=start,
        end=end,
        services=services,
        per_service=per_service,
    )
    out = []
    for service, deployed_at, committed_at, authored_at in rows:
        seconds = _seconds(committed_at or authored_at, deployed_at)
        if seconds is not None:
            out.append((service, deployed_at, seconds))
    return out


def median_lead_time(times: list[LeadTime]) -> float | None:
    """The median commit -> deploy time in seconds, or None without data."""
    values = [t.commit_to_deploy for t in times if t.commit_to_deploy is not None]
    return median(values) if values else None

"""Every query of the releases practice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from guardrail.releases.models import (
    Artifact,
    Commit,
    Deployment,
    DeploymentCommit,
    DeploymentIncidentLink,
    PipelineRun,
    PullRequest,
    Release,
)

CHUNK = 500


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --- deployments ---


def deployment(session: Session, deployment_id: str) -> Deployment | None:
    return session.get(Deployment, deployment_id)


def deployment_by_key(session: Session, key: str) -> Deployment | None:
    return session.scalars(select(Deployment).where(Deployment.key == key)).first()


def _before(dep: Deployment) -> Any:
    return or_(
        Deployment.deployed_at < dep.deployed_at,
        and_(Deployment.deployed_at == dep.deployed_at, Deployment.id < dep.id),
    )


def previous_success(session: Session, dep: Deployment) -> Deployment | None:
    """The newest successful deployment of the same service and environment before ``dep``."""
    return session.scalars(
        select(Deployment)
        .where(
            Deployment.service == dep.service,
            Deployment.environment == dep.environment,
            Deployment.status == "success",
            _before(dep),
        )
        .order_by(Deployment.deployed_at.desc(), Deployment.id.desc())
        .limit(1)
    ).first()


def successes_from(
    session: Session, service: str, environment: str, since: datetime | None
) -> list[Deployment]:
    """Successful deployments of a service and environment from ``since`` on, oldest first."""
    query = select(Deployment).where(
        Deployment.service == service,
        Deployment.environment == environment,
        Deployment.status == "success",
    )
    if since is not None:
        query = query.where(Deployment.deployed_at >= since)
    return list(session.scalars(query.order_by(Deployment.deployed_at, Deployment.id)))


def deployments_waiting_for(session: Session, shas: list[str]) -> list[Deployment]:
    """Successful deployments whose commit attribution lacked one of ``shas`` (or a prefix)."""
    found: dict[str, Deployment] = {}
    for chunk in _chunks(shas):
        rows = session.scalars(
            select(Deployment).where(
                Deployment.status == "success",
                or_(Deployment.missing_sha.in_(chunk), Deployment.sha.in_(chunk)),
                Deployment.attribution != "complete",
            )
        )
        found.update({d.id: d for d in rows})
    short = session.scalars(
        select(Deployment).where(
            # Through the missing_sha index: without it every push scanned every deployment.
            Deployment.missing_sha.is_not(None),
            Deployment.status == "success",
            Deployment.attribution != "complete",
            func.length(Deployment.missing_sha) < 40,
        )
    )
    for dep in short:
        if any(s.startswith(dep.missing_sha or "\x00") for s in shas):
            found[dep.id] = dep
    return list(found.values())


def rollbacks_of(session: Session, deployment_ids: list[str]) -> dict[str, str]:
    """Deployment id -> the successful deployment that rolled it back."""
    result: dict[str, str] = {}
    for chunk in _chunks(deployment_ids):
        rows = session.execute(
            select(Deployment.rollback_of_id, Deployment.id).where(
                Deployment.rollback_of_id.in_(chunk), Deployment.status == "success"
            )
        )
        result.update({row[0]: row[1] for row in rows if row[0]})
    return result


def list_deployments(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
    offset: int = 0,
) -> tuple[list[Deployment], int]:
    """Deployments, newest first, filtered."""
    query = select(Deployment)
    for column, value in ((Deployment.service, service), (Deployment.environment, environment)):
        if value:
            query = query.where(column == value)
    if status:
        query = query.where(Deployment.status == status)
    if start:
        query = query.where(Deployment.deployed_at >= start)
    if end:
        query = query.where(Deployment.deployed_at < end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(Deployment.deployed_at.desc(), Deployment.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def a_catalogued_service(session: Session) -> str | None:
    return session.scalar(
        select(Deployment.service).where(Deployment.service_id.is_not(None)).limit(1)
    )


def _period(
    table: Any, service: str | None, environment: str | None, start: datetime, end: datetime
) -> list[Any]:
    where = [table.deployed_at >= start, table.deployed_at < end]
    if service:
        where.append(table.service == service)
    if environment:
        where.append(table.environment == environment)
    return where


def period_rows(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> list[Any]:
    """(id, service, deployed_at, status) of the deployments in [start, end), oldest first."""
    return list(
        session.execute(
            select(Deployment.id, Deployment.service, Deployment.deployed_at, Deployment.status)
            .where(*_period(Deployment, service, environment, start, end))
            .order_by(Deployment.deployed_at, Deployment.id)
        )
    )


def period_rolled_back(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> dict[str, str]:
    """Deployment in [start, end) -> the successful deployment that rolled it back, found by
    a join rather than a list of ids (a period may hold tens of thousands)."""
    rolled = aliased(Deployment)
    rows = session.execute(
        select(rolled.id, Deployment.id)
        .join(Deployment, Deployment.rollback_of_id == rolled.id)
        .where(Deployment.status == "success", *_period(rolled, service, environment, start, end))
        .order_by(Deployment.deployed_at, Deployment.id)
    )
    result: dict[str, str] = {}
    for rolled_id, by in rows:
        result.setdefault(rolled_id, by)
    return result


def period_links(
    session: Session,
    *,
    service: str | None,
    environment: str | None,
    start: datetime,
    end: datetime,
) -> list[DeploymentIncidentLink]:
    """The incident links of the deployments in [start, end), oldest link first."""
    return list(
        session.scalars(
            select(DeploymentIncidentLink)
            .join(Deployment, Deployment.id == DeploymentIncidentLink.deployment_id)
            .where(*_period(Deployment, service, environment, start, end))
            .order_by(DeploymentIncidentLink.created_at, DeploymentIncidentLink.id)
        )
    )


def environments_of(session: Session, service: str) -> list[str]:
    rows = session.scalars(
        select(Deployment.environment).where(Deployment.service == service).distinct()
    )
    return sorted(rows)


# --- commits and what deployments delivered ---


def commits_by_sha(session: Session, shas: Iterable[str]) -> dict[str, Commit]:
    found: dict[str, Commit] = {}
    for chunk in _chunks(sorted(set(shas))):
        found.update(
            {c.sha: c for c in session.scalars(select(Commit).where(Commit.sha.in_(chunk)))}
        )
    return found


def has_commit(session: Session, sha: str) -> bool:
    return session.scalar(select(Commit.id).where(Commit.sha == sha)) is not None


def commit_by_prefix(session: Session, prefix: str) -> Commit | None:
    """The commit whose sha starts with ``prefix``, when exactly one does."""
    rows = list(session.scalars(select(Commit).where(Commit.sha.like(prefix + "%")).limit(2)))
    return rows[0] if len(rows) == 1 else None


def chain(
    session: Session, sha: str, stop: str | None, limit: int
) -> list[tuple[str, str, str | None]]:
    """(id, sha, parent sha) from ``sha`` back along first parents, in one recursive query.

    The walk includes ``stop`` but goes no further, and visits at most ``limit + 1`` commits.
    """
    table = Commit.__table__
    start = (
        select(table.c.id, table.c.sha, table.c.parent_sha, literal(0).label("depth"))
        .where(table.c.sha == sha)
        .cte("chain", recursive=True)
    )
    step = select(table.c.id, table.c.sha, table.c.parent_sha, start.c.depth + 1).where(
        table.c.sha == start.c.parent_sha, start.c.depth < limit
    )
    if stop is not None:
        step = step.where(start.c.sha != stop)
    walk = start.union_all(step)
    rows = session.execute(select(walk.c.id, walk.c.sha, walk.c.parent_sha).order_by(walk.c.depth))
    return [(r[0], r[1], r[2]) for r in rows]


def delivered_before(session: Session, dep: Deployment, commit_ids: list[str]) -> set[str]:
    """Which of ``commit_ids`` an earlier deployment of the same service and environment
    already delivered."""
    found: set[str] = set()
    for chunk in _chunks(commit_ids):
        rows = session.scalars(
            select(DeploymentCommit.commit_id)
            .join(Deployment, Deployment.id == DeploymentCommit.deployment_id)
            .where(
                DeploymentCommit.commit_id.in_(chunk),
                Deployment.service == dep.service,
                Deployment.environment == dep.environment,
                Deployment.id != dep.id,
                _before(dep),
            )
        )
        found.update(rows)
    return found


def replace_delivered(session: Session, deployment_id: str, commit_ids: list[str]) -> None:
    session.execute(delete(DeploymentCommit).where(DeploymentCommit.deployment_id == deployment_id))
    if commit_ids:
        session.execute(
            insert(DeploymentCommit),
            [{"deployment_id": deployment_id, "commit_id": c} for c in commit_ids],
        )


def delivered_commits(
    session: Session, deployment_id: str
) -> list[tuple[Commit, PullRequest | None]]:
    rows = session.execute(
        select(Commit, PullRequest)
        .join(DeploymentCommit, DeploymentCommit.commit_id == Commit.id)
        .outerjoin(PullRequest, PullRequest.id == Commit.pull_request_id)
        .where(DeploymentCommit.deployment_id == deployment_id)
        .order_by(Commit.committed_at.desc(), Commit.sha)
    )
    return [(r[0], r[1]) for r in rows]


def delivered_by_any(
    session: Session, deployment_ids: list[str]
) -> list[tuple[Commit, PullRequest | None]]:
    """The commits any of ``deployment_ids`` delivered, each once, with their pull requests."""
    found: dict[str, tuple[Commit, PullRequest | None]] = {}
    for chunk in _chunks(deployment_ids):
        rows = session.execute(
            select(Commit, PullRequest)
            .join(DeploymentCommit, DeploymentCommit.commit_id == Commit.id)
            .outerjoin(PullRequest, PullRequest.id == Commit.pull_request_id)
            .where(DeploymentCommit.deployment_id.in_(chunk))
        )
        for commit, pr in rows:
            found.setdefault(commit.id, (commit, pr))
    return list(found.values())


def delivered_times(
    session: Session, deployment_ids: list[str]
) -> list[tuple[str, str, datetime | None]]:
    """(deployment id, commit id, committed at) of what ``deployment_ids`` delivered."""
    found: list[tuple[str, str, datetime | None]] = []
    for chunk in _chunks(deployment_ids):
        rows = session.execute(
            select(DeploymentCommit.deployment_id, Commit.id, Commit.committed_at)
            .join(Commit, Commit.id == DeploymentCommit.commit_id)
            .where(DeploymentCommit.deployment_id.in_(chunk))
        )
        found.extend((r[0], r[1], r[2]) for r in rows)
    return found


def first_deliveries(
    session: Session, commit_ids: list[str], environments: Iterable[str]
) -> dict[str, tuple[datetime, str]]:
    """Commit id -> (time, deployment id) of the first successful deployment to one of
    ``environments`` that delivered it."""
    envs = sorted(set(environments))
    result: dict[str, tuple[datetime, str]] = {}
    for chunk in _chunks(commit_ids):
        rows = session.execute(
            select(DeploymentCommit.commit_id, Deployment.deployed_at, Deployment.id)
            .join(Deployment, Deployment.id == DeploymentCommit.deployment_id)
            .where(
                DeploymentCommit.commit_id.in_(chunk),
                Deployment.status == "success",
                Deployment.environment.in_(envs),
            )
        )
        for commit_id, at, dep_id in rows:
            if commit_id not in result or (at, dep_id) < result[commit_id]:
                result[commit_id] = (at, dep_id)
    return result


def lead_time_rows(
    session: Session,
    *,
    service: str | None,
    environments: list[str],
    start: datetime | None,
    end: datetime | None,
    services: list[str] | None = None,
    per_service: bool = False,
) -> list[Any]:
    """Per commit: its times, its pull request's times, and its first production delivery,
    for commits first delivered within [start, end); with ``per_service``, per commit and
    service (the first delivery by that service's deployments), with a ``service`` column.

    The period filters the deliveries first (an indexed range on deployments), and a commit some
    matching deployment delivered before ``start`` is left out, so the cost follows the period,
    not the whole history.
    """
    sub = _first_deliveries(service, environments, start, end, services, per_service)
    columns = [
        Commit.sha,
        Commit.committed_at,
        Commit.authored_at,
        PullRequest.merged_at,
        PullRequest.first_commit_at,
        PullRequest.opened_at,
        sub.c.deployed_at,
    ]
    if per_service:
        columns.append(sub.c.service)
    query = (
        select(*columns)
        .join(sub, sub.c.commit_id == Commit.id)
        .outerjoin(PullRequest, PullRequest.id == Commit.pull_request_id)
    )
    return list(session.execute(query))


def commit_lead_rows(
    session: Session,
    *,
    environments: list[str],
    start: datetime,
    end: datetime,
    services: list[str] | None,
    per_service: bool,
) -> list[Any]:
    """(service or None, first delivery, committed, authored) per commit (and service) first
    delivered within [start, end): the columns the scoreboard needs and no more."""
    sub = _first_deliveries(None, environments, start, end, services, per_service)
    service = sub.c.service if per_service else literal(None).label("service")
    query = select(service, sub.c.deployed_at, Commit.committed_at, Commit.authored_at).join(
        sub, sub.c.commit_id == Commit.id
    )
    return list(session.execute(query))


def _first_deliveries(
    service: str | None,
    environments: list[str],
    start: datetime | None,
    end: datetime | None,
    services: list[str] | None,
    per_service: bool,
) -> Any:
    """commit_id (, service), deployed_at: each commit's first matching delivery in the period."""
    matching = [Deployment.status == "success", Deployment.environment.in_(environments)]
    if service:
        matching.append(Deployment.service == service)
    if services is not None:
        matching.append(Deployment.service.in_(services))
    if start:
        matching.append(Deployment.deployed_at >= start)
    if end:
        matching.append(Deployment.deployed_at < end)
    keys = [DeploymentCommit.commit_id.label("commit_id")]
    if per_service:
        keys.append(Deployment.service.label("service"))
    first = (
        select(*keys, func.min(Deployment.deployed_at).label("deployed_at"))
        .join(Deployment, Deployment.id == DeploymentCommit.deployment_id)
        .where(*matching)
        .group_by(*keys)
    )
    if start:
        first = first.where(~_delivered_before(start, environments, service, per_service).exists())
    return first.subquery()


def _delivered_before(
    start: datetime, environments: list[str], service: str | None, per_service: bool
) -> Any:
    """A matching delivery of the outer query's commit (by its service) before ``start``.

    The commit's few deliveries are found by its index, then each deployment by its key. The
    deployment's service and environment are wrapped so no planner walks instead every
    earlier deployment of the service for each commit (SQLite chose that, quadratic in
    history).
    """
    earlier = aliased(DeploymentCommit)
    earlier_dep = aliased(Deployment)
    dep_service = func.coalesce(earlier_dep.service, "")
    query = (
        select(earlier.commit_id)
        .join(earlier_dep, earlier_dep.id == earlier.deployment_id)
        .where(
            earlier.commit_id == DeploymentCommit.commit_id,
            earlier_dep.status == "success",
            func.coalesce(earlier_dep.environment, "").in_(environments),
            earlier_dep.deployed_at < start,
        )
    )
    if service:
        query = query.where(dep_service == service)
    if per_service:
        query = query.where(dep_service == Deployment.service)
    return query


# --- pull requests, pipeline runs, releases, artifacts ---


def pull_request_by_key(session: Session, key: str) -> PullRequest | None:
    return session.scalars(select(PullRequest).where(PullRequest.key == key)).first()


def pull_requests_by_merge_sha(session: Session, shas: list[str]) -> dict[str, PullRequest]:
    found: dict[str, PullRequest] = {}
    for chunk in _chunks(shas):
        rows = session.scalars(select(PullRequest).where(PullRequest.merge_sha.in_(chunk)))
        found.update({p.merge_sha or "": p for p in rows})
    return found


def open_pull_request_for_branch(
    session: Session, repository: str, branch: str
) -> PullRequest | None:
    return session.scalars(
        select(PullRequest)
        .where(
            PullRequest.repository == repository,
            PullRequest.head_ref == branch,
            PullRequest.state.in_(["open", "opened", "reopened"]),
        )
        .order_by(PullRequest.opened_at.desc())
        .limit(1)
    ).first()


def unlinked_commits_on_branch(session: Session, repository: str, branch: str) -> list[Commit]:
    return list(
        session.scalars(
            select(Commit).where(
                Commit.repository == repository,
                Commit.branch == branch,
                Commit.pull_request_id.is_(None),
            )
        )
    )


def earliest_commit_of(session: Session, pull_request_id: str) -> datetime | None:
    return session.scalar(
        select(func.min(func.coalesce(Commit.authored_at, Commit.committed_at))).where(
            Commit.pull_request_id == pull_request_id
        )
    )


def pipeline_run_by_key(session: Session, key: str) -> PipelineRun | None:
    return session.scalars(select(PipelineRun).where(PipelineRun.key == key)).first()


def release_by_key(session: Session, key: str) -> Release | None:
    return session.scalars(select(Release).where(Release.key == key)).first()


def release(session: Session, release_id: str) -> Release | None:
    return session.get(Release, release_id)


def list_releases(
    session: Session, *, service: str | None, limit: int, offset: int
) -> tuple[list[Release], int]:
    """Releases, newest first (published, else created)."""
    query = select(Release)
    if service:
        query = query.where(Release.service == service)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest = func.coalesce(Release.published_at, Release.created_at)
    query = query.order_by(newest.desc(), Release.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query)), total


def releases_of(session: Session, service: str, version: str) -> list[Release]:
    return list(
        session.scalars(
            select(Release).where(Release.service == service, Release.version == version)
        )
    )


def artifact(session: Session, purl: str) -> Artifact | None:
    return session.scalars(select(Artifact).where(Artifact.purl == purl)).first()


def deployments_of_version(session: Session, service: str, version: str) -> list[Deployment]:
    return list(
        session.scalars(
            select(Deployment)
            .where(Deployment.service == service, Deployment.version == version)
            .order_by(Deployment.deployed_at, Deployment.id)
        )
    )


# --- incident links ---


def link(
    session: Session, deployment_id: str, incident_id: str, kind: str
) -> DeploymentIncidentLink | None:
    return session.scalars(
        select(DeploymentIncidentLink).where(
            DeploymentIncidentLink.deployment_id == deployment_id,
            DeploymentIncidentLink.incident_id == incident_id,
            DeploymentIncidentLink.kind == kind,
        )
    ).first()


def links_of(session: Session, deployment_ids: list[str]) -> list[DeploymentIncidentLink]:
    found: list[DeploymentIncidentLink] = []
    for chunk in _chunks(deployment_ids):
        found.extend(
            session.scalars(
                select(DeploymentIncidentLink)
                .where(DeploymentIncidentLink.deployment_id.in_(chunk))
                .order_by(DeploymentIncidentLink.created_at)
            )
        )
    return found


def links_of_incident(session: Session, incident_id: str) -> list[DeploymentIncidentLink]:
    return list(
        session.scalars(
            select(DeploymentIncidentLink).where(DeploymentIncidentLink.incident_id == incident_id)
        )
    )


def deployments_delivering(session: Session, commit_ids: list[str]) -> list[Deployment]:
    """Successful deployments that delivered any of ``commit_ids``."""
    return list(
        session.scalars(
            select(Deployment)
            .join(DeploymentCommit, DeploymentCommit.deployment_id == Deployment.id)
            .where(DeploymentCommit.commit_id.in_(commit_ids), Deployment.status == "success")
            .order_by(Deployment.deployed_at)
        ).unique()
    )


def deployments_with_sha_prefix(session: Session, prefix: str) -> list[Deployment]:
    return list(
        session.scalars(
            select(Deployment)
            .where(Deployment.sha.like(prefix + "%"), Deployment.status == "success")
            .order_by(Deployment.deployed_at)
        )
    )
